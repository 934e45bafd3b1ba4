"""The hidden suite's view of a submission: calls that run in the sandbox and come back as plain values."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from grader.grading.sandbox import BudgetSpent, CallTimeout, Handle, Sandbox, SandboxFailure, StudentRaised
from grader.grading.sandbox.sandbox import with_traceback
from grader.results.verdicts import GradingFailure, Verdict


class NotImplementedYet(SandboxFailure):
    """The student's code still raises the stub's NotImplementedError: the test fails, nothing went wrong."""

    verdict = Verdict.FAILED


class FunctionTimedOut(CallTimeout):
    """`what` ran out of its time limit; `again`: in an earlier test, so this call failed at once."""

    def __init__(self, what: str, seconds: float, *, again: bool = False) -> None:
        later = " earlier in grading, so it was not called again" if again else ""
        SandboxFailure.__init__(self, f"{what} did not answer within the {seconds:g} s time limit{later}")
        self.seconds = seconds


class ImportFailed(SandboxFailure):
    """A student module could not be imported; remembered so later tests fail fast with the same message.

    Its verdict is its cause's (a timeout, a crash... while importing), or an error when the module raised.
    """

    def __init__(self, message: str, cause: SandboxFailure | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.student_traceback = ""
        self.verdict = cause.verdict if cause is not None else Verdict.ERROR

    @property
    def feedback(self) -> str:
        if self.cause is not None:
            return str(self)
        return with_traceback(str(self), self.student_traceback)


@dataclass
class GradResult:
    """What a differentiated call returns: the value and the gradients of the inputs and parameters."""

    value: Any
    args: list[Any]
    kwargs: dict[str, Any]
    params: dict[str, Any]


def _translate(exc: SandboxFailure, what: str) -> SandboxFailure:
    if isinstance(exc, StudentRaised) and exc.error_type == "NotImplementedError":
        return NotImplementedYet(f"{what} is not implemented yet (it raises NotImplementedError)")
    return exc


class StudentCode:
    """Reach the submission's package `package` through `sandbox`.

    Targets are written "module.function" (e.g. "softmax.softmax") relative to the package. Every call is
    bounded by the per-call limit and by what is left of the submission's time budget (`deadline`, on the
    monotonic clock); a function that timed out once fails at once in later tests.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        package: str,
        present: frozenset[str],
        imports: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.package = package
        self.present = present
        self.imports = imports or {}
        self.timeout: float | None = None
        self.remember_timeouts = True  # False in a test of speed: slow there is not stuck
        self.budget: float | None = None
        self.deadline: float | None = None
        self._timed_out: dict[str, FunctionTimedOut] = {}
        self._import_failures: dict[str, SandboxFailure] = {}
        self._imported: set[str] = set()
        self._imported_in: int = -1

    def set_budget(self, budget: float, deadline: float) -> None:
        """Stop calling student code at `deadline` (time.monotonic()); `budget` is the total, for messages."""
        self.budget, self.deadline = budget, deadline

    @property
    def budget_spent(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _request(self, message: dict, what: str | None = None) -> Any:
        if what is not None and what in self._timed_out:
            raise self._timed_out[what]
        timeout = self.sandbox.limits.call_timeout if self.timeout is None else self.timeout
        clipped = False
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise BudgetSpent(self.budget or 0.0)
            clipped = remaining < timeout
            timeout = min(timeout, remaining)
        try:
            return self.sandbox.request(message, timeout=timeout)
        except CallTimeout as exc:
            if clipped:
                raise BudgetSpent(self.budget or 0.0) from None
            if what is None:
                raise
            if self.remember_timeouts:
                self._timed_out[what] = FunctionTimedOut(what, exc.seconds, again=True)
            raise FunctionTimedOut(what, exc.seconds) from None

    def ensure_module(self, module: str, _importing: frozenset[str] = frozenset()) -> None:
        """Import `module` in the child once per child; a failure is remembered for every later test.

        The submission's own modules that `module` imports are imported first, so that one broken
        module (an endless loop, an exit) costs one time limit, not one per module that imports it.
        """
        if module in self._import_failures:
            raise self._import_failures[module]
        if f"{module}.py" not in self.present:
            failure = ImportFailed(f"{module}.py is missing from your submission")
            self._import_failures[module] = failure
            raise failure
        for dependency in sorted(self.imports.get(module, frozenset()) - _importing - {module}):
            try:
                self.ensure_module(dependency, _importing | {module})
            except ImportFailed as exc:
                failure = ImportFailed(
                    f"{module}.py imports {dependency}.py, which failed: {exc}", cause=exc.cause
                )
                failure.student_traceback = exc.student_traceback
                self._import_failures[module] = failure
                raise failure from None
        if self._imported_in != self.sandbox.starts or not self.sandbox.alive:
            self._imported.clear()
        if module in self._imported:
            return
        try:
            self._request({"op": "import", "module": f"{self.package}.{module}"})
        except SandboxFailure as exc:
            if isinstance(exc, StudentRaised):
                failure = ImportFailed(f"importing {module}.py failed: {exc.error_type}: {exc.error_message}")
                failure.student_traceback = exc.student_traceback
            else:
                failure = ImportFailed(f"while importing {module}.py, {exc}", cause=exc)
            self._import_failures[module] = failure
            raise failure from None
        self._imported.add(module)
        self._imported_in = self.sandbox.starts

    def _target(self, target: str) -> dict:
        module, _, attr = target.partition(".")
        self.ensure_module(module)
        if not self._request({"op": "has", "module": f"{self.package}.{module}", "name": attr.split(".")[0]}):
            raise GradingFailure(
                f"{module}.py has no `{attr.split('.')[0]}`",
                "keep the names and signatures of the stub; the grader calls them by name",
            )
        return {"module": f"{self.package}.{module}", "attr": attr}

    def call(self, target: str, *args: Any, **kwargs: Any) -> Any:
        """Call `target(*args, **kwargs)` in the sandbox and return the value as plain data."""
        spec = self._target(target)
        try:
            return self._request({"op": "call", "target": spec, "args": list(args), "kwargs": kwargs}, target)
        except SandboxFailure as exc:
            raise _translate(exc, target) from None

    def call_with_grad(
        self,
        target: str,
        args: tuple = (),
        kwargs: dict | None = None,
        *,
        grad_output: Any,
        wrt_args: tuple[int, ...] = (),
        wrt_kwargs: tuple[str, ...] = (),
        output: int | None = None,
    ) -> GradResult:
        """Call `target`, back-propagate `grad_output` from its output (or output[`output`]), return grads."""
        spec = self._target(target)
        return self._grad_request(spec, target, args, kwargs or {}, grad_output, wrt_args, wrt_kwargs, output)

    def _grad_request(
        self, spec, what, args, kwargs, grad_output, wrt_args, wrt_kwargs, output
    ) -> GradResult:
        message = {
            "op": "call",
            "target": spec,
            "args": list(args),
            "kwargs": kwargs,
            "grad": {
                "args": list(wrt_args),
                "kwargs": list(wrt_kwargs),
                "output": output,
                "grad_output": grad_output,
            },
        }
        try:
            answer = self._request(message, what)
        except SandboxFailure as exc:
            raise _translate(exc, what) from None
        if not isinstance(answer, dict) or set(answer) != {"value", "args", "kwargs", "params"}:
            raise GradingFailure("the sandbox answered a gradient request with a malformed value")
        return GradResult(
            answer["value"], list(answer["args"]), dict(answer["kwargs"]), dict(answer["params"])
        )

    def generator(self, seed: int) -> Remote:
        """A torch.Generator seeded with `seed`, made in the sandbox (generators cannot cross it)."""
        handle = self._request({"op": "generator", "seed": int(seed)})
        if not isinstance(handle, Handle):
            raise GradingFailure("the sandbox answered a generator request with a malformed value")
        return Remote(self, handle, "torch.Generator", self.sandbox.starts)

    def new(self, target: str, *args: Any, **kwargs: Any) -> Remote:
        """Construct `target(*args, **kwargs)` in the sandbox and keep it there; returns a handle to it."""
        spec = self._target(target)
        try:
            handle = self._request(
                {"op": "call", "target": spec, "args": list(args), "kwargs": kwargs, "keep": True}, target
            )
        except SandboxFailure as exc:
            raise _translate(exc, target) from None
        if not isinstance(handle, Handle):
            raise GradingFailure("the sandbox answered a construction request with a malformed value")
        return Remote(self, handle, target, self.sandbox.starts)


class Remote:
    """An object that lives in the sandbox (a module, a model, an agent)."""

    def __init__(self, code: StudentCode, handle: Handle, what: str, generation: int) -> None:
        self.code = code
        self.handle = handle
        self.what = what
        self.generation = generation

    def _spec(self, attr: str | None) -> dict:
        if self.code.sandbox.starts != self.generation or not self.code.sandbox.alive:
            raise SandboxFailure(
                f"the {self.what} object was lost when the process running your code restarted"
            )
        return {"handle": self.handle.id, "attr": attr}

    def call(self, method: str | None, *args: Any, **kwargs: Any) -> Any:
        """Call `obj.method(*args, **kwargs)` (or `obj(...)` when method is None)."""
        is_class = self.what.rsplit(".", 1)[-1][:1].isupper()
        name = f"{self.what}.{method or 'forward'}" if method or is_class else self.what
        try:
            return self.code._request(
                {"op": "call", "target": self._spec(method), "args": list(args), "kwargs": kwargs}, name
            )
        except SandboxFailure as exc:
            raise _translate(exc, name) from None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.call(None, *args, **kwargs)

    def run(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Call a method for its effect (e.g. `eval`), discarding what it returns."""
        try:
            self.code._request(
                {
                    "op": "call",
                    "target": self._spec(method),
                    "args": list(args),
                    "kwargs": kwargs,
                    "discard": True,
                },
                f"{self.what}.{method}",
            )
        except SandboxFailure as exc:
            raise _translate(exc, f"{self.what}.{method}") from None

    def grad(
        self,
        method: str | None,
        args: tuple = (),
        kwargs: dict | None = None,
        *,
        grad_output: Any,
        wrt_args: tuple[int, ...] = (),
        wrt_kwargs: tuple[str, ...] = (),
        output: int | None = None,
    ) -> GradResult:
        """Like `StudentCode.call_with_grad`, on a method; `params` holds the module's parameter grads."""
        what = f"{self.what}.{method}" if method else self.what
        return self.code._grad_request(
            self._spec(method), what, args, kwargs or {}, grad_output, wrt_args, wrt_kwargs, output
        )

    def state_dict(self) -> dict[str, Any]:
        value = self.code._request({"op": "state_dict", **self._spec(None)})
        if not isinstance(value, dict):
            raise GradingFailure("the sandbox answered a state_dict request with a malformed value")
        return value

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> dict[str, list[str]]:
        try:
            return self.code._request(
                {"op": "load_state_dict", **self._spec(None), "state": state, "strict": strict}
            )
        except StudentRaised as exc:
            raise GradingFailure(
                f"the reference weights could not be loaded into your {self.what}: {exc.error_message[:600]}",
                "lay the parameters out exactly as the stub's __init__ does (names and shapes)",
            ) from None
