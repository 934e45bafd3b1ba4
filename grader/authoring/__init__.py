"""Tools for the instructor who writes an assignment: scaffolding (`new`), the validity checks of a hidden
suite and its catalogue (`validate`), and the mutation audit of a hidden suite (`audit`)."""
