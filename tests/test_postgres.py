"""The trainer's cycle on a PostgreSQL gradebook gives what it gives on SQLite.

A real PostgreSQL server from the distribution's packages (tests/pgserver.py) is started for
this module and stopped at its end. The same mini course, roster and submissions go through
the trainer's cycle twice — roster, release, collect, `ecole-ia autograde` (2 workers, in its
own process as a trainer runs it), feedback, reports — once on the default SQLite gradebook
and once with ECOLE_IA_DB_URL pointing at PostgreSQL; outcomes, gradebook scores, feedback
pages and reports must agree. Then two trainers grade two assignments at once, in two
`ecole-ia autograde` processes, against the same PostgreSQL gradebook.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from ecole_ia.grading import grader
from ecole_ia.contract import fill_answers
from ecole_ia.course import Course
from ecole_ia.notebooks import dumps, read_notebook, solution_cells
from ecole_ia.syllabus import load_syllabus
from ecole_ia.trainer import release, reports, workflow
from ecole_ia.trainer.autograde import load_results
from ecole_ia.trainer.roster import import_roster

import minicourse
import pgserver
from minicourse import ASSIGNMENT

BIS = "mini-bis"  # a second assignment, for the second trainer
ECOLE_IA = Path(sys.executable).parent / "ecole-ia"
DUE = "2026-11-27T18:00"
ROSTER = ("prénom;nom;email\nHélène;D'Almeida;h@x.fr\nKarim;Benali;k@x.fr\nZoé;Petit;z@x.fr\n"
          "Théo;Lefèvre;t@x.fr\nInès;Nguyen;i@x.fr\n")

needs_postgres = [
    pytest.mark.slow,
    pytest.mark.skipif(pgserver.bin_dir() is None, reason=(
        "PostgreSQL's initdb not found: `python3 tasks.py test` installs Debian's postgresql "
        "as root; otherwise `apt-get install postgresql`")),
]


def test_the_gradebook_url_can_come_from_the_environment(monkeypatch, tmp_path):
    """Does nbgrader_config.py take ECOLE_IA_DB_URL, left as is, and SQLite otherwise?"""
    course = minicourse.make(tmp_path / "cours", build=False)
    url = "postgresql+psycopg://formateur@bdd.ecole.example/promo-2026"
    monkeypatch.setenv("ECOLE_IA_DB_URL", url)
    assert grader.course_config(course).CourseDirectory.db_url == url
    monkeypatch.delenv("ECOLE_IA_DB_URL")
    default = grader.course_config(course).CourseDirectory.db_url
    assert default.startswith(f"sqlite:///{course.root / 'grading' / 'gradebook.db'}")


# -- the same cycle on both gradebooks ---------------------------------------------------


def _add_second_assignment(course: Course) -> None:
    """mini-bis: the mini course's exercise again, as the second module of month 1."""
    shutil.copytree(course.solutions / ASSIGNMENT, course.solutions / BIS)
    (course.solutions / BIS / f"{ASSIGNMENT}.ipynb").rename(course.solutions / BIS / f"{BIS}.ipynb")
    data = yaml.safe_load(course.syllabus_file.read_text("utf-8"))
    data["modules"].insert(1, {**data["modules"][0], "id": BIS, "title": "Carrés (bis)",
                               "lesson": None})
    course.syllabus_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                    "utf-8")
    from ecole_ia.build import build
    build(course, BIS)


