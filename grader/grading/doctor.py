"""`grader doctor`: what this machine gives the grader (isolation, limits, devices).

Every limit and isolation mechanism the sandbox uses (grading/sandbox/) has a line: whether this machine
gives it, what it does, and what grading here loses without it.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
from dataclasses import dataclass

from grader import __version__
from grader.grading.runner import GradeConfig
from grader.grading.sandbox import IsolationLevel, Limits, choose_level, fallback_reason
from grader.grading.sandbox import cgroup as pids_cgroup
from grader.grading.sandbox.isolation import find_bwrap
from grader.grading.sandbox.sandbox import rlimits


@dataclass(frozen=True)
class Mechanism:
    """One mechanism of the sandbox: what it does, whether this machine gives it, what is lost without it."""

    name: str
    available: bool
    does: str
    without: str
    reason: str = ""  # why it is not available

    def line(self) -> tuple[str, str]:
        state = "available" if self.available else f"NOT available ({self.reason})"
        return self.name, f"{state} — {self.does}. Without it: {self.without}."


# name -> (label, what it does, what is lost without it), for each rlimit of sandbox.rlimits(); {soft} is
# the limit's value in the unit the text names.
RLIMIT_TEXT = {
    "RLIMIT_AS": (
        "memory limit",
        "{soft} GiB of address space per process (RLIMIT_AS), an allocation beyond it fails the test as "
        "a memory limit",
        "a memory bomb can exhaust the machine's memory, and the kernel may kill the grader instead",
    ),
    "RLIMIT_CPU": (
        "CPU time limit",
        "{soft} s of CPU per process (RLIMIT_CPU)",
        "code that keeps computing between calls (in a thread) is stopped only by the wall-clock limits",
    ),
    "RLIMIT_FSIZE": (
        "file size limit",
        "{soft} MiB per file written, the captured output included (RLIMIT_FSIZE)",
        "a file or an output flood can fill the disk",
    ),
    "RLIMIT_NOFILE": (
        "open files limit",
        "{soft} open files per process (RLIMIT_NOFILE)",
        "student code can hold as many files and sockets as the machine allows",
    ),
    "RLIMIT_CORE": (
        "core dumps",
        "off (RLIMIT_CORE 0)",
        "a crash in native code may write a core file as large as the process",
    ),
}


def _rlimit_value(name: str, soft: int) -> str:
    if name == "RLIMIT_AS":
        return f"{soft / 1024**3:g}"
    if name == "RLIMIT_FSIZE":
        return str(soft >> 20)
    return str(soft)


def _rlimit_reason(name: str, hard: int) -> str:
    """Why the child could not get this rlimit here, or '' when it can."""
    kind = getattr(resource, name, None)
    if kind is None:
        return f"this system has no {name}"
    current = resource.getrlimit(kind)[1]
    if current != resource.RLIM_INFINITY and current < hard and os.geteuid() != 0:
        return (
            f"the grader's own hard limit is {current}, below {hard}: "
            "raise it (ulimit -H), or the sandbox cannot start"
        )
    return ""


def mechanisms(limits: Limits | None = None) -> list[Mechanism]:
    """Every limit and isolation mechanism the sandbox uses, as this machine gives it."""
    limits = limits or GradeConfig().limits()
    namespaces_missing = fallback_reason()
    cgroup_missing = pids_cgroup.unavailable_reason()
    found = [
        Mechanism(
            "namespaces (bubblewrap)",
            namespaces_missing is None,
            "new user, PID, network, IPC, UTS and cgroup namespaces, so no network, only the Python runtime "
            "(read-only) and the scratch copy of the submission in view, /tmp and the working folder in "
            f"memory ({limits.scratch_bytes >> 20} MiB each), every process gone when the grader stops",
            "student code runs as a plain process that can read this machine's files (the hidden suites, "
            "the reference) and reach the network, and what it starts can outlive the grader",
            namespaces_missing or "",
        ),
        Mechanism(
            "pids cgroup",
            cgroup_missing is None,
            f"at most {limits.max_processes} processes and threads per sandbox, and every process student "
            "code starts is killed when its test ends",
            "no cap on processes and threads (a fork bomb stops only at the machine's own limits), and what "
            "student code starts in the background runs on until the sandbox stops"
            + (
                " (its PID namespace then ends it)"
                if namespaces_missing is None
                else "; then only what stayed in its process group is killed"
            ),
            cgroup_missing or "",
        ),
    ]
    for name, (soft, hard) in rlimits(limits).items():
        label, does, without = RLIMIT_TEXT[name]
        reason = _rlimit_reason(name, hard)
        does = does.format(soft=_rlimit_value(name, soft))
        found.append(Mechanism(label, not reason, does, without, reason))
    root = os.geteuid() == 0
    found.append(
        Mechanism(
            "unprivileged user (--run-as)",
            root,
            "student code can run as another user with no rights to the grader's files (the Gradescope "
            "export runs it as nobody)",
            "student code runs as the grader's own user: without namespaces it can read and change what the "
            "grader can (the hidden suites, the results file) and signal the grader",
            "" if root else "only a grader running as root can switch users",
        )
    )
    return found


def diagnose() -> list[tuple[str, str]]:
    """(label, value) lines describing the grading environment."""
    import torch

    level = choose_level("best")
    reason = fallback_reason()
    config = GradeConfig()
    limits = config.limits()
    lines = [
        ("grader", __version__),
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("torch", torch.__version__),
        ("isolation", level.description),
        ("bubblewrap", find_bwrap() or "not found (install the `bubblewrap` package)"),
    ]
    if level is not IsolationLevel.NAMESPACES:
        lines.append(("why not namespaces", reason or "forced"))
    lines += [mechanism.line() for mechanism in mechanisms(limits)]
    lines += [
        (
            "limits per call",
            f"{limits.call_timeout:g} s wall (--timeout); "
            f"{config.budget:g} s of grading per submission (--budget)",
        ),
        (
            "always in force",
            "the child's own session and process group, an environment of listed variables only, "
            f"{limits.threads} torch/BLAS thread, {limits.output_bytes >> 10} KiB of output kept per test",
        ),
        ("cuda", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available"),
        ("mps", "available" if torch.backends.mps.is_available() else "not available"),
    ]
    return lines
