"""Tools for the instructor who writes an assignment: scaffolding and the mutation audit of a hidden suite."""
