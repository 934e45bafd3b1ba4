"""What grading produces and how people read it: verdicts, the typed record, the terminal report, feedback
pages, charts and the diagnosis of known mistakes."""
