"""Where a batch's gradings run: one interface over a local process pool and a Dask distributed cluster.

An `Executor` calls one module-level function over a list of argument tuples in worker processes and hands
back each call as it finishes (`Done`: the task's position, and its value or the exception it raised), so
that the caller can store each result at once. Two implementations, both existing engines (no scheduler of
our own):

- `LocalPool`: `concurrent.futures.ProcessPoolExecutor` on this machine, with the "spawn" context, never
  fork (the grader process holds torch threads); the machine's cores are shared among the workers.
- `DaskCluster`: a Dask distributed cluster (`scheduler` is its address, `tcp://host:8786`, or a
  `distributed` cluster object), which also reaches SLURM through dask-jobqueue. Paths leave this
  machine, so `resolve_paths` makes them absolute and checks that every worker sees them (a shared
  filesystem).

`executor_for(workers=..., scheduler=...)` picks one from `--workers` and `--scheduler`. An executor is a
context manager: entering it connects (Dask), leaving it disconnects; a pool lives for one `as_completed`.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from grader.errors import ConfigurationError

__all__ = ["DEFAULT_WORKERS", "DaskCluster", "Done", "Executor", "LocalPool", "executor_for"]

# One grading process unless asked for more: each grading is a pytest run beside a sandboxed child, and what
# a machine can take depends on its cores and memory (see bench/bench_batch.py).
DEFAULT_WORKERS = 1

T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """One finished call: `index` is its task's position in the submitted list; `error` what it raised
    (a worker that died, a lost Dask worker, a bug), else `value` what it returned."""

    index: int
    value: T | None = None
    error: Exception | None = None


class Executor(Protocol):
    """Runs calls of one function in worker processes and yields each as it finishes."""

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def resolve_paths(self, paths: Sequence[Path]) -> list[Path]:
        """`paths` as the workers will open them; a ConfigurationError when some worker cannot see one."""
        ...

    def as_completed(
        self, fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]], *, names: Sequence[str] | None = None
    ) -> Iterator[Done[T]]:
        """Call `fn(*task)` for each task, in any order and in parallel; yield each call's `Done` as it
        finishes, exactly once. `fn` must be importable by name (module level) and the tasks picklable.
        `names` label the tasks where the engine shows them (Dask's dashboard)."""
        ...


def executor_for(*, workers: int = DEFAULT_WORKERS, scheduler: Any = None) -> Executor:
    """`scheduler` None: a local pool of `workers` processes; else the Dask cluster at `scheduler`."""
    _check_workers(workers)
    return LocalPool(workers) if scheduler is None else DaskCluster(scheduler)


def _check_workers(workers: int) -> None:
    if workers < 1:
        raise ConfigurationError(f"--workers must be at least 1, not {workers}")


def share_cores(threads: int) -> None:
    """Give torch `threads` threads in this worker: each would otherwise take all of the machine's cores."""
    import torch

    torch.set_num_threads(threads)


def _done(index: int, future: Any) -> Done[Any]:
    try:
        return Done(index, value=future.result())
    except Exception as exc:  # a worker that died (BrokenProcessPool), a lost Dask worker, or a bug
        return Done(index, error=exc)


class LocalPool:
    """Up to `workers` spawned processes on this machine, sharing its cores."""

    def __init__(self, workers: int = DEFAULT_WORKERS) -> None:
        _check_workers(workers)
        self.workers = workers

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def resolve_paths(self, paths: Sequence[Path]) -> list[Path]:
        return list(paths)  # the workers run here, in this directory

    def as_completed(
        self, fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]], *, names: Sequence[str] | None = None
    ) -> Iterator[Done[T]]:
        if not tasks:
            return
        workers = min(self.workers, len(tasks))
        threads = max(1, (os.cpu_count() or 1) // workers)
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=share_cores,
            initargs=(threads,),
        ) as pool:
            futures = {pool.submit(fn, *task): index for index, task in enumerate(tasks)}
            for future in concurrent.futures.as_completed(futures):
                yield _done(futures[future], future)


def _missing_paths(paths: list[str]) -> list[str]:
    """The paths this worker cannot see (runs on each Dask worker)."""
    return [path for path in paths if not os.path.lexists(path)]


class DaskCluster:
    """The workers of a Dask distributed cluster: `scheduler` is its address or a `distributed` cluster."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self._client: Any = None

    def __enter__(self) -> DaskCluster:
        try:
            import distributed
        except ImportError:
            raise ConfigurationError(
                "grading on a Dask scheduler needs the dask extra",
                hint='pip install "course-grader[dask]"',
            ) from None
        try:
            client = distributed.Client(self.scheduler)
        except (OSError, TimeoutError) as exc:
            raise ConfigurationError(f"cannot reach the Dask scheduler {self.scheduler}: {exc}") from None
        try:
            # As in the local pool: one torch thread per call; the workers' cores go to parallel calls.
            client.run(share_cores, 1)
        except BaseException:
            client.close()
            raise
        self._client = client
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> Any:
        if self._client is None:
            raise RuntimeError("enter the DaskCluster (`with executor:`) before submitting work")
        return self._client

    def resolve_paths(self, paths: Sequence[Path]) -> list[Path]:
        resolved = [Path(os.path.abspath(path)) for path in paths]  # absolute; symlinks stay links
        unseen = {
            worker: where
            for worker, where in self.client.run(_missing_paths, [str(path) for path in resolved]).items()
            if where
        }
        if unseen:
            worker, where = next(iter(unseen.items()))
            raise ConfigurationError(
                f"{len(unseen)} Dask worker(s) cannot see the submissions "
                f"(e.g. on {worker}, {where[0]} does not exist)",
                hint="put the submissions on a filesystem every worker mounts at the same path",
            )
        return resolved

    def as_completed(
        self, fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]], *, names: Sequence[str] | None = None
    ) -> Iterator[Done[T]]:
        import distributed

        if not tasks:
            return
        prefix, token = getattr(fn, "__name__", "task"), os.urandom(4).hex()
        labels = list(names) if names is not None else [str(index) for index in range(len(tasks))]
        futures = self.client.map(
            fn,
            *(list(column) for column in zip(*tasks)),
            pure=False,  # run every call, even two with equal arguments
            key=[f"{prefix}-{label}-{index}-{token}" for index, label in enumerate(labels)],
        )
        where = {future.key: index for index, future in enumerate(futures)}
        for future in distributed.as_completed(futures):
            yield _done(where[future.key], future)
