"""The grading engine: steps added to nbgrader's own pipeline (registered in
`nbgrader_config.py`), so that `nbgrader autograde`, formgrader, `ecole-ia autograde` and the
grading contract all grade the same way."""