def _export(path: Path, entries: dict[str, tuple[object, datetime]]) -> Path:
    """An LMS-like zip: {entry name: (notebook or raw bytes, timestamp)}."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, (content, stamp) in entries.items():
            info = zipfile.ZipInfo(name, stamp.timetuple()[:6])
            info.flag_bits |= 0x800
            zf.writestr(info, content if isinstance(content, bytes) else dumps(content))
    return path


def _exports(course: Course, folder: Path) -> dict[str, Path]:
    """Each assignment's platform export: full marks, blank and late, an infinite loop, a
    broken file, half the answers; an unknown learner."""
    early, late = datetime(2026, 11, 26, 9), datetime(2026, 11, 28, 9)
    exports = {}
    for assignment in (ASSIGNMENT, BIS):
        student = read_notebook(course.exercises / assignment / f"{assignment}.ipynb")
        source = read_notebook(course.solutions / assignment / f"{assignment}.ipynb")
        answers = {g: source.cells[i].source for g, i in solution_cells(source).items()}
        half = {k: v for k, v in answers.items() if k in ("q1-reponse", "q2-reponse")}
        if assignment == BIS:  # right only if the gradebook's URL (a secret) is kept from kernels
            half["q3-reponse"] = ("import os\n\ndef est_pair(n):\n"
                                  "    return 'ECOLE_IA_DB_URL' not in os.environ and n % 2 == 0")
        nb = f"{assignment}.ipynb"
        exports[assignment] = _export(folder / f"{assignment}.zip", {
            f"Hélène D'Almeida_1_assignsubmission_file_/{nb}": (fill_answers(student, answers), early),
            f"Karim Benali_2_assignsubmission_file_/copie finale.ipynb": (student, late),
            f"Zoé Petit_3_assignsubmission_file_/{nb}": (
                fill_answers(student, {**answers, "q1-reponse": "while True:\n    pass"}), early),
            f"Théo Lefèvre_4_assignsubmission_file_/{nb}": (b'{"cells": [', early),
            f"Inès Nguyen_5_assignsubmission_file_/{nb}": (fill_answers(student, half), early),
            f"Quelqu'un d'autre_9_assignsubmission_file_/{nb}": (student, early),
        })
    return exports


@dataclass
class Cycle:
    course: Course
    env: dict[str, str]
    db_url: str
    exports: dict[str, Path]


def _ecole_ia(cycle: Cycle, *args: str, wait: bool = True):
    command = [str(ECOLE_IA), *args, "--root", str(cycle.course.root)]
    if not wait:
        return subprocess.Popen(command, env=cycle.env, cwd=cycle.course.root,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = subprocess.run(command, env=cycle.env, cwd=cycle.course.root, capture_output=True,
                          text=True)
    assert done.returncode == 0, f"ecole-ia {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@contextmanager
def _gradebook_url(db_url: str | None):
    """ECOLE_IA_DB_URL for this process's library calls, as a trainer's shell would set it."""
    saved = os.environ.pop("ECOLE_IA_DB_URL", None)
    if db_url:
        os.environ["ECOLE_IA_DB_URL"] = db_url
    try:
        yield
    finally:
        os.environ.pop("ECOLE_IA_DB_URL", None)
        if saved is not None:
            os.environ["ECOLE_IA_DB_URL"] = saved


def _run_cycle(root: Path, db_url: str | None) -> Cycle:
    """Roster → release → collect (both assignments) → autograde mini-carres (2 workers, the
    trainer's command in its own process) → feedback → reports."""
    course = minicourse.make(root / "cours")
    _add_second_assignment(course)
    env = {k: v for k, v in os.environ.items() if k != "ECOLE_IA_DB_URL"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # alembic
    if db_url:
        env["ECOLE_IA_DB_URL"] = db_url
    cycle = Cycle(course, env, "", _exports(course, root))
    (root / "promo.csv").write_text(ROSTER, encoding="utf-8")
    due = datetime.fromisoformat(DUE)
    with _gradebook_url(db_url):
        import_roster(root / "promo.csv", workflow.db_url(course))
        for assignment in (ASSIGNMENT, BIS):
            release.release_zip(course, assignment, root / "distribution")
            workflow.collect(course, assignment, cycle.exports[assignment], due)
        _ecole_ia(cycle, "autograde", ASSIGNMENT, "--workers", "2", "--timeout", "4")
        syllabus = load_syllabus(course)
        workflow.feedback(course, syllabus, ASSIGNMENT)
        reports.write_reports(course, syllabus, workflow.roster(course), [ASSIGNMENT])
        cycle.db_url = workflow.db_url(course)
    return cycle


@pytest.fixture(scope="module")
def postgres():
    if pgserver.bin_dir() is None:
        pytest.skip("PostgreSQL's initdb not found (apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="the PostgreSQL driver: pip install -e .[postgres]")
    server = pgserver.PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory):
    return _run_cycle(tmp_path_factory.mktemp("sqlite"), None)


@pytest.fixture(scope="module")
def on_postgres(tmp_path_factory, postgres):
    return _run_cycle(tmp_path_factory.mktemp("postgres"), postgres.create_database("promo"))


def _outcomes(cycle: Cycle, assignment: str) -> dict[str, tuple]:
    """learner -> (status, score, reason, question scores, repairs), as graded."""
    return {l: (r.status, r.score, r.max_score, r.reason,
                [(q.grade_id, q.score) for q in r.questions], r.anomalies)
            for l, r in load_results(cycle.course, assignment).items()}


def _gradebook_scores(cycle: Cycle, assignment: str) -> dict[str, float | None]:
    found = {}
    for learner in ("helene-d-almeida", "karim-benali", "zoe-petit", "theo-lefevre",
                    "ines-nguyen"):
        score = grader.read_scores(cycle.db_url, assignment, learner)
        found[learner] = score.score if score else None
    return found


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text("utf-8").splitlines()))


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text("utf-8") for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in (".html", ".csv")}


