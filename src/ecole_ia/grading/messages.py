"""The French message catalogue: what a learner or a trainer reads when grading fails.

Every failure has a kind (an error name written by the execution step, a `Failure`) and one
French message here, used by the trainer's outcomes, feedback and reports, the learner's
`ecole-ia check` and the CLI. Kept free of heavy imports: a learner's check loads this file
and nothing else of the grading engine (tests/test_architecture.py)."""

from __future__ import annotations

from enum import Enum

# Error names the execution step (execute.GuardedExecute) writes into a cell's outputs.
OUTPUT_LIMIT_ERROR = "OutputLimitError"
NOTEBOOK_TIMEOUT_ERROR = "NotebookTimeoutError"
TAMPER_ERROR = "KernelTamperError"
KERNEL_DEATH_ERROR = "KernelDeathError"

# A failed test cell, as the learner reads it: "<label> : <the test's own message>".
FRIENDLY = {
    "AssertionError": "test non réussi",
    "NotImplementedError": "pas encore de réponse (la cellule contient encore raise NotImplementedError())",
    "NameError": "nom inconnu",
    "CellTimeoutError": "temps limite dépassé (boucle infinie ?)",
    "SyntaxError": "erreur de syntaxe",
    "TypeError": "erreur de type",
    "MemoryError": "mémoire dépassée : le code demande trop de mémoire",
    "OSError": "erreur d'entrée-sortie (fichier trop gros ?)",
    OUTPUT_LIMIT_ERROR: "sortie trop volumineuse",
    NOTEBOOK_TIMEOUT_ERROR: "temps total du notebook dépassé",
    TAMPER_ERROR: "noyau modifié pour fausser les tests",
    "PermissionError": "accès refusé (le code ne peut écrire que dans son propre dossier)",
}

# Errors that make a grading partial, and how the outcome names them (with the questions).
LIMIT_REASONS = {
    "CellTimeoutError": "temps limite dépassé",
    NOTEBOOK_TIMEOUT_ERROR: "temps total du notebook dépassé",
    OUTPUT_LIMIT_ERROR: "sortie trop volumineuse",
    TAMPER_ERROR: "noyau modifié pour empêcher les tests (à vérifier par le formateur)",
    KERNEL_DEATH_ERROR: "le noyau Python s'est arrêté (plantage) ; questions non notées",
}


def learner_message(ename: str, evalue: str) -> str:
    """The French line a learner reads for a failed test cell."""
    if ename == KERNEL_DEATH_ERROR:  # the execution step's own sentence, already French
        return evalue
    label = FRIENDLY.get(ename, ename)
    return f"{label} : {evalue}" if evalue and ename != "NotImplementedError" else label


class Failure(str, Enum):
    """Why nbgrader could not grade a submission (all or part of it); stored in outcomes."""

    SANDBOX_REFUSED = "sandbox_refused"
    KERNEL_NOT_STARTED = "kernel_not_started"
    KERNEL_DIED = "kernel_died"
    NOT_A_NOTEBOOK = "not_a_notebook"
    NOTEBOOK_MISSING = "notebook_missing"
    BAD_METADATA = "bad_metadata"
    GRADEBOOK = "gradebook"
    WORKER_DIED = "worker_died"
    UNEXPECTED = "unexpected"


# {detail}: what the cause itself says (the sandbox launcher's reason); {where}: the log file.
FAILURES = {
    Failure.SANDBOX_REFUSED: "le bac à sable n'a pas pu démarrer le noyau Python ({detail}) : "
                             "un problème de la machine de correction, pas du notebook ; {where}",
    Failure.KERNEL_NOT_STARTED: "le noyau Python n'a pas démarré (machine de correction "
                                "surchargée ?) : corrigez à nouveau cet envoi ; {where}",
    Failure.KERNEL_DIED: "le noyau Python s'est arrêté pendant la correction (mémoire saturée ou "
                         "plantage) : vérifiez que le notebook s'exécute de bout en bout",
    Failure.NOT_A_NOTEBOOK: "le fichier n'est pas un notebook valide (JSON illisible) : "
                            "ouvrez-le dans JupyterLab, enregistrez-le, puis déposez-le à nouveau",
    Failure.NOTEBOOK_MISSING: "le notebook attendu est absent de l'envoi",
    Failure.BAD_METADATA: "les métadonnées de correction du notebook sont invalides (cellules "
                          "copiées d'un autre notebook ?) ; {where}",
    Failure.GRADEBOOK: "le carnet de notes (gradebook) n'a pas pu être mis à jour ; {where}",
    Failure.WORKER_DIED: "la correction de cet envoi a arrêté le correcteur (mémoire ou "
                         "processus épuisés) : vérifiez que le notebook s'exécute de bout en bout",
    Failure.UNEXPECTED: "la correction automatique a échoué pour une raison imprévue ; {where}",
}


def failure_message(kind: Failure, detail: str = "", log: str = "") -> str:
    """The French sentence for `kind`; `log` names the file that holds the details."""
    where = f"détails dans grading/logs/{log.rsplit('/', 1)[-1]}" if log else "détails dans le journal"
    return FAILURES[kind].format(detail=detail, where=where)
