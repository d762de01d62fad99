"""`ecole-ia check`: a learner runs their own notebook with its visible tests and reads, in
French, which questions pass and why the others fail — before handing it in."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .errors import CourseError, NotebookError
from .lessons import KERNEL_ENV, LocalKernelManager
from .grading.messages import learner_message
from .notebooks import nbgrader_meta, read_notebook

# "(2 points)", "(1 point)", "(0,5 pt)" at the end of a question's heading: the check prints
# the points itself, once, from the test cell's metadata.
POINTS_IN_TITLE = re.compile(r"\s*\(\s*\d+(?:[.,]\d+)?\s*(?:points?|pts?)\s*\)\s*$", re.I)


@dataclass
class QuestionCheck:
    grade_id: str
    title: str
    points: float
    passed: bool
    message: str = ""

    @property
    def label(self) -> str:
        """The title and the points, once: "Question 2 — Le prix TTC (2 points)"."""
        number = f"{self.points:g}".replace(".", ",")
        return f"{self.title} ({number} point{'s' if self.points >= 2 else ''})"


@dataclass
class CheckResult:
    notebook: Path
    questions: list[QuestionCheck] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(q.passed for q in self.questions)


def check_notebook(path: Path, timeout: int = 60) -> CheckResult:
    if not path.is_file():
        raise CourseError(f"Le fichier {path} est introuvable : vérifiez le chemin du notebook.")
    try:
        nb = read_notebook(path)
    except NotebookError:
        raise CourseError(f"{path} n'est pas un notebook lisible : ouvrez-le dans JupyterLab et "
                          "enregistrez-le à nouveau.") from None
    if not any(nbgrader_meta(c).get("grade") for c in nb.cells):
        raise CourseError(f"{path} ne contient aucune cellule de test : est-ce bien un "
                          "exercice du dossier exercises/ ?")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            kernel_manager_class=LocalKernelManager, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    try:
        client.execute(env={**os.environ, **KERNEL_ENV})
    except CellTimeoutError:
        pass  # the timed-out cell carries the error; the questions below it did not run
    except DeadKernelError:
        raise CourseError("Python s'est arrêté pendant l'exécution (mémoire saturée ?) : "
                          "relancez le noyau et cherchez la cellule qui pose problème.") from None
    result = CheckResult(path)
    heading = None  # the last question heading ("## ...") since the previous test cell
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#{2,}\s*(.+)$", cell.source, re.M)
            heading = POINTS_IN_TITLE.sub("", found.group(1)).strip() if found else heading
        meta = nbgrader_meta(cell)
        if not meta.get("grade") or meta.get("solution") or cell.cell_type != "code":
            continue
        title = heading or f"Question {len(result.questions) + 1}"
        heading = None
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        ran = cell.get("execution_count") is not None or cell.get("outputs")
        message = ""
        if errors:
            message = learner_message(errors[0]["ename"], errors[0].get("evalue", ""))
        elif not ran:
            message = "cellule non exécutée (une cellule précédente a dépassé le temps limite)"
        result.questions.append(QuestionCheck(meta.get("grade_id", "?"), title,
                                              float(meta.get("points", 0)), not message, message))
    return result


def find_notebook(folder: Path) -> Path:
    """The exercise notebook a learner means when they run `ecole-ia check` in its folder."""
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if len(found) == 1:
        return found[0]
    if not found:
        raise CourseError(f"Aucun notebook (.ipynb) dans le dossier {folder} : placez-vous dans "
                          "le dossier de l'exercice, ou donnez le chemin du notebook "
                          "(ecole-ia check mon-exercice.ipynb).")
    names = ", ".join(p.name for p in found)
    raise CourseError(f"Plusieurs notebooks dans le dossier {folder} ({names}) : donnez celui à "
                      "vérifier (ecole-ia check NOM.ipynb).")
