"""The `ecole-ia` command as learners meet it: fetch an exercise into their own workspace,
check it in French; and what each command loads when it starts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecole_ia.build import compare
from ecole_ia.cli import app
from ecole_ia.contract import fill_answers
from ecole_ia.course import Course
from ecole_ia.notebooks import dumps, read_notebook, solution_cells
from ecole_ia.workspace import ignore_patterns, is_ignored

import minicourse
from minicourse import ASSIGNMENT

ROOT = Path(__file__).resolve().parents[1]
ECOLE_IA = Path(sys.executable).parent / "ecole-ia"
# A question line of `ecole-ia check`: mark, title, the points once, and why it fails.
QUESTION_LINE = re.compile(r"^[✔✘] (?P<title>.+?) \((?P<points>\d+(?:,\d+)?) points?\)(?: — .+)?$")
SUMMARY_LINE = re.compile(r"^\d+/\d+ questions réussies aux tests visibles\. .+$")
POINTS = re.compile(r"\b(?:points?|pts?)\b")


def _modules_loaded(code: str) -> set[str]:
    """Top modules (and ecole_ia's subpackages) a fresh interpreter holds after `code`."""
    probe = (f"{code}\nimport sys, json\n"
             "print(json.dumps(sorted(sys.modules)))")
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True).stdout
    return set(json.loads(found))


HEAVY = {"nbgrader", "nbclient", "nbformat", "pydantic", "pandas", "matplotlib", "sqlalchemy",
         "jsonschema", "ecole_ia.trainer", "ecole_ia.syllabus", "ecole_ia.grading.grader"}


def test_starting_the_cli_loads_none_of_the_heavy_libraries():
    """Does `ecole-ia --help` start without nbgrader, nbclient, pydantic or the trainer?"""
    loaded = _modules_loaded("import ecole_ia.cli")
    assert not HEAVY & loaded, f"imported at start-up: {sorted(HEAVY & loaded)}"


def test_a_learners_check_never_loads_the_trainers_machinery():
    """Does the learner's check leave nbgrader, the sandbox and the data libraries alone?"""
    loaded = _modules_loaded("import ecole_ia.selfcheck")
    trainer = {"nbgrader", "sqlalchemy", "pandas", "matplotlib", "ecole_ia.trainer",
               "ecole_ia.grading.grader", "ecole_ia.contract"}
    assert not trainer & loaded, f"imported by a learner's check: {sorted(trainer & loaded)}"


# -- fetch: a learner's own workspace (no kernel) ----------------------------------------


@pytest.fixture
def tiny_course(tmp_path):
    """A course with one released exercise, a data file and JupyterLab's checkpoints."""
    root = tmp_path / "cours"
    (root / "curriculum").mkdir(parents=True)
    (root / "curriculum" / "syllabus.yml").write_text("{}\n", encoding="utf-8")
    (root / "nbgrader_config.py").write_text(
        (ROOT / "nbgrader_config.py").read_text(encoding="utf-8"), encoding="utf-8")
    release = root / "exercises" / "ex-01"
    (release / "donnees").mkdir(parents=True)
    (release / "ex-01.ipynb").write_text('{"cells": []}', encoding="utf-8")
    (release / "donnees" / "mesures.csv").write_text("t;v\n1;2\n", encoding="utf-8")
    (release / ".ipynb_checkpoints").mkdir()
    (release / ".ipynb_checkpoints" / "ex-01-checkpoint.ipynb").write_text("{}", encoding="utf-8")
    return root


def _invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    result.text = " ".join(result.output.split())  # the console wraps at 80 columns
    return result


def test_fetch_copies_the_exercise_and_its_data_outside_the_course(tiny_course, tmp_path):
    """Does fetch copy notebooks and data files, but not what nbgrader ignores?"""
    workspace = tmp_path / "mon-espace"
    result = _invoke("fetch", "ex-01", "--root", str(tiny_course), "--to", str(workspace))
    assert result.exit_code == 0, result.output
    copied = sorted(p.relative_to(workspace).as_posix() for p in workspace.rglob("*") if p.is_file())
    assert copied == ["ex-01/donnees/mesures.csv", "ex-01/ex-01.ipynb"]
    assert "Exercice copié dans" in result.text and "ecole-ia check" in result.text


