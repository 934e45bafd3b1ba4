"""The grader's error types. Each message is the sentence a user reads; the CLI maps them to exit codes."""

from __future__ import annotations


class GraderError(Exception):
    """Base class: something the grader could not do, said in a sentence a user can act on."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class SubmissionError(GraderError):
    """The submission cannot be read or staged (a symlink, an invalid notebook, no assignment found)."""


class ConfigurationError(GraderError):
    """The grader or a hidden suite is set up wrongly (points do not total 100, unknown assignment)."""

    exit_code = 3


class IsolationError(GraderError):
    """The sandbox cannot reach the isolation level the instructor required."""

    exit_code = 4


class SandboxStartError(GraderError):
    """The sandbox's child process could not start (before any student code ran): the grader's problem."""

    exit_code = 5
