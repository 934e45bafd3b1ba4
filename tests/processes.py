"""Finding processes by a marker in their command line (to prove none outlived a sandbox)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path


def unique_sleep() -> str:
    """A duration for `sleep` that is also a unique marker: sleep rejects any non-number argument and exits
    at once, which would make a "no process survived" check pass vacuously."""
    return f"100000.{uuid.uuid4().int % 10**12:012d}"


def processes_with(marker: str) -> list[int]:
    """The pids of live processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def wait_for_processes_with(marker: str, timeout: float = 3.0) -> list[int]:
    """`processes_with(marker)`, polled until it finds one or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while not (found := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found
