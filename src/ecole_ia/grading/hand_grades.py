"""After nbgrader saves the autograded scores: settle what needs no trainer.

A hand-graded answer is scored on the criteria of its grid (`ecole_ia.grids`): each criterion
is a task cell with the points, the answer cell itself carries none. nbgrader would still list
both as "needs manual grading", so a trainer would click through empty boxes and a learner who
wrote nothing would wait for a trainer to give them zero. This step, placed right after
`SaveAutoGrades`, settles two cases and leaves every other one to the trainer:

- a 0-point answer cell judged by criteria: nothing to score there (0, not pending);
- the criteria of an answer left untouched (nbgrader's checksum says so): 0 points, with a
  French comment, not pending.

Points a trainer already gave (a manual score above 0) are never changed.
"""

from __future__ import annotations

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
        with Gradebook(ids["db_url"]) as gradebook:
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if utils.is_grade(cell) and utils.is_solution(cell) and grade_id in judged \
                        and float(cell.metadata.nbgrader.get("points", 0)) == 0:
                    self._settle(gradebook, grade_id, notebook, assignment, student, None)
                elif utils.is_task(cell) and judged_answer(cell) in blank:
                    self._settle(gradebook, grade_id, notebook, assignment, student, UNANSWERED)
            gradebook.db.commit()
        return nb, resources

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
