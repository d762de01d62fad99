"""After nbgrader saves the autograded scores: settle what needs no trainer.

A hand-graded answer is scored on the criteria of its grid (`ecole_ia.grids`): each criterion
is a task cell with the points, the answer cell itself carries none. nbgrader would still list
both as "needs manual grading", so a trainer would click through empty boxes and a learner who
wrote nothing would wait for a trainer to give them zero. This step, placed right after
`SaveAutoGrades`, settles two cases and leaves every other one to the trainer:

- a 0-point answer cell judged by criteria: nothing to score there (0, not pending);
- the criteria of an answer left untouched (nbgrader's checksum says so): 0 points, with a
  French comment, not pending.

Points a trainer already gave (a manual score above 0) are never changed. But a score given
on one version of an answer must not silently stand for another: the step remembers, in the
gradebook's own database (table `ecole_ia_judged_answers`), a fingerprint of each judged
answer as graded; when a new version of the submission changes that answer, the criteria a
trainer had scored are marked "needs manual grading" again (formgrader lists them), with
their score kept as a starting point. nbgrader does this for written answers scored
directly, not for task cells, which is what criteria are.
"""

from __future__ import annotations

import hashlib

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

UNANSWERED = "Pas de réponse à la question : ce critère vaut 0 point."


def judged_answer(cell: NotebookNode) -> str | None:
    """The answer a criterion's task cell judges (written by `ecole-ia build` from the grid)."""
    return cell.get("metadata", {}).get("ecole_ia", {}).get("answer")


class SettleHandGrades(NbGraderPreprocessor):
    """Marks as graded what a trainer has nothing to decide on (see the module doc)."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        ids = resources["nbgrader"]
        notebook, assignment, student = ids["notebook"], ids["assignment"], ids["student"]
        blank = {c.metadata.nbgrader["grade_id"] for c in nb.cells
                 if utils.is_solution(c) and utils.is_grade(c)
                 and c.metadata.nbgrader.get("checksum") == utils.compute_checksum(c)}
        judged = {judged_answer(c) for c in nb.cells if utils.is_task(c)} - {None}
        answers = {c.metadata.nbgrader["grade_id"]: hashlib.sha256(c.source.encode()).hexdigest()
                   for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                   in judged}
        with Gradebook(ids["db_url"]) as gradebook:
            changed = _changed_answers(gradebook, assignment, student, notebook, answers)
            for cell in nb.cells:
                if utils.is_task(cell) and judged_answer(cell) in changed:
                    self._review(gradebook, cell.metadata.nbgrader["grade_id"], notebook,
                                 assignment, student)
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if utils.is_grade(cell) and utils.is_solution(cell) and grade_id in judged \
                        and float(cell.metadata.nbgrader.get("points", 0)) == 0:
                    self._settle(gradebook, grade_id, notebook, assignment, student, None)
                elif utils.is_task(cell) and judged_answer(cell) in blank:
                    self._settle(gradebook, grade_id, notebook, assignment, student, UNANSWERED)
            gradebook.db.commit()
        return nb, resources

    def _review(self, gradebook, grade_id, notebook, assignment, student) -> None:
        try:
            grade = gradebook.find_grade(grade_id, notebook, assignment, student)
        except MissingEntry:
            return
        if grade.manual_score is not None:
            grade.needs_manual_grade = True

    def _settle(self, gradebook, grade_id, notebook, assignment, student, comment) -> None:
        try:
            grade = gradebook.find_grade(grade_id, notebook, assignment, student)
        except MissingEntry:
            return
        if grade.manual_score:
            return  # points a trainer gave are never taken back (nbgrader asks to review)
        grade.manual_score, grade.needs_manual_grade = 0.0, False  # again after a regrade
        if comment:
            try:
                found = gradebook.find_comment(grade_id, notebook, assignment, student)
            except MissingEntry:
                return
            if not found.manual_comment:
                found.auto_comment = comment


def _changed_answers(gradebook, assignment: str, student: str, notebook: str,
                     answers: dict[str, str]) -> set[str]:
    """The judged answers whose fingerprint differs from the one recorded at the previous
    grading of this submission; records the new fingerprints (same transaction as the
    grades, so a crash keeps both or neither)."""
    from sqlalchemy import text

    db = gradebook.db
    db.execute(text("CREATE TABLE IF NOT EXISTS ecole_ia_judged_answers ("
                    "assignment VARCHAR(1024) NOT NULL, student VARCHAR(1024) NOT NULL, "
                    "notebook VARCHAR(1024) NOT NULL, answer VARCHAR(1024) NOT NULL, "
                    "sha256 VARCHAR(64) NOT NULL, "
                    "PRIMARY KEY (assignment, student, notebook, answer))"))
    key = {"assignment": assignment, "student": student, "notebook": notebook}
    before = dict(db.execute(text(
        "SELECT answer, sha256 FROM ecole_ia_judged_answers WHERE assignment = :assignment "
        "AND student = :student AND notebook = :notebook"), key).all())
    changed = {a for a, sha in answers.items() if a in before and before[a] != sha}
    for answer, sha in answers.items():
        if before.get(answer) != sha:
            db.execute(text("DELETE FROM ecole_ia_judged_answers WHERE assignment = :assignment "
                            "AND student = :student AND notebook = :notebook "
                            "AND answer = :answer"), {**key, "answer": answer})
            db.execute(text("INSERT INTO ecole_ia_judged_answers VALUES (:assignment, :student, "
                            ":notebook, :answer, :sha)"), {**key, "answer": answer, "sha": sha})
    return changed
