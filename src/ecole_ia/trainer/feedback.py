"""Feedback: one HTML page per learner, in French, with the score of each question, the
messages of the tests, and for what a trainer grades by hand the criteria of the grid with
the level given and the trainer's comments — never the source of the tests (nbgrader 0.9's
own feedback shows hidden tests; a learner must not be able to read them there).

Scores and comments are read from the gradebook when the page is written (see
hand_grading.py): a page written before the trainer finished says which criteria are still
waiting, and writing it again afterwards shows the trainer's grades.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..course import Course
from ..grids import Grid
from ..notebooks import nbgrader_meta, notebook_paths, read_notebook
from .hand_grading import PENDING, WAITING, Standing
from .roster import Learner

_env = Environment(loader=PackageLoader("ecole_ia.trainer", "templates"),
                   autoescape=select_autoescape(["html", "j2"]))


def points_fr(value: float) -> str:
    """1.5 -> "1,5" (French decimal comma), 3.0 -> "3"."""
    return f"{value:g}".replace(".", ",")


_env.filters["pts"] = points_fr


def question_titles(course: Course, assignment: str) -> dict[str, str]:
    """Graded grade_id → the heading of the statement above it ("Question 2 — Prix TTC")."""
    titles = {}
    for path in notebook_paths(course.exercises / assignment):
        heading = None
        for cell in read_notebook(path).cells:
            if cell.cell_type == "markdown":
                found = re.search(r"^#+\s*(.+)$", cell.source, re.M)
                heading = found.group(1).strip() if found else heading
            meta = nbgrader_meta(cell)
            if (meta.get("grade") or meta.get("task")) and heading:
                titles[meta["grade_id"]] = heading
    return titles


@dataclass
class CriterionLine:
    """One criterion of the grid, as the learner reads it."""

    title: str
    competency: str
    score: float
    points: float
    level: str        # what the level reached means (the grid's words)
    comment: str      # the trainer's
    pending: bool
    note: str = ""    # what grading said by itself ("Pas de réponse à la question…")


@dataclass
class QuestionLine:
    title: str
    score: float
    max_score: float
    state: str        # "ok", "ko" or PENDING
    message: str = ""  # the tests' message (French), when tests failed
    comments: list[str] = field(default_factory=list)  # the trainer's, on the answer
    notes: list[str] = field(default_factory=list)     # grading's own ("Pas de réponse.")
    criteria: list[CriterionLine] = field(default_factory=list)


def question_lines(course: Course, assignment: str, now: Standing,
                   grid: Grid | None) -> list[QuestionLine]:
    """Each graded question in the notebook's order: tests with their messages, answers a
    trainer grades, and the criteria judging an answer under it."""
    if not now.cells:
        return []
    cells = {c.grade_id: c for c in now.cells}
    messages = {q.grade_id: q.message for q in (now.result.questions if now.result else [])}
    lines: list[QuestionLine] = []
    by_answer: dict[str, QuestionLine] = {}
    for path in notebook_paths(course.exercises / assignment):
        heading, notes, automatic = None, [], []
        for cell in read_notebook(path).cells:
            meta = nbgrader_meta(cell)
            gid = meta.get("grade_id")
            if cell.cell_type == "markdown" and not meta.get("task"):
                found = re.search(r"^#+\s*(.+)$", cell.source, re.M)
                heading = found.group(1).strip() if found else heading
            if not meta.get("task"):  # comments on an answer: shown with its grade
                notes += [now.comments[gid]] if gid in now.comments else []
                automatic += [now.auto_comments[gid]] if gid in now.auto_comments else []
            if meta.get("task") and gid in cells:
                _add_criterion(lines, by_answer, cell, cells[gid], now, grid, heading)
            elif meta.get("grade") and gid in cells:
                graded = cells[gid]
                message = messages.get(gid, "") if graded.score < graded.max_score else ""
                line = QuestionLine(heading or gid, graded.score, graded.max_score,
                                    _state(graded.pending, graded.score, graded.max_score),
                                    "" if message == WAITING or graded.pending else message,
                                    notes, automatic)
                notes, automatic = [], []
                lines.append(line)
                by_answer[gid] = line
    return lines


def _add_criterion(lines, by_answer, cell, graded, now, grid, heading) -> None:
    gid = nbgrader_meta(cell)["grade_id"]
    answer = cell.get("metadata", {}).get("ecole_ia", {}).get("answer")
    criterion = grid.criterion(gid) if grid else None
    line = by_answer.get(answer)
    if line is None:  # a criterion without its answer cell in the gradebook
        line = QuestionLine(heading or gid, 0.0, 0.0, "ok")
        lines.append(line)
        by_answer[answer] = line
    comment, note = now.comments.get(gid, ""), now.auto_comments.get(gid, "")
    # A criterion settled without a trainer (a blank answer) says why, not a level's words.
    level = criterion.level_for(graded.score).description.strip() if criterion and \
        not graded.pending and not (note and not comment) else ""
    line.criteria.append(CriterionLine(
        criterion.title if criterion else gid,
        criterion.competency if criterion else "", graded.score, graded.max_score, level,
        comment, graded.pending, note))
    line.score += graded.score
    line.max_score += graded.max_score
    pending = line.state == PENDING or graded.pending
    line.state = _state(pending, line.score, line.max_score)


def _state(pending: bool, score: float, max_score: float) -> str:
    if pending:
        return PENDING
    return "ok" if score >= max_score else "ko"


def _duration(seconds: float) -> str:
    hours, minutes = divmod(int(seconds) // 60, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} j"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
    return " ".join(parts)


def write_feedback(course: Course, assignment: str, title: str, learner: Learner,
                   now: Standing, grid: Grid | None = None,
                   late_seconds: float | None = None) -> Path:
    """Write grading/feedback/<learner>/<assignment>/feedback.html; return its path."""
    result = now.result
    html = _env.get_template("feedback.html.j2").render(
        title=title, learner=learner, now=now, pending=PENDING, waiting=WAITING,
        partial_reason=result.reason if result and result.status == "partial" else "",
        anomalies=result.anomalies if result else [],
        questions=question_lines(course, assignment, now, grid),
        late=_duration(late_seconds) if late_seconds else None)
    path = course.grading / "feedback" / learner.id / assignment / "feedback.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
