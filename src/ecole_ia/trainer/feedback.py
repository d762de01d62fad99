"""Feedback: one HTML page per learner, in French, with the score of each question and the
messages of the tests — never the source of the tests (nbgrader 0.9's own feedback shows
hidden tests; a learner must not be able to read them there)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..course import Course
from ..notebooks import nbgrader_meta, notebook_paths, read_notebook
from .autograde import GradeResult
from .roster import Learner

_env = Environment(loader=PackageLoader("ecole_ia.trainer", "templates"),
                   autoescape=select_autoescape(["html", "j2"]))


def question_titles(course: Course, assignment: str) -> dict[str, str]:
    """Test grade_id → the heading of the statement above it ("Question 2 — Prix TTC")."""
    titles = {}
    for path in notebook_paths(course.exercises / assignment):
        heading = None
        for cell in read_notebook(path).cells:
            if cell.cell_type == "markdown":
                found = re.search(r"^#+\s*(.+)$", cell.source, re.M)
                heading = found.group(1).strip() if found else heading
            meta = nbgrader_meta(cell)
            if meta.get("grade") and heading:
                titles[meta["grade_id"]] = heading
    return titles


def _duration(seconds: float) -> str:
    hours, minutes = divmod(int(seconds) // 60, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} j"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
    return " ".join(parts)


def write_feedback(course: Course, assignment: str, title: str, learner: Learner,
                   result: GradeResult, late_seconds: float | None = None) -> Path:
    """Write grading/feedback/<learner>/<assignment>/feedback.html; return its path."""
    html = _env.get_template("feedback.html.j2").render(
        title=title, learner=learner, result=result, titles=question_titles(course, assignment),
        late=_duration(late_seconds) if late_seconds else None)
    path = course.grading / "feedback" / learner.id / assignment / "feedback.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
