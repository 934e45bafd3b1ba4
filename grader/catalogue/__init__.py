"""Each assignment's catalogue of realistic bugs and valid alternatives, one module per assignment.

A module holds VARIANTS (each a small edit of the reference with the exact hidden tests it loses and the hints
it must show), ALTERNATIVES (choices the handout leaves open: each must score 100), STUB (the release as
handed out) and GENERIC_HINTS (hints any variant may show). The validity tests grade every entry;
`grader.diagnosis` reads the same entries to name the mistake a student's results point to. Instructor side:
never released."""