class TestPostgresGradebook:
    pytestmark = needs_postgres

    def test_the_gradebook_is_postgresql(self, on_postgres):
        assert on_postgres.db_url.startswith("postgresql+psycopg://")
        assert not (on_postgres.course.grading / "gradebook.db").exists()
        import sqlalchemy as sa
        engine = sa.create_engine(on_postgres.db_url)
        try:
            with engine.connect() as conn:
                students = conn.execute(sa.text("SELECT id FROM student ORDER BY id")).scalars()
                assert list(students) == ["helene-d-almeida", "ines-nguyen", "karim-benali",
                                          "theo-lefevre", "zoe-petit"]
        finally:
            engine.dispose()

    def test_outcomes_and_scores_are_those_of_sqlite(self, on_sqlite, on_postgres):
        expected = _outcomes(on_sqlite, ASSIGNMENT)
        assert {l: o[:2] for l, o in expected.items()} == {
            "helene-d-almeida": ("graded", 4), "karim-benali": ("graded", 0),
            "zoe-petit": ("partial", 3), "theo-lefevre": ("rejected", 0),
            "ines-nguyen": ("graded", 2)}
        assert _outcomes(on_postgres, ASSIGNMENT) == expected
        scores = _gradebook_scores(on_postgres, ASSIGNMENT)
        assert scores == _gradebook_scores(on_sqlite, ASSIGNMENT)
        assert scores["helene-d-almeida"] == 4 and scores["ines-nguyen"] == 2

    def test_feedback_and_reports_are_those_of_sqlite(self, on_sqlite, on_postgres):
        for folder in ("feedback", "reports"):
            pg = _tree(on_postgres.course.grading / folder)
            lite = _tree(on_sqlite.course.grading / folder)
            assert pg.keys() == lite.keys() and pg, folder
            for name in pg:
                assert pg[name] == lite[name], f"grading/{folder}/{name} differs"

    def test_two_trainers_grade_two_assignments_at_once(self, on_postgres):
        """Two `ecole-ia autograde` processes (2 workers each) write to the same PostgreSQL
        gradebook at the same time: both finish, every outcome and score is right."""
        before = _outcomes(on_postgres, ASSIGNMENT)
        trainers = [_ecole_ia(on_postgres, "autograde", assignment, "--workers", "2",
                              "--timeout", "4", wait=False) for assignment in (ASSIGNMENT, BIS)]
        for trainer in trainers:
            output, _ = trainer.communicate(timeout=600)
            assert trainer.returncode == 0, output
        assert _outcomes(on_postgres, ASSIGNMENT) == before   # graded again: the same
        bis = _outcomes(on_postgres, BIS)
        assert {l: o[0] for l, o in bis.items()} == {l: o[0] for l, o in before.items()}
        expected = {"helene-d-almeida": 4, "karim-benali": 0, "zoe-petit": 3,
                    "theo-lefevre": None, "ines-nguyen": 2}
        assert _gradebook_scores(on_postgres, ASSIGNMENT) == expected
        # Inès's third answer is right only where kernels do not see ECOLE_IA_DB_URL.
        assert _gradebook_scores(on_postgres, BIS) == {**expected, "ines-nguyen": 3}
        _ecole_ia(on_postgres, "report", ASSIGNMENT, BIS)
        rows = _csv(on_postgres.course.grading / "reports" / "notes.csv")
        notes = {(r["learner"], r["devoir"]): r["note"] for r in rows}
        assert [float(notes["ines-nguyen", a]) for a in (ASSIGNMENT, BIS)] == [2, 3]
        assert [float(notes["helene-d-almeida", a]) for a in (ASSIGNMENT, BIS)] == [4, 4]
