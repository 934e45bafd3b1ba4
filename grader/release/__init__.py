"""Releasing an assignment to students: stubs, public tests, the check runner, the nbgrader source course."""
