"""A pids cgroup per sandbox, where this machine lets the grader make one.

It bounds how many processes and threads student code may have (a fork bomb stops at the limit), and
it finds every process the child started, even those that left its session, so that all of them are
killed when the sandbox stops. Needs write access to a cgroup hierarchy with the pids controller (cgroup
v1 `pids`, or a cgroup v2 tree with `pids` enabled), as root usually has; otherwise `create` returns None
and the sandbox relies on its PID namespace or process group instead (`grader doctor` says which).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

V1_ROOT = Path("/sys/fs/cgroup/pids")
V2_ROOT = Path("/sys/fs/cgroup")


def _usable_root() -> Path | None:
    if (V1_ROOT / "cgroup.procs").exists() and os.access(V1_ROOT, os.W_OK):
        return V1_ROOT
    if (V2_ROOT / "cgroup.controllers").exists() and _has_pids_v2(V2_ROOT) and os.access(V2_ROOT, os.W_OK):
        return V2_ROOT
    return None


def _has_pids_v2(root: Path) -> bool:
    try:
        return "pids" in (root / "cgroup.subtree_control").read_text().split()
    except OSError:
        return False


class PidsCgroup:
    """One cgroup: `enter()` in the child before exec, `kill_all()` and `remove()` from the grader."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, max_pids: int) -> PidsCgroup | None:
        root = _usable_root()
        if root is None:
            return None
        path = root / f"grader-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(max_pids))
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            return None
        return cls(path)

    def enter(self) -> None:
        """Move the calling process into the cgroup (run in the child between fork and exec)."""
        with open(self.path / "cgroup.procs", "w") as procs:
            procs.write(str(os.getpid()))

    def pids(self) -> list[int]:
        try:
            return [int(line) for line in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_all(self, wait: float = 2.0) -> None:
        """SIGKILL every process in the cgroup until it is empty (new forks are caught on the next pass)."""
        deadline = time.monotonic() + wait
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill_all()
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)


def available() -> bool:
    """Whether sandboxes here get a pids cgroup."""
    return unavailable_reason() is None


def unavailable_reason() -> str | None:
    """None when a sandbox here gets a pids cgroup (tried by making one), else why it does not."""
    v1 = (V1_ROOT / "cgroup.procs").exists()
    v2 = (V2_ROOT / "cgroup.controllers").exists() and _has_pids_v2(V2_ROOT)
    if not v1 and not v2:
        return f"no cgroup hierarchy with the pids controller under {V2_ROOT}"
    if _usable_root() is None:
        return f"no write access to {V1_ROOT if v1 else V2_ROOT} (the grader must run as root)"
    probe = PidsCgroup.create(16)
    if probe is None:
        return "the kernel refused to create a pids cgroup here"
    probe.remove()
    return None
