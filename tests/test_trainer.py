"""The trainer's weekly cycle on a miniature course, with a real gradebook and real kernels."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import datetime

import pytest

from ecole_ia.contract import fill_answers
from ecole_ia.errors import CourseError
from ecole_ia.notebooks import dumps, read_notebook, solution_cells
from ecole_ia.syllabus import load_syllabus
from ecole_ia.trainer import release, reports, workflow
from ecole_ia.trainer.collect import match_learner
from ecole_ia.trainer.roster import Learner, import_roster, parse_roster

import minicourse
from minicourse import ASSIGNMENT

DUE = datetime(2026, 11, 27, 18, 0)


def _student_and_answers(course):
    """The student version and the solution's answer cells (grade_id -> source)."""
    student = read_notebook(course.exercises / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    source = read_notebook(course.solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return student, {g: source.cells[i].source for g, i in solution_cells(source).items()}


# -- roster (no kernel) -------------------------------------------------------------------


def test_ids_are_ascii_slugs_of_names_with_accents_and_apostrophes():
    """Does "Hélène D'Almeida" become a stable ASCII id?"""
    result = parse_roster("prénom;nom;email\nHélène;D'Almeida;h@x.fr\nJean-Éude;Lœuvre;\n")
    assert [l.id for l in result.learners] == ["helene-d-almeida", "jean-eude-loeuvre"]


def test_namesakes_get_distinct_ids_and_are_reported():
    result = parse_roster("prenom,nom\nLéa,Martin\nLéa,Martin\n")
    assert [l.id for l in result.learners] == ["lea-martin", "lea-martin-2"]
    assert result.collisions == ["line 3: Léa Martin gets id 'lea-martin-2' ('lea-martin' is taken)"]


def test_reimport_keeps_existing_ids():
    """Does importing the same file twice rename nobody?"""
    first = parse_roster("prenom;nom\nLéa;Martin\nLéa;Martin\nZoé;Petit\n").learners
    again = parse_roster("prenom;nom\nZoé;Petit\nLéa;Martin\n", existing=first)
    assert [l.id for l in again.learners] == ["zoe-petit", "lea-martin"]
    assert again.collisions == []


def test_roster_without_name_columns_says_what_is_expected():
    with pytest.raises(CourseError, match="no column for first_name and last_name"):
        parse_roster("email\na@b.fr\n", "promo.csv")


def test_matching_uses_the_file_name_only():
    """Is a learner matched on the submission's own name, whatever the folders around it?"""
    roster = [Learner("lea-martin", "Léa", "Martin"), Learner("marie-martin-dupont", "Marie",
                                                             "Martin-Dupont"),
              Learner("marie-martin", "Marie", "Martin")]
    assert match_learner("Léa MARTIN_123_assignsubmission_file_", roster)[0].id == "lea-martin"
    assert match_learner("Marie Martin-Dupont_9", roster)[0].id == "marie-martin-dupont"
    assert match_learner("devoir-final.ipynb", roster)[0] is None


# -- the whole cycle (kernels, gradebook) -------------------------------------------------


def _export(course, path, entries):
    """An LMS-like zip: {entry name: (notebook or raw bytes, timestamp)}."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, (content, stamp) in entries.items():
            info = zipfile.ZipInfo(name, stamp.timetuple()[:6])
            info.flag_bits |= 0x800
            zf.writestr(info, content if isinstance(content, bytes) else dumps(content))
    return path


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """Roster → release → collect → parallel autograde → feedback → reports, once."""
    root = tmp_path_factory.mktemp("trainer") / "course"
    course = minicourse.make(root)
    (root / "promo.csv").write_text(
        "prénom;nom;email\nHélène;D'Almeida;h@x.fr\nKarim;Benali;k@x.fr\nZoé;Petit;z@x.fr\n"
        "Théo;Lefèvre;t@x.fr\nInès;Nguyen;i@x.fr\n", encoding="utf-8")
    import_roster(root / "promo.csv", workflow.db_url(course))
    release.release_zip(course, ASSIGNMENT, root / "distribution")
    student, answers = _student_and_answers(course)
    nb = f"{ASSIGNMENT}.ipynb"
    early, late = datetime(2026, 11, 26, 9), datetime(2026, 11, 28, 9)
    export = _export(course, root / "export.zip", {
        f"Hélène D'Almeida_1_assignsubmission_file_/{nb}": (fill_answers(student, answers), early),
        f"Karim Benali_2_assignsubmission_file_/copie finale.ipynb": (student, late),
        f"Karim Benali_2_assignsubmission_file_/notes.txt": (b"brouillon", late),
        f"Zoé Petit_3_assignsubmission_file_/{nb}": (
            fill_answers(student, {**answers, "q1-reponse": "while True:\n    pass"}), early),
        f"Théo Lefèvre_4_assignsubmission_file_/{nb}": (b'{"cells": [', early),
        f"Quelqu'un d'autre_9_assignsubmission_file_/{nb}": (student, early),
    })
    collected = workflow.collect(course, ASSIGNMENT, export, DUE)
    results = {r.learner: r for r in workflow.grade(course, ASSIGNMENT, workers=2, timeout=4)}
    syllabus = load_syllabus(course)
    pages = workflow.feedback(course, syllabus, ASSIGNMENT)
    files = reports.write_reports(course, syllabus, workflow.roster(course), [ASSIGNMENT])
    return course, collected, results, pages, files




@pytest.mark.slow
def test_collect_reports_who_submitted_late_missing_and_unmatched(cycle):
    course, collected, *_ = cycle
    by_id = {c.learner.id: c for c in collected.collected}
    assert sorted(by_id) == ["helene-d-almeida", "karim-benali", "theo-lefevre", "zoe-petit"]
    assert [l.id for l in collected.missing] == ["ines-nguyen"]
    assert [u.source for u in collected.unmatched] == ["Quelqu'un d'autre_9_assignsubmission_file_"]
    assert [c.learner.id for c in collected.late] == ["karim-benali"]
    assert "notebook renommé « copie finale.ipynb » → « mini-carres.ipynb »" in by_id["karim-benali"].notes
    assert (course.grading / "collected" / ASSIGNMENT / "_non-attribues").is_dir()


@pytest.mark.slow
def test_every_submission_gets_an_outcome(cycle):
    """Full marks, zero, a timeout (partly graded) and a broken file (rejected), side by side."""
    _, _, results, *_ = cycle
    assert (results["helene-d-almeida"].status, results["helene-d-almeida"].score) == ("graded", 4)
    assert (results["karim-benali"].status, results["karim-benali"].score) == ("graded", 0)
    zoe = results["zoe-petit"]
    assert zoe.status == "partial" and zoe.score == 3 and "temps limite dépassé" in zoe.reason
    theo = results["theo-lefevre"]
    assert theo.status == "rejected" and "JSON" in theo.reason


@pytest.mark.slow
def test_parallel_grading_leaves_a_sound_gradebook(cycle):
    """After parallel writers: integrity check passes and every graded submission is there."""
    course, *_ = cycle
    db = course.grading / "gradebook.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT student.id FROM submitted_assignment JOIN student ON "
                            "student.id = submitted_assignment.student_id").fetchall()
    assert {"helene-d-almeida", "karim-benali", "zoe-petit"} <= {r[0] for r in rows}


@pytest.mark.slow
def test_feedback_is_french_and_hides_test_source(cycle):
    course, _, _, pages, _ = cycle
    page = (course.grading / "feedback" / "zoe-petit" / ASSIGNMENT / "feedback.html").read_text("utf-8")
    assert "Note : <strong>3 / 4</strong>" in page
    assert "Correction partielle" in page and "réussi" in page
    for hidden in ("carre(-2)", "somme([])", "est_pair(7)", "BEGIN HIDDEN"):
        assert hidden not in page, f"hidden test text {hidden!r} leaked into the feedback"
    assert len(pages) == 4


@pytest.mark.slow
def test_reports_never_hide_an_ungraded_submission(cycle):
    """Does every learner appear with a status and a reason, in CSV and HTML?"""
    course, _, _, _, files = cycle
    import pandas as pd
    grades = pd.read_csv(files.csv).set_index("learner")
    assert grades.loc["theo-lefevre", "statut"] == "refusé"
    assert grades.loc["ines-nguyen", "statut"] == "non rendu"
    assert grades.loc["zoe-petit", "statut"] == "corrigé en partie"
    assert bool(grades.loc["karim-benali", "en_retard"]) is True
    levels = pd.read_csv(files.competencies_csv).set_index("learner")
    assert levels.loc["helene-d-almeida", "C17"] == 1       # graded, on time, full marks
    assert levels.loc["karim-benali", "C17"] == 0           # late: validates nothing
    assert files.heatmap_png.read_bytes()[:4] == b"\x89PNG"
    assert "non rendu" in files.html.read_text("utf-8")
    # The proof of a level names the work and the day it was handed in (the export's time).
    proofs = pd.read_csv(files.evidence_csv)
    assert proofs[["learner", "competence", "niveau", "preuves"]].values.tolist() == [
        ["helene-d-almeida", "C17", 1, f"{ASSIGNMENT} (exercices, rendu le 2026-11-26)"]]
    ready = pd.read_csv(files.certification_csv)
    assert len(ready) == 5 * 21 and not ready["valide"].any()  # nobody at level 3 yet
    assert "Inès Nguyen" in files.certification_html.read_text("utf-8")


@pytest.mark.slow
def test_recollecting_keeps_every_version_and_grades_the_latest(cycle, tmp_path):
    course, *_ = cycle
    student, answers = _student_and_answers(course)
    later = datetime(2026, 11, 27, 12)
    export = _export(course, tmp_path / "again.zip", {
        f"Inès Nguyen_5/{ASSIGNMENT}.ipynb": (fill_answers(student, answers), later),
        f"Karim Benali_2/{ASSIGNMENT}.ipynb": (fill_answers(student, answers), later),
    })
    report = workflow.collect(course, ASSIGNMENT, export, DUE)
    karim = next(c for c in report.collected if c.learner.id == "karim-benali")
    # The new file is older than Karim's late upload: both kept, the later one still graded.
    assert karim.version == 2 and karim.graded_version == 1
    versions = sorted(p.name for p in (course.grading / "collected" / ASSIGNMENT / "karim-benali").iterdir())
    assert versions == ["v001", "v002"]
    again = workflow.collect(course, ASSIGNMENT, export, DUE)
    assert all(not c.new for c in again.collected)   # identical re-collect: nothing new


@pytest.mark.slow
def test_learner_self_check_says_what_passes(cycle, tmp_path):
    from ecole_ia.selfcheck import check_notebook
    course, *_ = cycle
    student, answers = _student_and_answers(course)
    half = fill_answers(student, {k: v for k, v in answers.items() if k in ("q1-reponse", "q2-reponse")})
    path = tmp_path / "mon travail.ipynb"
    path.write_text(dumps(half), encoding="utf-8")
    result = check_notebook(path)
    assert [q.passed for q in result.questions] == [True, True, False, False]
    assert "pas encore de réponse" in result.questions[2].message


def test_namesakes_are_told_apart_by_platform_number():
    roster = [Learner("helene-nguyen", "Hélène", "Nguyen", lms_id="4100"),
              Learner("helene-nguyen-2", "Hélène", "Nguyen", lms_id="4123")]
    assert match_learner("Hélène Nguyen_4123_assignsubmission_file_", roster)[0].id == "helene-nguyen-2"
    learner, why = match_learner("Hélène Nguyen_assignsubmission_file_", roster)
    assert learner is None and "nom ambigu" in why and "lms_id" in why


def test_namesakes_differ_in_both_reports(tmp_path):
    """Do the two Hélène Nguyen get distinct rows in notes.csv and rapport.html?"""
    import csv
    import re

    course = minicourse.make(tmp_path / "course", build=False)
    roster = [Learner("helene-nguyen", "Hélène", "Nguyen", lms_id="4100"),
              Learner("helene-nguyen-2", "Hélène", "Nguyen", lms_id="4123")]
    files = reports.write_reports(course, load_syllabus(course), roster, [ASSIGNMENT])
    rows = list(csv.DictReader(files.csv.open(encoding="utf-8")))
    assert [(r["learner"], r["lms_id"]) for r in rows] == [("helene-nguyen", "4100"),
                                                           ("helene-nguyen-2", "4123")]
    html = files.html.read_text("utf-8")
    cells = re.findall(r"<tr><td>(Hélène Nguyen.*?)</td>", html)
    assert len(cells) == 2 and cells[0] != cells[1]
    assert "4123" in cells[1] and "helene-nguyen-2" in cells[1]


@pytest.mark.slow
def test_release_through_nbgrader_exchange(tmp_path):
    """Does `release --exchange` put the student version in nbgrader's exchange folder?"""
    course = minicourse.make(tmp_path / "course")
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # nbgrader insists on a world-writable exchange root
    release.release_exchange(course, ASSIGNMENT, str(exchange))
    released = list(exchange.glob(f"*/outbound/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"))
    assert len(released) == 1
    assert "raise NotImplementedError()" in released[0].read_text("utf-8")


@pytest.mark.slow
def test_release_zip_holds_the_student_version(tmp_path):
    course = minicourse.make(tmp_path / "course")
    path = release.release_zip(course, ASSIGNMENT, tmp_path / "out")
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == [f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"]
        assert "BEGIN SOLUTION" not in zf.read(zf.namelist()[0]).decode()


@pytest.mark.slow
def test_learner_code_runs_with_limits_and_without_trainer_secrets(tmp_path, monkeypatch):
    """A memory bomb loses its question with a French reason; the trainer's environment
    variables are not visible to the learner's code; honest answers keep their points."""
    from ecole_ia.trainer.autograde import autograde_all
    from ecole_ia.grading.limits import Limits

    monkeypatch.setenv("ECOLE_IA_SECRET_TOKEN", "ne-doit-pas-fuiter")
    course = minicourse.make(tmp_path / "course")
    release.register(course, ASSIGNMENT)
    student, answers = _student_and_answers(course)
    hostile = {
        # sees the secret? then it answers wrongly on purpose
        "q1-reponse": "import os\ndef carre(x):\n"
                      "    return -1 if 'ECOLE_IA_SECRET_TOKEN' in os.environ else x * x",
        # a memory bomb: 64 GiB at once
        "q2-reponse": "bombe = bytearray(64 * 2**30)\n" + answers["q2-reponse"],
    }
    folder = course.grading / "submitted" / "intrus" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{ASSIGNMENT}.ipynb").write_text(
        dumps(fill_answers(fill_answers(student, answers), hostile)), "utf-8")
    # The limit is the address space of the grading worker too, forked here from pytest's
    # process: once pandas has made a string column with pyarrow installed (MLflow's
    # dependency), such a process reserves 1.5 GiB or more of address space. 8 GiB still
    # stops the 64 GiB bomb.
    [result] = autograde_all(course, ASSIGNMENT, workers=1, timeout=20,
                             limits=Limits(memory_mb=8192))
    scores = {q.grade_id: q for q in result.questions}
    assert scores["q1-tests"].score == 1, "the learner's code saw the trainer's variables"
    assert scores["q2-tests"].score == 0
    assert scores["q3-tests"].score == 1 and scores["q4-tests"].score == 1
    assert result.status == "graded"
