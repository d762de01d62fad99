"""The French lines a learner reads for a failed test cell.

Shared by the learner's `ecole-ia check` and the trainer's grading, and kept free of heavy
imports so that a learner's check never loads the grading machinery."""

from __future__ import annotations

FRIENDLY = {
    "AssertionError": "test non réussi",
    "NotImplementedError": "pas encore de réponse (la cellule contient encore raise NotImplementedError())",
    "NameError": "nom inconnu",
    "CellTimeoutError": "temps limite dépassé (boucle infinie ?)",
    "SyntaxError": "erreur de syntaxe",
    "TypeError": "erreur de type",
    "MemoryError": "mémoire dépassée : le code demande trop de mémoire",
    "OSError": "erreur d'entrée-sortie (fichier trop gros ?)",
    "OutputLimitError": "sortie trop volumineuse",
    "NotebookTimeoutError": "temps total du notebook dépassé",
    "KernelTamperError": "noyau modifié pour fausser les tests",
    "PermissionError": "accès refusé (le code ne peut écrire que dans son propre dossier)",
}


def learner_message(ename: str, evalue: str) -> str:
    """The French line a learner reads for a failed test cell."""
    label = FRIENDLY.get(ename, ename)
    return f"{label} : {evalue}" if evalue and ename != "NotImplementedError" else label
