"""Competency levels a trainer records on a grid, the proof behind each validated level,
and the certification readiness report (trainer/reports.py, trainer/readiness.py), on a
small syllabus made in code: no kernel, no gradebook."""

from __future__ import annotations

import copy

import pytest
import yaml

from ecole_ia.errors import CourseError
from ecole_ia.grids import Criterion, load_grid, sync
from ecole_ia.syllabus import parse_syllabus
from ecole_ia.trainer import readiness, reports
from ecole_ia.trainer.hand_grading import PENDING, CellGrade, Standing
from ecole_ia.trainer.roster import Learner

import minicourse

BRIEF = "mini-meteo-brief"
EXERCISES = "mini-meteo"
# The trainer scores the level reached in C12 (0 to 3) on the brief's report.
LEVEL_CRITERION = {
    "id": "niveau-c12", "answer": "q3-rapport", "competency": "C12",
    "title": "Niveau atteint en C12",
    "levels": [{"points": 0, "description": "Compétence non démontrée."},
               {"points": 1, "validates": 1, "description": "Reproduit la démarche de la leçon."},
               {"points": 2, "validates": 2, "description": "L'adapte à un cas voisin."},
               {"points": 3, "validates": 3, "description": "La transpose seule à un cas nouveau."}]}
CLARITY = {"id": "clarte", "answer": "q3-rapport", "competency": "C3", "title": "Clarté",
           "levels": [{"points": 0, "description": "Confus."},
                      {"points": 2, "description": "Clair pour un viticulteur."}]}


def _syllabus():
    data = minicourse.syllabus_data()
    data["modules"].insert(2, {  # month 2: a published module with exercises and a brief
        "id": EXERCISES, "title": "Météo", "track": "data-science", "month": 2,
        "status": "published", "hours": 35, "points": 10, "objectives": ["Prévoir"],
        "competencies": {"C12": 3, "C3": 2},
        "parts": {"lesson": 7, "exercises": 7, "brief": 21},
        "brief": {"title": "Brief — prévoir la météo", "points": 20, "days": 3}})
    return parse_syllabus(yaml.safe_dump(data, allow_unicode=True))


def _grid(tmp_path, *criteria):
    path = tmp_path / "grid.yml"
    path.write_text(yaml.safe_dump(list(criteria), allow_unicode=True), encoding="utf-8")
    return load_grid(path)


def _learner(first, last):
    return Learner(f"{first}-{last}".lower(), first, last)


def _row(learner, assignment, scores: dict[str, tuple[float, float]], *, status="graded",
         late=False, submitted="2027-03-02T10:00:00"):
    cells = [CellGrade(g, "n", s, m, False) for g, (s, m) in scores.items()]
    standing = Standing(learner.id, assignment, status, sum(c.score for c in cells),
                        sum(c.max_score for c in cells), cells=cells)
    return reports.Row(learner, assignment, 20 if assignment == BRIEF else 10, standing, late,
                       submitted)


ANA, BRUNO, CHLOE, DAN = (_learner("Ana", "Dupont"), _learner("Bruno", "Martin"),
                          _learner("Chloé", "Petit"), _learner("Dan", "Roux"))


def _cohort(tmp_path):
    grids = {BRIEF: _grid(tmp_path, LEVEL_CRITERION, CLARITY), EXERCISES: None}
    brief = {"tests": (15, 15), "clarte": (2, 2)}
    rows = [
        _row(ANA, EXERCISES, {"q1-tests": (8, 10)}, submitted="2027-02-20T09:00:00"),
        _row(ANA, BRIEF, brief | {"niveau-c12": (3, 3)}),
        _row(BRUNO, BRIEF, brief | {"niveau-c12": (2, 3)}),     # adapts, does not transpose
        _row(CHLOE, BRIEF, brief | {"niveau-c12": (3, 3)}, late=True),
        _row(DAN, BRIEF, brief | {"niveau-c12": (0, 3)}, status=PENDING),
    ]
    return rows, grids


def test_the_level_a_trainer_records_is_the_level_validated(tmp_path):
    """Full marks elsewhere do not validate C12 when the trainer recorded 'not shown'; the
    recorded level counts, never above the module's; C3 keeps the half-the-points rule."""
    grid = _grid(tmp_path, LEVEL_CRITERION, CLARITY)
    levels = {"C12": 3, "C3": 2}
    brief = {"tests": (15, 15), "clarte": (2, 2)}
    for score, expected in [(0, {"C3": 2}), (1, {"C12": 1, "C3": 2}), (2.5, {"C12": 2, "C3": 2}),
                            (3, {"C12": 3, "C3": 2})]:
        row = _row(ANA, BRIEF, brief | {"niveau-c12": (score, 3)})
        assert reports.validated(row, levels, grid) == expected, score
    row = _row(ANA, BRIEF, brief | {"niveau-c12": (3, 3)})
    assert reports.validated(row, {"C12": 2, "C3": 2}, grid)["C12"] == 2  # capped
    assert reports.validated(_row(ANA, BRIEF, brief | {"niveau-c12": (3, 3)}, late=True),
                             levels, grid) == {}


