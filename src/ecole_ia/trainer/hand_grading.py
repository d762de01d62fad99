"""Where each submission stands now, hand grading included: read when a report or a
feedback page is made, never frozen at autograde time.

`ecole-ia autograde` records one outcome per submission (grading/status/<assignment>.json),
but a trainer goes on grading afterwards in formgrader: the criteria of a grid, written
answers, a corrected score, comments. Formgrader writes those straight into nbgrader's
gradebook. So the scores and comments come from the gradebook, read here; the status
record still gives what only the grading run knew (rejected or partly graded and why, the
tests' messages, the repairs made).

A submission is *pending* ("à corriger par le formateur") while any cell that carries points
still needs a trainer (nbgrader's `needs_manual_grade`): its score is provisional and it
validates no competency yet. A 0-point answer judged by criteria never waits for anyone
(the criteria carry its points; `grading.hand_grades.SettleHandGrades` settles it too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from ..course import Course
from .autograde import GradeResult, load_results

PENDING = "pending"
STATUS_FR = {"graded": "corrigé", "partial": "corrigé en partie", "rejected": "refusé",
             "missing": "non rendu", PENDING: "à corriger par le formateur"}
WAITING = "en attente de la correction du formateur"
# nbgrader's own automatic comments, as a learner reads them.
AUTO_COMMENTS_FR = {"No response.": "Pas de réponse."}


@dataclass(frozen=True)
class CellGrade:
    """One graded cell (tests, a hand-graded answer, a criterion) as the gradebook has it."""

    grade_id: str
    notebook: str
    score: float           # the trainer's score when given, else the automatic one
    max_score: float
    needs_manual_grade: bool

    @property
    def pending(self) -> bool:
        return self.needs_manual_grade and self.max_score > 0


@dataclass
class Marks:
    """What the gradebook holds for one submission: scores, and comments by cell."""

    cells: list[CellGrade] = field(default_factory=list)
    comments: dict[str, str] = field(default_factory=dict)  # grade_id -> the trainer's
    # grade_id -> what grading wrote by itself ("Pas de réponse."), in French
    auto_comments: dict[str, str] = field(default_factory=dict)


def _auto_comment(comment, graded: set[str]) -> str:
    # Only where a trainer grades (an answer, a criterion): on a code answer, the tests'
    # own message already says what is wrong.
    if comment.name not in graded or not (comment.auto_comment or "").strip():
        return ""
    text = comment.auto_comment.strip()
    return AUTO_COMMENTS_FR.get(text, text)


def _missing_sqlite(db_url: str) -> bool:
    prefix = "sqlite:///"
    return db_url.startswith(prefix) and \
        not Path(db_url[len(prefix):].partition("?")[0]).is_file()


def read_marks(db_url: str, assignment: str) -> dict[str, Marks]:
    """learner id -> what the gradebook holds for their submission of `assignment`."""
    found: dict[str, Marks] = {}
    if _missing_sqlite(db_url):
        return found  # nothing graded yet; opening it would create an empty gradebook
    with Gradebook(db_url) as gradebook:
        try:
            submissions = gradebook.find_assignment(assignment).submissions
        except MissingEntry:
            return found
        for submission in submissions:
            marks = found.setdefault(submission.student.id, Marks())
            for notebook in submission.notebooks:
                commented = {c.name for c in notebook.comments}
                hand_graded = set()  # graded cells a learner writes in, and criteria
                for grade in notebook.grades:
                    marks.cells.append(CellGrade(
                        grade.name, notebook.name, float(grade.score or 0),
                        float(grade.max_score or 0), bool(grade.needs_manual_grade)))
                    if grade.name in commented:
                        hand_graded.add(grade.name)
                for comment in notebook.comments:
                    if (comment.manual_comment or "").strip():
                        marks.comments[comment.name] = comment.manual_comment.strip()
                    elif text := _auto_comment(comment, hand_graded):
                        marks.auto_comments[comment.name] = text
    return found


@dataclass
class Standing:
    """One learner's submission of one assignment, as it stands now."""

    learner: str
    assignment: str
    status: str            # graded, partial, rejected, missing or pending
    score: float = 0.0     # provisional while pending
    max_score: float = 0.0
    reason: str = ""       # French
    cells: list[CellGrade] = field(default_factory=list)
    comments: dict[str, str] = field(default_factory=dict)       # the trainer's, by cell
    auto_comments: dict[str, str] = field(default_factory=dict)  # grading's own, by cell
    result: GradeResult | None = None  # the autograde record, when there is one

    @property
    def pending(self) -> list[CellGrade]:
        """The cells still waiting for a trainer."""
        return [c for c in self.cells if c.pending]

    @property
    def status_fr(self) -> str:
        return STATUS_FR[self.status]

    def score_of(self, grade_id: str) -> float:
        return next((c.score for c in self.cells if c.grade_id == grade_id), 0.0)


def standing(learner: str, assignment: str, result: GradeResult | None,
             marks: Marks | None) -> Standing:
    """Combine the autograde record (`result`) with the gradebook's current `marks`."""
    if result is not None and result.status == "rejected":
        return Standing(learner, assignment, "rejected", reason=result.reason, result=result)
    if marks is None and result is None:
        return Standing(learner, assignment, "missing", reason="aucun envoi collecté")
    if marks is None or not marks.cells:
        # The gradebook lost this submission (reset by hand?): the record is all there is.
        marks = Marks([CellGrade(q.grade_id, "", q.score, q.max_score,
                                 q.message == STATUS_FR[PENDING])
                       for q in (result.questions if result else [])])
    current = Standing(learner, assignment, result.status if result else "graded",
                       sum(c.score for c in marks.cells), sum(c.max_score for c in marks.cells),
                       result.reason if result else "", list(marks.cells), dict(marks.comments),
                       dict(marks.auto_comments), result)
    waiting = current.pending
    if waiting:
        names = ", ".join(c.grade_id for c in waiting)
        current.reason = "; ".join(filter(None, [f"à noter : {names}", current.reason]))
        current.status = PENDING
    return current


def standings(course: Course, db_url: str, assignment: str,
              learners: list[str] | None = None) -> dict[str, Standing]:
    """learner id -> Standing, for `learners` (default: everyone with an autograde record or
    a gradebook entry for `assignment`)."""
    records = load_results(course, assignment)
    marks = read_marks(db_url, assignment)
    chosen = learners if learners is not None else sorted(set(records) | set(marks))
    return {l: standing(l, assignment, records.get(l), marks.get(l)) for l in chosen}
