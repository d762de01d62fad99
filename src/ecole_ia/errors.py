"""Errors that carry their context: which file, which cell, and what to do."""

from __future__ import annotations


class CourseError(Exception):
    """A problem a maintainer or trainer must fix; the message says what and where."""


class SyllabusError(CourseError):
    """The syllabus is invalid; `problems` lists every problem found, not just the first."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(f"- {p}" for p in problems))


class NotebookError(CourseError):
    """A notebook cannot be read or processed."""
