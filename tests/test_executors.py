"""One executor interface over a local process pool and a Dask cluster: each call comes back once, as it
finishes, with its task's position, its value or what it raised; --workers/--scheduler choose the engine.

The functions the workers run are trivial ones from this module (importable by name, as `grade_one` is).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from grader.classroom.executors import DaskCluster, Done, LocalPool, executor_for
from grader.errors import ConfigurationError


def square(x: int) -> int:
    return x * x


def fails_on_odd(x: int) -> int:
    if x % 2:
        raise ValueError(f"odd: {x}")
    return x


def wait_then_touch(wait_for: str, touch: str) -> str:
    """Wait (at most a minute) until `wait_for` exists, if named; then create `touch`, if named."""
    deadline = time.monotonic() + 60
    while wait_for and not Path(wait_for).exists():
        if time.monotonic() > deadline:
            return "timed out"
        time.sleep(0.02)
    if touch:
        Path(touch).touch()
    return "done"


def _run(executor, fn, tasks, **kwargs) -> list[Done]:
    with executor:
        return list(executor.as_completed(fn, tasks, **kwargs))


# ---------------------------------------------------------------- choosing an executor (nothing started)


def test_workers_and_scheduler_choose_the_executor():
    assert isinstance(executor_for(workers=3), LocalPool) and executor_for(workers=3).workers == 3
    assert isinstance(executor_for(), LocalPool) and executor_for().workers == 1
    assert isinstance(executor_for(scheduler="tcp://127.0.0.1:1"), DaskCluster)


@pytest.mark.parametrize("scheduler", [None, "tcp://127.0.0.1:1"])
def test_fewer_than_one_worker_is_a_configuration_error_also_with_a_scheduler(scheduler):
    with pytest.raises(ConfigurationError, match="--workers must be at least 1, not 0"):
        executor_for(workers=0, scheduler=scheduler)


def test_no_tasks_start_no_pool():
    pool = LocalPool(2)
    with pool:
        assert list(pool.as_completed(square, [])) == []
        assert pool.resolve_paths([Path("a/b")]) == [Path("a/b")]  # the workers run here, in this folder


# ---------------------------------------------------------------- the local pool


def test_local_pool_returns_each_call_once_with_its_index_and_value_or_error():
    done = _run(LocalPool(2), fails_on_odd, [(n,) for n in range(5)])
    assert sorted(d.index for d in done) == [0, 1, 2, 3, 4]
    by_index = {d.index: d for d in done}
    assert [by_index[i].value for i in (0, 2, 4)] == [0, 2, 4]
    assert all(by_index[i].error is None for i in (0, 2, 4))
    assert [str(by_index[i].error) for i in (1, 3)] == ["odd: 1", "odd: 3"]
    assert isinstance(by_index[1].error, ValueError) and by_index[1].value is None


def test_local_pool_yields_calls_as_they_finish_not_in_submission_order(tmp_path):
    """The first task waits for a file that only the second creates: the second must come back first."""
    flag = str(tmp_path / "second-finished")
    tasks = [(flag, ""), ("", flag)]
    done = _run(LocalPool(2), wait_then_touch, tasks)
    assert [d.index for d in done] == [1, 0]
    assert [d.value for d in done] == ["done", "done"]


# ---------------------------------------------------------------- Dask, on an in-process LocalCluster


@pytest.fixture
def cluster():
    distributed = pytest.importorskip("distributed")
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()  # the workers are threads of this process: share_cores sets ours
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as local:
        yield local
    torch.set_num_threads(threads)


def test_dask_returns_each_call_once_with_its_index_and_value_or_error(cluster):
    tasks = [(n,) for n in range(5)]
    done = _run(DaskCluster(cluster), fails_on_odd, tasks, names=[f"n{n}" for n in range(5)])
    assert sorted(d.index for d in done) == [0, 1, 2, 3, 4]
    assert {d.index: (d.value, repr(d.error)) for d in done} == {
        0: (0, "None"),
        1: (None, "ValueError('odd: 1')"),
        2: (2, "None"),
        3: (None, "ValueError('odd: 3')"),
        4: (4, "None"),
    }  # as the local pool gives them


def test_dask_yields_calls_as_they_finish(cluster, tmp_path):
    flag = str(tmp_path / "second-finished")
    done = _run(DaskCluster(cluster), wait_then_touch, [(flag, ""), ("", flag)])
    assert [d.index for d in done] == [1, 0]


def test_dask_resolves_paths_and_refuses_one_a_worker_cannot_see(cluster, tmp_path, monkeypatch):
    (tmp_path / "ada").mkdir()
    monkeypatch.chdir(tmp_path)
    with DaskCluster(cluster) as executor:
        assert executor.resolve_paths([Path("ada")]) == [tmp_path / "ada"]
        with pytest.raises(ConfigurationError, match=r"2 Dask worker\(s\) cannot see the submissions"):
            executor.resolve_paths([Path("ben")])


def test_an_unreachable_scheduler_is_a_configuration_error():
    pytest.importorskip("distributed")
    import dask

    executor = executor_for(scheduler="tcp://127.0.0.1:9")
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(
            ConfigurationError, match=re.escape("cannot reach the Dask scheduler tcp://127.0.0.1:9")
        ),
        executor,
    ):
        pass
