"""The sandbox keeps its promises: one adversarial test per promise, at each isolation level here."""

import socket
import textwrap
import time
from pathlib import Path

import pytest
import torch
from processes import processes_with, unique_sleep, wait_for_processes_with

from grader.assignments import PACKAGE_ROOT, SOLUTIONS_ROOT
from grader.grading.sandbox import (
    BadAnswer,
    CallTimeout,
    ChildDied,
    IsolationLevel,
    Limits,
    MemoryLimit,
    Sandbox,
    StudentRaised,
    fallback_reason,
)

STUDENT = """
import os, subprocess, sys, time
import torch

print("imported")

def double(x):
    return x * 2

def fail():
    raise ValueError("a student bug")

def leave():
    os._exit(0)

def spin():
    while True:
        pass

def hog():
    return torch.empty(20 * 1024**3, dtype=torch.uint8)

def trick():
    class AlwaysEqual:
        def __eq__(self, other):
            return True
    return AlwaysEqual()

def forge():
    os.write(int(sys.argv[2]), b"\\x00\\x00\\x00\\x03\\xc1\\xc1\\xc1")
    time.sleep(30)

def spawn(marker):
    subprocess.Popen(["sleep", marker], start_new_session=True)
    return True

def look(paths):
    return {p: os.path.exists(p) for p in paths}

def environment():
    return dict(os.environ), os.getuid()

def fork_bomb():
    children = []
    try:
        for _ in range(2000):
            children.append(subprocess.Popen(["sleep", "1000"]))
    except OSError as exc:
        return len(children), str(exc)
    return len(children), "no limit"

def fill(folder):
    chunk = b"x" * (1 << 20)
    written = 0
    try:
        for index in range(2000):
            with open(f"{folder}/fill-{index}", "wb") as f:
                f.write(chunk)
            written += 1
    except OSError as exc:
        return written, str(exc)
    return written, "no limit"

def hoard():
    return [open(__file__) for _ in range(100000)]

def tamper():
    with open(__file__, "a") as f:
        f.write("# changed")

def connect(port):
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "connected"
"""

LEVELS = [IsolationLevel.PROCESS, IsolationLevel.NAMESPACES]


def make_sandbox(tmp_path, level):
    if level is IsolationLevel.NAMESPACES and fallback_reason() is not None:
        pytest.fail(
            f"namespaces are required for this test run (.ci/run installs bubblewrap): {fallback_reason()}"
        )
    package = tmp_path / "work" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "student.py").write_text(textwrap.dedent(STUDENT))
    return Sandbox(tmp_path / "work", level=level, limits=Limits(call_timeout=5, memory_bytes=4 * 1024**3))


@pytest.fixture(params=LEVELS, ids=lambda level: level.value)
def sandbox(request, tmp_path):
    with make_sandbox(tmp_path, request.param) as box:
        yield box


@pytest.fixture
def isolated(tmp_path):
    """Promises only the namespaces level makes (the process level says so in every report)."""
    with make_sandbox(tmp_path, IsolationLevel.NAMESPACES) as box:
        yield box


def call(box, name, *args, **kwargs):
    return box.request(
        {
            "op": "call",
            "target": {"module": "pkg.student", "attr": name},
            "args": list(args),
            "kwargs": kwargs,
        }
    )


def test_a_call_returns_plain_values_and_the_output_is_captured(sandbox):
    assert torch.equal(call(sandbox, "double", torch.arange(3)), torch.tensor([0, 2, 4]))
    assert "imported" in sandbox.take_output()
    assert sandbox.take_output() == ""


def test_an_exception_comes_back_with_a_traceback_of_student_frames_only(sandbox):
    with pytest.raises(StudentRaised) as info:
        call(sandbox, "fail")
    assert info.value.error_type == "ValueError"
    assert "a student bug" in info.value.error_message
    assert 'File "pkg/student.py"' in info.value.student_traceback
    assert "_sandbox_child" not in info.value.student_traceback


def test_exit_costs_the_call_and_the_child_restarts(sandbox):
    call(sandbox, "double", 1)
    with pytest.raises(ChildDied, match="exited with status 0"):
        call(sandbox, "leave")
    assert call(sandbox, "double", 2) == 4
    assert sandbox.starts == 2


def test_a_hang_times_out_and_the_child_is_killed(sandbox):
    call(sandbox, "double", 1)
    pid = sandbox.process.pid
    started = time.monotonic()
    with pytest.raises(CallTimeout, match="5 s"):
        call(sandbox, "spin")
    assert time.monotonic() - started < 8
    assert not Path(f"/proc/{pid}").exists()


def test_a_memory_bomb_hits_the_limit(sandbox):
    with pytest.raises(MemoryLimit, match="memory limit"):
        call(sandbox, "hog")


def test_an_object_with_a_lying_eq_cannot_cross(sandbox):
    with pytest.raises(StudentRaised, match="cannot read"):
        call(sandbox, "trick")


def test_a_forged_frame_is_rejected_and_the_child_stopped(sandbox):
    with pytest.raises(BadAnswer, match="cannot accept"):
        call(sandbox, "forge")
    assert not sandbox.alive


