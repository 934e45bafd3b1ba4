"""Grading a class: batches, gradebooks and LMS exports, the nbgrader gradebook, the Gradescope autograder,
the sample submissions and similarity."""
