"""The sandbox: a child process for student code, isolated as far as this machine allows."""

from .isolation import IsolationLevel, choose_level, fallback_reason
from .protocol import Handle, ProtocolViolation
from .sandbox import (
    BadAnswer,
    BudgetSpent,
    CallTimeout,
    ChildDied,
    Limits,
    MemoryLimit,
    Sandbox,
    SandboxFailure,
    StudentRaised,
)

__all__ = [
    "BadAnswer",
    "BudgetSpent",
    "CallTimeout",
    "ChildDied",
    "Handle",
    "IsolationLevel",
    "Limits",
    "MemoryLimit",
    "ProtocolViolation",
    "Sandbox",
    "SandboxFailure",
    "StudentRaised",
    "choose_level",
    "fallback_reason",
]
