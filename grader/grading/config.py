"""How to grade one submission: the typed config every grading command builds, and the owner of its defaults.

Kept apart from the runner so that the command line can read the defaults (each option's `default`, shown in
`--help`) without importing pytest, torch and the sandbox at start-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grader.errors import ConfigurationError

if TYPE_CHECKING:
    from grader.grading.sandbox import Limits

__all__ = ["DEFAULTS", "ISOLATIONS", "GradeConfig", "resolve_user"]

# best: namespaces where bubblewrap works, else a plain process (every report says so); strict: refuse to
# grade without namespaces; process: never use them.
ISOLATIONS = ("best", "strict", "process")


@dataclass(frozen=True)
class GradeConfig:
    """How to grade: the seed every random choice derives from, limits, device and isolation required."""

    seed: int = 0  # fixed, so that a class is graded alike and a regrade gives the same scores
    device: str = "cpu"  # grading works everywhere on the CPU; a GPU only when asked for
    timeout: float = 10.0  # seconds per call into student code: the reference needs well under one
    budget: float = 300.0  # seconds of grading per submission; what is not reached by then is "not run"
    memory_gib: float = 6.0
    isolation: str = "best"  # never fails open silently: a lower level is named in every report
    visibility: str = "visible"
    run_as: str | None = None  # a user name: student code runs with its uid and gid (the grader is root)

    def limits(self) -> Limits:
        from grader.grading.sandbox import Limits

        return Limits(
            call_timeout=self.timeout,
            memory_bytes=int(self.memory_gib * 1024**3),
            device=self.device,
            run_as=resolve_user(self.run_as) if self.run_as else None,
        )


def resolve_user(name: str) -> tuple[int, int]:
    """(uid, gid) of the account `name`; a ConfigurationError when it is unknown or we cannot switch to it."""
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise ConfigurationError(f"--run-as: there is no user {name!r} on this machine") from None
    if entry.pw_uid == 0:
        raise ConfigurationError(f"--run-as {name}: student code must not run as root")
    if os.geteuid() != 0:
        raise ConfigurationError(
            f"--run-as {name}: only root can run student code as another user",
            hint="run the grader as root (as Gradescope does), or leave out --run-as",
        )
    return entry.pw_uid, entry.pw_gid


DEFAULTS = GradeConfig()  # the defaults of every grading option, on the command line and in the library
