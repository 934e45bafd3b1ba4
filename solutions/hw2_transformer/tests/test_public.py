"""Public tests for assignment 2 (placeholder)."""