def test_the_environment_is_an_allow_list(sandbox, monkeypatch):
    monkeypatch.setenv("INSTRUCTOR_SECRET", "hunter2")
    sandbox.stop()
    environment, uid = call(sandbox, "environment")
    assert "INSTRUCTOR_SECRET" not in environment
    assert set(environment) <= {
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "PWD",
        "PYTHONHASHSEED",
        "PYTHONUNBUFFERED",
        "PYTHONDONTWRITEBYTECODE",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "GRADER_THREADS",
        "CUDA_VISIBLE_DEVICES",
        "GRADER_DEVICE",
    }
    if sandbox.level is IsolationLevel.NAMESPACES:
        assert uid != 0


def test_the_grader_the_reference_and_home_are_invisible(isolated):
    secret_paths = [
        str(PACKAGE_ROOT),
        str(SOLUTIONS_ROOT),
        str(PACKAGE_ROOT / "hidden"),
        str(Path.home() / ".bashrc"),
        "/etc/shadow",
    ]
    assert call(isolated, "look", secret_paths) == dict.fromkeys(secret_paths, False)


def test_the_grading_hosts_network_is_unreachable(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with make_sandbox(tmp_path / "plain", IsolationLevel.PROCESS) as plain:
            assert call(plain, "connect", port) == "connected"  # the control: the listener is reachable
        with make_sandbox(tmp_path / "isolated", IsolationLevel.NAMESPACES) as isolated:
            assert "Connection refused" in call(isolated, "connect", port)


def test_no_process_outlives_the_sandbox(isolated):
    marker = unique_sleep()
    assert call(isolated, "spawn", marker) is True
    assert wait_for_processes_with(marker), "the student's process did not start"
    isolated.stop()
    time.sleep(0.5)
    assert processes_with(marker) == []


def test_a_fork_bomb_stops_at_the_process_limit_and_is_cleaned_up(isolated):
    if isolated.cgroup is None:
        pytest.fail("no pids cgroup could be made here (grader doctor says why); the limit is not enforced")
    started, reason = call(isolated, "fork_bomb")
    assert started < isolated.limits.max_processes and "Resource temporarily unavailable" in reason
    isolated.stop()
    assert isolated.cgroup.pids() == []
    assert call(isolated, "double", 3) == 6


@pytest.mark.parametrize("folder", ["/tmp", "/sandbox/work"])
def test_writable_space_is_bounded(isolated, folder):
    written, reason = call(isolated, "fill", folder)
    assert written <= isolated.limits.scratch_bytes >> 20 and "No space left" in reason


def test_the_submission_cannot_be_changed_from_inside(isolated):
    with pytest.raises(StudentRaised, match="Read-only file system"):
        call(isolated, "tamper")


@pytest.mark.parametrize("level", LEVELS, ids=lambda level: level.value)
def test_reaping_kills_what_the_student_started_and_keeps_the_child(tmp_path, level):
    with make_sandbox(tmp_path, level) as box:
        if box.cgroup is None:
            pytest.fail("no pids cgroup could be made here (grader doctor says why)")
        marker = unique_sleep()
        assert call(box, "spawn", marker) is True
        assert wait_for_processes_with(marker), "the student's process did not start"
        assert box.reap() >= 1
        time.sleep(0.3)
        assert processes_with(marker) == []
        assert call(box, "double", 5) == 10 and box.starts == 1


def test_the_cpu_time_limit_is_named(tmp_path):
    with make_sandbox(tmp_path, IsolationLevel.NAMESPACES) as box:
        box.limits = Limits(call_timeout=30, cpu_seconds=3, memory_bytes=4 * 1024**3)
        with pytest.raises(ChildDied, match="CPU time limit"):
            call(box, "spin")


def test_the_open_files_limit_is_named(tmp_path):
    with (
        make_sandbox(tmp_path, IsolationLevel.NAMESPACES) as box,
        pytest.raises(StudentRaised, match="Too many open files"),
    ):
        box.request({"op": "call", "target": {"module": "pkg.student", "attr": "hoard"}})


def test_strict_isolation_refuses_to_fall_back(monkeypatch):
    from grader.errors import IsolationError
    from grader.grading.sandbox import isolation

    monkeypatch.setattr(isolation, "probe_namespaces", lambda: "bubblewrap (bwrap) is not installed")
    assert isolation.choose_level("best") is IsolationLevel.PROCESS
    with pytest.raises(IsolationError, match="strict needs namespaces, but bubblewrap"):
        isolation.choose_level("strict")


def test_the_runtime_is_mounted_over_tmp_not_under_it(tmp_path):
    from grader.grading.sandbox.isolation import bwrap_command, runtime_paths

    command = bwrap_command(
        ["python"], work_dir=tmp_path, runner_dir=tmp_path, scratch_bytes=1 << 20, environment={}
    )
    tmp_mount = command.index("/tmp", command.index("--tmpfs"))
    for path in runtime_paths():
        if str(path) in command:
            assert command.index(str(path)) > tmp_mount, path


def test_a_child_that_cannot_start_is_the_graders_error(tmp_path):
    from grader.errors import SandboxStartError

    (tmp_path / "work").mkdir()
    box = Sandbox(tmp_path / "work", level=IsolationLevel.PROCESS, python="/bin/false")
    with pytest.raises(SandboxStartError, match="could not start"):
        box.start()
    box.close()
