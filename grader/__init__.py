"""Course autograder: stage a submission, run its code in a sandbox, score it with hidden pytest suites."""

__version__ = "0.1.0"
