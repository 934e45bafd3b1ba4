"""A child process that runs student code, reached only through the value protocol.

Threat model. Covered:
- exceptions, `sys.exit`/`os._exit`, crashes and hangs in student code: each costs the call in which it
  happens (`StudentRaised`, `ChildDied`, `CallTimeout`) and the child is started afresh for the next call;
- memory and file-size bombs: bounded by rlimits in the child (`MemoryLimit` when an allocation fails);
- forged answers: whatever the child sends is decoded as bounded plain data (`protocol.decode`); verdicts
  are computed by the grader from those values;
- output floods: the child's stdout/stderr goes to a file bounded by the file-size limit, and a capped
  slice of it is kept per test;
- with the "namespaces" level (bubblewrap): no network, no view of the grader, the reference, the hidden
  suites or the home directory (only the Python runtime and the scratch copy of the submission are
  mounted), an unprivileged uid, a PID namespace that dies with the grader, and a scrubbed environment.
Not covered: at the "process" level (no bubblewrap) the child can read the files the grader's user can
read and reach the network; every report says so, and `--isolation strict` refuses to grade there.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import SandboxStartError
from grader.results.verdicts import Verdict

from . import protocol
from .cgroup import PidsCgroup
from .isolation import IsolationLevel, bwrap_command

CHILD_SOURCES = {"_sandbox_child.py": "child.py", "_sandbox_protocol.py": "protocol.py"}
SANDBOX_WORK = "/sandbox/work"
SANDBOX_RUNNER = "/sandbox/runner"


@dataclass(frozen=True)
class Limits:
    """Resource bounds for one child process; `call_timeout` is per request, the others per process."""

    call_timeout: float = 10.0
    start_timeout: float = 60.0
    memory_bytes: int = 6 * 1024**3
    cpu_seconds: int = 1800
    file_bytes: int = 64 * 1024**2
    open_files: int = 256
    output_bytes: int = 32 * 1024
    threads: int = 1
    max_processes: int = 256
    scratch_bytes: int = 256 * 1024**2
    device: str = "cpu"
    run_as: tuple[int, int] | None = None  # (uid, gid) the child drops to; needs the grader to be root


TIMEOUT_HINT = "look for an infinite loop or needless work in a hot loop"
BUDGET_HINT = "the tests before this one took most of the time: look at the ones that timed out"
EXIT_HINT = "do not call exit() or os._exit() in submitted code"


def with_traceback(message: str, student_traceback: str) -> str:
    """`message`, followed by the student's traceback when there is one."""
    if not student_traceback.strip():
        return message
    return f"{message}\nTraceback (your code, most recent call last):\n{student_traceback}"


class SandboxFailure(Exception):
    """A request that produced no value: the message is written for the student.

    Each kind carries what it means for the test in which it is raised: `verdict` (the test's verdict when
    the failure ends it), `hint` (the usual cause, or "") and `feedback` (what the student reads).
    """

    verdict: Verdict = Verdict.ERROR
    hint: str = ""

    @property
    def feedback(self) -> str:
        return str(self)


class StudentRaised(SandboxFailure):
    """The student's code raised; `feedback` carries the student's traceback."""

    def __init__(self, error_type: str, message: str, student_traceback: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.error_message = message
        self.student_traceback = student_traceback

    @property
    def feedback(self) -> str:
        message = f"your code raised {self.error_type}: {self.error_message}"
        return with_traceback(message, self.student_traceback)


class CallTimeout(SandboxFailure):
    verdict = Verdict.TIMEOUT
    hint = TIMEOUT_HINT

    def __init__(self, seconds: float) -> None:
        super().__init__(f"your code did not answer within the {seconds:g} s time limit")
        self.seconds = seconds


class BudgetSpent(SandboxFailure):
    """The submission's total time budget ran out; `started` says whether this test had begun.

    A test stopped part way is a timeout; one that never began is not run.
    """

    hint = BUDGET_HINT

    def __init__(self, budget: float, *, started: bool = True) -> None:
        what = "stopped" if started else "not run"
        super().__init__(f"{what}: your submission used up its time budget of {budget:g} s")
        self.budget = budget
        self.started = started
        self.verdict = Verdict.TIMEOUT if started else Verdict.NOT_RUN


class MemoryLimit(SandboxFailure):
    verdict = Verdict.MEMORY_LIMIT

    def __init__(self, limit: int, detail: str) -> None:
        super().__init__(f"your code ran out of the {limit / 1024**3:g} GiB memory limit ({detail})")


class ChildDied(SandboxFailure):
    verdict = Verdict.CRASHED
    hint = EXIT_HINT

    def __init__(self, returncode: int | None) -> None:
        if returncode == -signal.SIGXCPU:
            how = "went over its CPU time limit"
        elif returncode is not None and returncode < 0:
            name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else -returncode
            how = f"was killed by signal {name}"
        else:
            how = f"exited with status {returncode} (sys.exit, os._exit or a crash in native code)"
        super().__init__(f"the process running your code {how}")
        self.returncode = returncode


class BadAnswer(SandboxFailure):
    """The child answered with something the protocol rejects."""


def rlimits(limits: Limits) -> dict[str, tuple[int, int]]:
    """The rlimits the child runs under: the `resource` constant's name -> (soft, hard).

    `grader doctor` reports each of them, so a limit added here shows up there.
    """
    return {
        # The CPU limit's hard value is a little above the soft one, so that the child first gets SIGXCPU
        # (reported as the CPU limit) rather than an anonymous SIGKILL.
        "RLIMIT_CPU": (limits.cpu_seconds, limits.cpu_seconds + 5),
        "RLIMIT_AS": (limits.memory_bytes, limits.memory_bytes),
        "RLIMIT_FSIZE": (limits.file_bytes, limits.file_bytes),
        "RLIMIT_NOFILE": (limits.open_files, limits.open_files),
        "RLIMIT_CORE": (0, 0),
    }


def _prepare_child(limits: Limits, cgroup: PidsCgroup | None) -> None:
    """Runs in the child between fork and exec: own session, its cgroup, rlimits."""
    os.setsid()
    if cgroup is not None:
        cgroup.enter()
    for name, values in rlimits(limits).items():
        resource.setrlimit(getattr(resource, name), values)
    if limits.run_as is not None:
        uid, gid = limits.run_as
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)