def test_fetch_never_overwrites_a_learners_work(tiny_course, tmp_path):
    """A second fetch refuses, in French, and leaves the learner's answers as they were."""
    workspace = tmp_path / "mon-espace"
    assert _invoke("fetch", "ex-01", "--root", str(tiny_course), "--to", str(workspace)).exit_code == 0
    work = workspace / "ex-01" / "ex-01.ipynb"
    work.write_text('{"cells": ["mes réponses"]}', encoding="utf-8")
    again = _invoke("fetch", "ex-01", "--root", str(tiny_course), "--to", str(workspace))
    assert again.exit_code == 1
    assert "existe déjà" in again.text and "renommez-le" in again.text
    assert "Traceback" not in again.output
    assert work.read_text(encoding="utf-8") == '{"cells": ["mes réponses"]}'


def test_fetch_refuses_a_workspace_inside_the_tracked_course(tiny_course):
    result = _invoke("fetch", "ex-01", "--root", str(tiny_course),
                     "--to", str(tiny_course / "exercises"))
    assert result.exit_code == 1 and "suivi par git" in result.text
    assert not (tiny_course / "exercises" / "ex-01" / "ex-01").exists()


def test_fetch_names_the_available_exercises_when_the_name_is_wrong(tiny_course, tmp_path):
    result = _invoke("fetch", "ex-99", "--root", str(tiny_course), "--to", str(tmp_path / "w"))
    assert result.exit_code == 1
    assert "« ex-99 » n'existe pas" in result.text and "ex-01" in result.text


