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
from .lessons import KERNEL_ENV
from .notebooks import nbgrader_meta, read_notebook
from .trainer.autograde import learner_message


@dataclass
class QuestionCheck:
    grade_id: str
    title: str
    points: float
    passed: bool
    message: str = ""


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
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    try:
        client.execute(env={**os.environ, **KERNEL_ENV})
    except CellTimeoutError:
        pass  # the timed-out cell carries the error; the questions below it did not run
    except DeadKernelError:
        raise CourseError("Python s'est arrêté pendant l'exécution (mémoire saturée ?) : "
                          "relancez le noyau et cherchez la cellule qui pose problème.") from None
    result = CheckResult(path)
    heading = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#+\s*(.+)$", cell.source, re.M)
            heading = found.group(1).strip() if found else heading
        meta = nbgrader_meta(cell)
        if not meta.get("grade") or meta.get("solution") or cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        ran = cell.get("execution_count") is not None or cell.get("outputs")
        message = ""
        if errors:
            message = learner_message(errors[0]["ename"], errors[0].get("evalue", ""))
        elif not ran:
            message = "cellule non exécutée (une cellule précédente a dépassé le temps limite)"
        result.questions.append(QuestionCheck(meta.get("grade_id", "?"), heading or meta.get("grade_id", "?"),
                                              float(meta.get("points", 0)), not message, message))
    return result