def child_environment(limits: Limits, home: str) -> dict[str, str]:
    """The whole environment the child gets: an allow-list, nothing inherited."""
    threads = str(limits.threads)
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "GRADER_THREADS": threads,
        "GRADER_DEVICE": limits.device,
        "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "0") if limits.device != "cpu" else "",
    }


class Sandbox:
    """One child process serving requests for a staged submission in `work_dir`."""

    def __init__(
        self,
        work_dir: Path,
        *,
        level: IsolationLevel,
        limits: Limits | None = None,
        python: str | None = None,
    ) -> None:
        self.work_dir = Path(work_dir).resolve()
        self.level = level
        self.limits = limits or Limits()
        self.python = python or sys.executable
        self.runner_dir = self.work_dir.parent / "runner"
        self.process: subprocess.Popen | None = None
        self._output = open(self.work_dir.parent / "output.log", "ab+")  # noqa: SIM115  (closed in close())
        self._output_taken = 0
        self.starts = 0
        self.start_seconds = 0.0
        self.cgroup: PidsCgroup | None = PidsCgroup.create(self.limits.max_processes)
        self.seed: int | None = None
        self._ready = False
        self._spawned_at = 0.0
        self._request_w: int | None = None
        self._response_r: int | None = None
        self._install_runner()
        if self.limits.run_as is not None:
            self._hand_over(*self.limits.run_as)

    def _install_runner(self) -> None:
        self.runner_dir.mkdir(parents=True, exist_ok=True)
        here = Path(__file__).parent
        for target, source in CHILD_SOURCES.items():
            shutil.copyfile(here / source, self.runner_dir / target)

    def _hand_over(self, uid: int, gid: int) -> None:
        """Let the unprivileged user the child runs as reach its runner and own its working folder."""
        if os.geteuid() != 0:
            raise SandboxStartError(
                "only root can run the sandbox as another user",
                hint="run the grader as root, or leave out --run-as",
            )
        self.work_dir.parent.chmod(0o711)
        self.runner_dir.chmod(0o755)
        for path in self.runner_dir.iterdir():
            path.chmod(0o644)
        for root, dirs, files in os.walk(self.work_dir):
            for name in [*dirs, *files]:
                os.lchown(os.path.join(root, name), uid, gid)
        os.chown(self.work_dir, uid, gid)

    # -- life cycle -------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the child and wait until it answers."""
        self.spawn()
        self._await_ready()

    def spawn(self) -> None:
        """Start the child without waiting for it (its imports overlap with the grader's own work)."""
        self.stop()
        self._spawned_at = time.perf_counter()
        self._ready = False
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        inside = self.level is IsolationLevel.NAMESPACES
        work = SANDBOX_WORK if inside else str(self.work_dir)
        runner = SANDBOX_RUNNER if inside else str(self.runner_dir)
        command = [
            self.python,
            "-s",
            "-u",
            f"{runner}/_sandbox_child.py",
            str(request_r),
            str(response_w),
            work,
        ]
        if inside:
            command = bwrap_command(
                command,
                work_dir=self.work_dir,
                runner_dir=self.runner_dir,
                scratch_bytes=self.limits.scratch_bytes,
                environment=child_environment(self.limits, SANDBOX_WORK),
            )
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            cwd=self.work_dir,
            env=child_environment(self.limits, str(self.work_dir)),
            pass_fds=(request_r, response_w),
            preexec_fn=lambda: _prepare_child(self.limits, self.cgroup),
        )
        os.close(request_r)
        os.close(response_w)
        os.set_blocking(request_w, False)
        self._request_w, self._response_r = request_w, response_r
        self.starts += 1

    def _await_ready(self) -> None:
        try:
            self._exchange({"op": "ping"}, self.limits.start_timeout)
        except SandboxFailure as exc:
            # No student code has run yet, so this is the grader's environment failing, not the student.
            output = self.take_output().strip()[-2000:]
            raise SandboxStartError(
                f"the sandbox could not start ({exc})" + (f":\n{output}" if output else ""),
                hint="run `grader doctor`; `--isolation process` grades without namespaces",
            ) from None
        self._ready = True
        self.start_seconds += time.perf_counter() - self._spawned_at
        if self.seed is not None:
            self._exchange({"op": "seed", "seed": self.seed}, self.limits.call_timeout)

    def set_seed(self, seed: int) -> None:
        """Seed the child's random generators now and after every restart."""
        self.seed = seed
        if self.alive and self._ready:
            self.request({"op": "seed", "seed": seed})

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait()
        if self.cgroup is not None:
            self.cgroup.kill_all()
        for fd in (self._request_w, self._response_r):
            if fd is not None:
                os.close(fd)
        self.process = None
        self._request_w = self._response_r = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _own_pids(self) -> set[int]:
        """The grader's chain of processes: the launcher, and under bubblewrap its init and the child."""
        if self.process is None:
            return set()
        own = {self.process.pid}
        current = self.process.pid
        for _ in range(2 if self.level is IsolationLevel.NAMESPACES else 0):
            try:
                children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            except OSError:
                break
            if not children:
                break
            current = min(int(pid) for pid in children)
            own.add(current)
        return own

    def reap(self) -> int:
        """Kill every process the student's code started (the child itself lives on); returns how many.

        Needs the pids cgroup; without it stray processes live until the sandbox stops.
        """
        if self.cgroup is None or not self.alive:
            return 0
        own = self._own_pids()
        strays = [pid for pid in self.cgroup.pids() if pid not in own]
        for pid in strays:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        return len(strays)

    def close(self) -> None:
        """Stop the child and release the output file."""
        self.stop()
        self._output.close()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def take_output(self) -> str:
        """The student's stdout and stderr since the last time it was taken, capped."""
        end = self._output.seek(0, os.SEEK_END)
        self._output.seek(self._output_taken)
        data = self._output.read(min(end - self._output_taken, self.limits.output_bytes))
        text = data.decode("utf-8", "replace")
        if end - self._output_taken > len(data):
            text += f"\n[... {end - self._output_taken - len(data)} more bytes of output not shown]"
        self._output_taken = end
        return text

    # -- requests ---------------------------------------------------------------------------------
    def request(self, message: dict, *, timeout: float | None = None) -> Any:
        """Send one request and return its value; raise a `SandboxFailure` when there is none."""
        if not self.alive:
            self.start()
        elif not self._ready:
            self._await_ready()
        return self._exchange(message, self.limits.call_timeout if timeout is None else timeout)

    def _exchange(self, message: dict, timeout: float) -> Any:
        try:
            frame = protocol.encode(message)
        except protocol.Unencodable as exc:
            raise TypeError(f"the grader tried to send an unencodable request: {exc}") from None
        try:
            deadline = time.monotonic() + timeout
            self._write(frame, deadline, timeout)
            header = self._read(protocol.HEADER_SIZE, deadline, timeout)
            body = self._read(protocol.frame_length(header), deadline, timeout)
            answer = protocol.decode(body)
        except protocol.ProtocolViolation as exc:
            self.stop()
            raise BadAnswer(f"the sandbox answered with something the grader cannot accept: {exc}") from None
        except BrokenPipeError:
            raise self._died() from None
        return self._unwrap(answer)

    def _write(self, data: bytes, deadline: float, timeout: float) -> None:
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [self._request_w], [], max(deadline - time.monotonic(), 0))
            if not ready:
                self.stop()
                raise CallTimeout(timeout)
            try:
                view = view[os.write(self._request_w, view[: 1 << 16]) :]
            except BlockingIOError:
                continue

    def _read(self, count: int, deadline: float, timeout: float) -> bytes:
        chunks = []
        while count:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._response_r], [], [], max(remaining, 0))
            if not ready:
                self.stop()
                raise CallTimeout(timeout)
            chunk = os.read(self._response_r, min(count, 1 << 20))
            if not chunk:
                raise self._died()
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def _died(self) -> ChildDied:
        returncode = None
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                returncode = self.process.wait(timeout=5)
        self.stop()
        if returncode is not None and returncode > 0 and self.level is IsolationLevel.NAMESPACES:
            # bwrap reports a signal that killed the child as 128 + signal number
            returncode = -(returncode - 128) if returncode > 128 else returncode
        return ChildDied(returncode)

    def _unwrap(self, answer: Any) -> Any:
        if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
            raise BadAnswer("the sandbox answered with a malformed message")
        if answer["ok"]:
            return answer.get("value")
        error = answer.get("error")
        if not isinstance(error, dict):
            raise BadAnswer("the sandbox answered with a malformed error")
        error_type = str(error.get("type", "Error"))
        message = str(error.get("message", ""))
        if error.get("memory") is True:
            raise MemoryLimit(self.limits.memory_bytes, f"{error_type}: {message[:200]}")
        raise StudentRaised(error_type, message, str(error.get("traceback", "")))
