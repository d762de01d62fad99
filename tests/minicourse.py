"""A miniature course built in code, to test the harness itself (nbval's habit: fixtures
made in code, named after what they are). One published module `mini-carres` with four
one-point questions; every other month holds a planned module so the plan is complete."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import yaml

from ecole_ia.course import Course
from ecole_ia.notebooks import normalise, write_notebook

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "mini-carres"


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _answer(grade_id, source):
    return nbformat.v4.new_code_cell(source, metadata=_meta(grade_id, solution=True))


def _tests(grade_id, source, points=1):
    return nbformat.v4.new_code_cell(
        source, metadata=_meta(grade_id, grade=True, locked=True, points=points))


QUESTIONS = [
    ("q1", "def carre(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
     "assert carre(3) == 9, \"carre(3) devrait valoir 9\"\n"
     "assert type(carre(3)) is int, \"carre(3) devrait être un entier\"\n"
     "### BEGIN HIDDEN TESTS\nassert carre(-2) == 4, \"carre(-2) devrait valoir 4\"\n"
     "### END HIDDEN TESTS"),
    ("q2", "def somme(valeurs):\n    ### BEGIN SOLUTION\n    total = 0\n"
     "    for v in valeurs:\n        total += v\n    return total\n    ### END SOLUTION",
     "assert somme([1, 2]) == 3 and type(somme([1, 2])) is int, \"somme([1, 2]) devrait valoir 3\"\n"
     "### BEGIN HIDDEN TESTS\nassert somme([]) == 0, \"somme([]) devrait valoir 0\"\n"
     "### END HIDDEN TESTS"),
    ("q3", "def est_pair(n):\n    ### BEGIN SOLUTION\n    return n % 2 == 0\n"
     "    ### END SOLUTION",
     "assert est_pair(4) is True, \"est_pair(4) devrait valoir True\"\n"
     "### BEGIN HIDDEN TESTS\nassert est_pair(7) is False, \"est_pair(7) devrait valoir False\"\n"
     "### END HIDDEN TESTS"),
    ("q4", "def saluer(prenom):\n    ### BEGIN SOLUTION\n    return f\"Bonjour {prenom} !\"\n"
     "    ### END SOLUTION",
     "assert saluer(\"Zoé\") == \"Bonjour Zoé !\", \"saluer('Zoé') devrait donner 'Bonjour Zoé !'\"\n"
     "assert isinstance(saluer(\"Zoé\"), str), \"saluer doit renvoyer un texte\"\n"
     "### BEGIN HIDDEN TESTS\n"
     "assert saluer(\"\") == \"Bonjour  !\", \"saluer('') devrait donner 'Bonjour  !'\"\n"
     "### END HIDDEN TESTS"),
]

WRONG = [
    {"id": "carre-double", "description": "Multiplie par 2 au lieu d'élever au carré.",
     "cells": {"q1-reponse": "def carre(x):\n    return x * 2"}, "loses": ["q1-tests"]},
    {"id": "somme-oublie-dernier", "description": "Oublie la dernière valeur.",
     "cells": {"q2-reponse": "def somme(valeurs):\n    return sum(valeurs[:-1])"},
     "loses": ["q2-tests"]},
    {"id": "pair-inverse", "description": "Inverse le test de parité.",
     "cells": {"q3-reponse": "def est_pair(n):\n    return n % 2 == 1"}, "loses": ["q3-tests"]},
]


def solution_notebook():
    cells = [nbformat.v4.new_markdown_cell("# Exercices — Carrés",
                                           metadata=_meta("intro", locked=True))]
    for qid, answer, tests in QUESTIONS:
        cells.append(_answer(f"{qid}-reponse", answer))
        cells.append(_tests(f"{qid}-tests", tests))
    return nbformat.v4.new_notebook(cells=cells)


def lesson_notebook():
    cells = [
        nbformat.v4.new_markdown_cell("# Carrés\n\nUne leçon miniature."),
        nbformat.v4.new_markdown_cell("## Objectifs\n\n- Calculer un carré"),
        nbformat.v4.new_code_cell("3 * 3"),
        nbformat.v4.new_markdown_cell("### À vous\n\nQue vaut 4 * 4 ?"),
        nbformat.v4.new_markdown_cell("### À vous\n\nQue vaut 5 * 5 ?"),
        nbformat.v4.new_markdown_cell("## Points clés\n\n- `*` multiplie."),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def syllabus_data(points: int = 4) -> dict:
    real = yaml.safe_load((ROOT / "curriculum" / "syllabus.yml").read_text(encoding="utf-8"))
    codes = [f"C{i}" for i in range(1, 22)]
    modules = [{
        "id": ASSIGNMENT, "title": "Carrés", "track": "developpement", "month": 1, "hours": 2,
        "status": "published", "objectives": ["Calculer un carré"],
        "competencies": {"C17": 1}, "points": points,
    }]
    for month in range(2, 20):  # C1..C17 one per month, C18..C21 in the last module only
        modules.append({
            "id": f"plan-{month:02d}", "title": f"Module du mois {month}", "track": "chatbots",
            "month": month, "hours": 10, "status": "planned", "objectives": ["Apprendre"],
            "competencies": {codes[month - 2]: 2}, "points": 10,
        })
    modules[-1]["competencies"] = {"C18": 3, "C19": 3, "C20": 3, "C21": 3}
    return {k: real[k] for k in ("program", "phases", "tracks", "competencies")} | {
        "modules": modules}


def make(root: Path, build: bool = True) -> Course:
    """Write the miniature course under `root` and (optionally) generate its exercises."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    (root / "curriculum" / "developpement").mkdir(parents=True)
    (root / "curriculum" / "syllabus.yml").write_text(
        yaml.safe_dump(syllabus_data(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    write_notebook(normalise(lesson_notebook(), keep_outputs=True),
                   root / "curriculum" / "developpement" / f"{ASSIGNMENT}.ipynb")
    sol = root / "solutions" / ASSIGNMENT
    write_notebook(normalise(solution_notebook(), keep_outputs=False), sol / f"{ASSIGNMENT}.ipynb")
    (sol / "wrong_answers.yml").write_text(yaml.safe_dump(WRONG, allow_unicode=True),
                                           encoding="utf-8")
    course = Course(root.resolve())
    if build:
        from ecole_ia.build import build as build_exercises
        build_exercises(course, ASSIGNMENT)
    return course
