"""`grader doctor`: what this machine gives the grader (isolation, limits, devices)."""

from __future__ import annotations

import platform
import sys

from . import __version__
from .runner import GradeConfig
from .sandbox import IsolationLevel, choose_level, fallback_reason
from .sandbox.isolation import find_bwrap


def diagnose() -> list[tuple[str, str]]:
    """(label, value) lines describing the grading environment."""
    import torch

    level = choose_level("best")
    reason = fallback_reason()
    limits = GradeConfig().limits()
    lines = [
        ("grader", __version__),
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("torch", torch.__version__),
        ("isolation", level.description),
        ("bubblewrap", find_bwrap() or "not found (install the `bubblewrap` package)"),
    ]
    if level is not IsolationLevel.NAMESPACES:
        lines.append(("why not namespaces", reason or "forced"))
    lines += [
        ("limits per call", f"{limits.call_timeout:g} s wall (--timeout)"),
        (
            "limits per process",
            f"{limits.memory_bytes / 1024**3:g} GiB address space, {limits.cpu_seconds} s CPU, "
            f"{limits.file_bytes >> 20} MiB per file, {limits.open_files} open files, "
            f"{limits.output_bytes >> 10} KiB of output kept per test",
        ),
        ("cuda", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available"),
        ("mps", "available" if torch.backends.mps.is_available() else "not available"),
    ]
    return lines
