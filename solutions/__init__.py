"""Reference solutions for the course assignments (stubs for students are generated from these files)."""
