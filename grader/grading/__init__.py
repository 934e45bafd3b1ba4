"""Grading one submission: staging, the sandbox, the student proxy, the pytest plugin, the runner."""