def test_every_validated_level_names_its_proof_and_date(tmp_path):
    rows, grids = _cohort(tmp_path)
    table = reports.evidence_table(rows, _syllabus(), grids)
    found = {(r.learner, r.competence): (r.niveau, r.preuves, r.premiere_date)
             for r in table.itertuples()}
    assert found == {
        (ANA.id, "C3"): (2, f"{EXERCISES} (exercices, rendu le 2027-02-20) ; "
                            f"{BRIEF} (brief, rendu le 2027-03-02)", "2027-02-20"),
        (ANA.id, "C12"): (3, f"{EXERCISES} (exercices, rendu le 2027-02-20) ; "
                             f"{BRIEF} (brief, rendu le 2027-03-02)", "2027-02-20"),
        (BRUNO.id, "C3"): (2, f"{BRIEF} (brief, rendu le 2027-03-02)", "2027-03-02"),
        (BRUNO.id, "C12"): (2, f"{BRIEF} (brief, rendu le 2027-03-02)", "2027-03-02"),
    }  # Chloé was late and Dan waits for the trainer: no proof from them yet


def test_the_readiness_report_lists_what_each_learner_still_needs(tmp_path):
    """Per learner and competency of the title: validated at level 3 with its proof, or
    missing with the level reached and the work that would prove it (briefs first)."""
    rows, grids = _cohort(tmp_path)
    syllabus = _syllabus()
    table = readiness.readiness_table(rows, syllabus, grids)
    assert len(table) == 4 * 21
    line = {(r.learner, r.competence): r for r in table.itertuples()}
    ana = line[ANA.id, "C12"]
    assert (ana.bloc, ana.epreuve, ana.niveau_atteint, ana.valide) == (2, "E3", 3, True)
    assert ana.preuves == (f"{EXERCISES} (exercices, rendu le 2027-02-20) ; "
                           f"{BRIEF} (brief, rendu le 2027-03-02)") and ana.pour_valider == ""
    bruno = line[BRUNO.id, "C12"]
    assert (bruno.niveau_atteint, bruno.valide, bruno.preuves) == (2, False, "")
    assert bruno.pour_valider == f"{BRIEF} (brief) ; {EXERCISES} (exercices)"
    assert line[CHLOE.id, "C12"].niveau_atteint == 0 and not line[CHLOE.id, "C12"].valide
    assert line[DAN.id, "C18"].pour_valider == "plan-19 (prévu)"
    assert line[DAN.id, "C1"].pour_valider == ""  # no module targets C1 at level 3 here
    assert not line[ANA.id, "C3"].valide  # validated at 2, the title wants 3

    per_exam = readiness.summary(table)
    assert per_exam.loc[ANA.id, "E3"] == "1/5" and per_exam.loc[BRUNO.id, "E3"] == "0/5"
    assert per_exam.loc[ANA.id, "E1"] == "0/5"

    files = readiness.write_readiness(table, syllabus.program, tmp_path)
    html = files.html.read_text("utf-8")
    assert "Ana Dupont" in html and "Chloé Petit" in html
    assert "3 (validée)" in html and f"{BRIEF} (brief) ; {EXERCISES} (exercices)" in html
    assert "aucun travail du programme ne la fait encore travailler au niveau 3" in html
    assert files.csv.read_text("utf-8").count("\n") == 1 + 4 * 21


@pytest.mark.parametrize("change, message", [
    (lambda c: c["levels"][0].update(validates=1), "first level (0 points) cannot validate"),
    (lambda c: c["levels"][3].update(validates=1), "must not go down"),
    (lambda c: c["levels"][1].update(validates=4), "validates"),
])
def test_a_wrong_level_in_a_grid_names_the_criterion(tmp_path, change, message):
    criterion = copy.deepcopy(LEVEL_CRITERION)
    change(criterion)
    with pytest.raises(CourseError) as error:
        _grid(tmp_path, criterion)
    assert "niveau-c12" in str(error.value) and message in str(error.value)


def test_a_grid_cannot_validate_above_the_module_s_level(tmp_path):
    """The statement shows the competency column, and a level above the syllabus's is
    refused by `ecole-ia build` (grids.sync)."""
    from test_grids import _notebook_with_written_answer
    criterion = copy.deepcopy(LEVEL_CRITERION) | {"answer": "q5-analyse"}
    grid = _grid(tmp_path, criterion)
    placed = sync(_notebook_with_written_answer(), grid, {"C12": "Tester"}, {"C12": 3}, "a.ipynb")
    assert not placed.problems
    text = next(c.source for c in placed.notebook.cells if "niveau-c12" in str(c.metadata))
    assert "| Note | Compétence | Ce qui est attendu |" in text
    assert "| 3 points | niveau 3 | La transpose seule à un cas nouveau. |" in text
    assert "| 0 point | non validée | Compétence non démontrée. |" in text
    refused = sync(_notebook_with_written_answer(), grid, {}, {"C12": 2}, "s/a/a.ipynb")
    assert refused.problems == [
        "s/a/grid.yml: criterion 'niveau-c12' validates C12 up to level 3, but the module "
        "targets it at level 2 (syllabus); lower `validates`"]


def test_a_criterion_without_levels_of_competency_keeps_the_points_rule():
    assert not Criterion.model_validate(CLARITY).records_level
    assert Criterion.model_validate(LEVEL_CRITERION).validated_level(1.5) == 1