def test_fetch_defaults_to_the_workspace_variable(tiny_course, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOLE_IA_WORKSPACE", str(tmp_path / "perso"))
    assert _invoke("fetch", "ex-01", "--root", str(tiny_course)).exit_code == 0
    assert (tmp_path / "perso" / "ex-01" / "ex-01.ipynb").is_file()


# -- build --check ignores what nbgrader ignores ------------------------------------------


def test_the_ignore_list_is_nbgraders_configuration(tiny_course):
    patterns = ignore_patterns(Course(tiny_course))
    assert ".ipynb_checkpoints" in patterns and "wrong_answers.yml" in patterns
    assert is_ignored(".ipynb_checkpoints/ex-01-checkpoint.ipynb", patterns)
    assert is_ignored("donnees/__pycache__/x.pyc", patterns)
    assert not is_ignored("donnees/mesures.csv", patterns)


def test_build_check_ignores_jupyterlab_checkpoints_but_not_stray_files(tiny_course):
    """After a learner opened an exercise in JupyterLab, is the course still in sync?"""
    course = Course(tiny_course)
    release = tiny_course / "exercises" / "ex-01"
    generated = {"ex-01.ipynb": (release / "ex-01.ipynb").read_bytes(),
                 "donnees/mesures.csv": (release / "donnees" / "mesures.csv").read_bytes()}
    assert compare(course, "ex-01", generated) == []
    (release / "brouillon.py").write_text("x = 1\n", encoding="utf-8")
    assert [str(d) for d in compare(course, "ex-01", generated)] == [
        "exercises/ex-01/brouillon.py is not generated from solutions/ (stray file)"]


# -- check's errors: French, what to do, no traceback (no kernel) ------------------------


def test_check_without_a_notebook_in_the_folder_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _invoke("check")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.text.startswith("erreur : Aucun notebook (.ipynb) dans le dossier")


def test_check_with_two_notebooks_asks_which_one(tmp_path, monkeypatch):
    for name in ("a.ipynb", "b.ipynb"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = _invoke("check")
    assert result.exit_code == 1 and "Plusieurs notebooks" in result.text and "a.ipynb, b.ipynb" in result.text


@pytest.mark.parametrize("content, expected", [
    (None, "est introuvable"),
    ('{"cells": [', "n'est pas un notebook lisible"),
])
def test_check_of_a_missing_or_broken_file_is_explained_in_french(tmp_path, content, expected):
    path = tmp_path / "mon travail.ipynb"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = _invoke("check", str(path))
    assert result.exit_code == 1 and expected in result.text and "Traceback" not in result.output


# -- check, for real: blank and solved, from the learner's workspace ----------------------


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    """The mini course, its exercise fetched into a workspace outside it, and the answers."""
    base = tmp_path_factory.mktemp("cli")
    course = minicourse.make(base / "cours")
    source = read_notebook(course.solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    answers = {g: source.cells[i].source for g, i in solution_cells(source).items()}
    done = subprocess.run([str(ECOLE_IA), "fetch", ASSIGNMENT, "--to", str(base / "espace")],
                          cwd=course.root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return course, base / "espace" / ASSIGNMENT, answers


def _check(folder: Path) -> subprocess.CompletedProcess:
    """`ecole-ia check` with no argument, run from the exercise's folder, as a learner does."""
    env = {**os.environ, "COLUMNS": "300"}  # one line per question: no wrapping to judge
    return subprocess.run([str(ECOLE_IA), "check"], cwd=folder, capture_output=True,
                          text=True, env=env, timeout=120)


def _assert_french_and_points_once(run: subprocess.CompletedProcess, questions: int) -> list[str]:
    lines = [ln for ln in (run.stdout + run.stderr).splitlines() if ln.strip()]
    assert len(lines) == questions + 1, "\n".join(lines)  # nothing else: no English warning
    for line in lines[:-1]:
        found = QUESTION_LINE.match(line)
        assert found, f"not a question line: {line!r}"
        assert len(POINTS.findall(line)) == 1, f"points shown more than once: {line!r}"
    assert SUMMARY_LINE.match(lines[-1]), lines[-1]
    assert "WARNING" not in run.stderr and "Kernel" not in run.stderr
    return lines


@pytest.mark.slow
def test_check_of_a_blank_exercise_speaks_french_and_shows_points_once(fetched):
    _, folder, _ = fetched
    run = _check(folder)
    assert run.returncode == 1
    lines = _assert_french_and_points_once(run, questions=4)
    assert all(line.startswith("✘") and "pas encore de réponse" in line for line in lines[:-1])
    assert lines[0].startswith("✘ Question 1 (1 point) — ")


@pytest.mark.slow
def test_check_of_a_solved_exercise_passes_every_question(fetched):
    course, folder, answers = fetched
    solved = folder.parent / "resolu"
    solved.mkdir(exist_ok=True)
    blank = read_notebook(folder / f"{ASSIGNMENT}.ipynb")
    (solved / "mon travail.ipynb").write_text(dumps(fill_answers(blank, answers)), encoding="utf-8")
    run = _check(solved)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = _assert_french_and_points_once(run, questions=4)
    assert lines[-1].startswith("4/4 questions réussies")


@pytest.mark.slow
def test_build_check_passes_after_the_exercise_was_opened_in_jupyterlab(fetched):
    course, _, _ = fetched
    checkpoints = course.exercises / ASSIGNMENT / ".ipynb_checkpoints"
    checkpoints.mkdir(exist_ok=True)
    (checkpoints / f"{ASSIGNMENT}-checkpoint.ipynb").write_bytes(
        (course.exercises / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes())
    run = subprocess.run([str(ECOLE_IA), "build", "--check"], cwd=course.root,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "up to date" in run.stdout


# -- syllabus in an 80-column terminal ------------------------------------------------------


def _syllabus_output(*options: str, columns: int = 80) -> list[str]:
    run = subprocess.run([str(ECOLE_IA), "syllabus", "--root", str(ROOT), *options],
                         capture_output=True, text=True, env={**os.environ, "COLUMNS": str(columns)})
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout.splitlines()


def test_syllabus_fits_an_80_column_terminal_with_every_title_whole():
    """At 80 columns: no line wider, nothing cut with an ellipsis, every module's full title
    readable (wrapped only at spaces), on one line whenever it fits beside the other columns."""
    from ecole_ia.syllabus import load_syllabus

    lines = _syllabus_output()
    assert max(len(line) for line in lines) <= 80
    assert not [line for line in lines if "…" in line]
    text = " ".join(" ".join(lines).split())
    plan = load_syllabus(Course(ROOT))
    for module in plan.modules:
        assert module.title in text, f"title cut: {module.title!r}"
        if len(module.title) <= 60:
            assert any(module.title in line for line in lines), f"wrapped: {module.title!r}"
    assert "DEV Développement" in text and "--wide" in text


def test_syllabus_wide_keeps_the_full_table():
    lines = _syllabus_output("--wide", columns=200)
    assert any("Compétences" in line and "Parcours" in line for line in lines)
    assert any("Développement" in line and "C17·1" in line for line in lines)
