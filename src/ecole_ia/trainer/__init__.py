"""The trainer's weekly cycle, on nbgrader's own machinery:
roster → release → collect → autograde (in parallel) → feedback → reports."""
