"""Resume: when a stored result can stand for a new grading, so that a re-run grades only what changed.

A student's `results.json` records what was graded and how (`identity`): the submission's content hash, the
grader's version, the seed, the assignment asked for and the grading options that can change a score
(`grading_options`). It is reused when all of them are unchanged and it was graded or refused for the
submission's own fault (`is_up_to_date`); a grader error is always retried.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from grader import __version__
from grader.classroom.discovery import IGNORED_NAMES
from grader.grading.config import GradeConfig
from grader.results.record import Status

__all__ = ["content_hash", "grading_options", "identity", "is_up_to_date", "load_results"]


def content_hash(path: Path) -> str:
    """sha256 over the submission's files: each relative path and its bytes, in sorted order.

    Symlinks are not followed: their target text is hashed, so changing where one points is a change.
    """
    path = Path(path)
    digest = hashlib.sha256()
    items: list[tuple[str, bytes]] = []
    if path.is_symlink() or not path.is_dir():
        items.append((path.name, _entry_bytes(path)))
    else:
        for root, dirs, files in os.walk(path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in IGNORED_NAMES)
            for name in [*files, *(d for d in dirs if Path(root, d).is_symlink())]:
                full = Path(root, name)
                items.append((full.relative_to(path).as_posix(), _entry_bytes(full)))
    for relative, data in sorted(items):
        encoded = relative.encode("utf-8", "surrogateescape")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _entry_bytes(path: Path) -> bytes:
    try:
        info = path.lstat()
    except OSError:
        return b"<missing>"
    if stat.S_ISLNK(info.st_mode):
        return b"<symlink>" + os.fsencode(os.readlink(path))
    if not stat.S_ISREG(info.st_mode):
        return b"<special>"
    try:
        return path.read_bytes()
    except OSError as exc:
        return f"<unreadable: {exc.strerror}>".encode()


def identity(student: str, path: Path, config: GradeConfig, assignment: str | None) -> dict[str, Any]:
    """What a results row records about what was graded, and how: the keys resume compares."""
    return {
        "student": student,
        "submission": str(path),
        "content_hash": content_hash(path),
        "grader_version": __version__,
        "seed": config.seed,
        "assignment": assignment,
        "options": grading_options(config),
    }


def grading_options(config: GradeConfig) -> dict[str, Any]:
    """The grading options besides the seed that can change a score: a change regrades on resume."""
    return {
        "device": config.device,
        "timeout": config.timeout,
        "budget": config.budget,
        "memory_gib": config.memory_gib,
        "isolation": config.isolation,
        "run_as": config.run_as,
    }


def load_results(path: Path) -> dict[str, Any] | None:
    """A stored results.json, or None when it is absent, unreadable or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_up_to_date(
    previous: dict[str, Any] | None, digest: str, config: GradeConfig, assignment: str | None
) -> bool:
    """Whether `previous` (a stored results.json) can stand for grading the submission whose content hash is
    `digest` with `config` as `assignment`: graded or refused, and nothing it was graded with has changed."""
    return (
        previous is not None
        and previous.get("status") in (Status.GRADED.value, Status.ERROR.value)
        and previous.get("content_hash") == digest
        and previous.get("grader_version") == __version__
        and previous.get("seed") == config.seed
        and previous.get("assignment") == assignment
        and previous.get("options") == grading_options(config)
    )
