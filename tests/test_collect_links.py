"""Collect never follows a symbolic link, and reads nbgrader's own submission time.

A learner's folder in an unzipped export (or a zip member with a symlink mode) may point at
any file the trainer can read: the course's solutions, /etc/passwd. Whatever the link, its
target must reach neither the archive (collected/) nor the folder graded (submitted/), where
the learner's code could read it and send it back through an error message in the feedback.
"""

from __future__ import annotations

import os
import stat
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from ecole_ia.trainer.collect import collect
from ecole_ia.trainer.roster import Learner

ASSIGNMENT = "dev-01"
NB = "dev-01.ipynb"
NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
SECRET = "SECRET-HIDDEN-TEST-do-not-leak"
ROSTER = [Learner("alice-martin", "Alice", "Martin"), Learner("bruno-petit", "Bruno", "Petit")]


@pytest.fixture
def outside(tmp_path) -> Path:
    """Files outside the export that a hostile learner would like to read: a secret file, a
    folder, and a course with a solution notebook."""
    root = tmp_path / "outside"
    (root / "dossier").mkdir(parents=True)
    (root / "secret.txt").write_text(SECRET)
    (root / "dossier" / "cle.txt").write_text(SECRET)
    (root / "course" / "solutions" / ASSIGNMENT).mkdir(parents=True)
    (root / "course" / "solutions" / ASSIGNMENT / NB).write_text(SECRET)
    return root


def _tree_text(folder: Path) -> str:
    """Everything readable under `folder`, links included (they must not be there)."""
    parts = []
    for path in folder.rglob("*"):
        assert not path.is_symlink(), f"a link was copied: {path}"
        if path.is_file():
            parts.append(path.read_text(errors="replace"))
    return "\n".join(parts)


def test_links_in_a_folder_export_are_dropped_never_followed(tmp_path, outside):
    """Are links to a file, a folder and the course's solutions dropped with a note?"""
    export = tmp_path / "export"
    alice = export / "Alice Martin_12_assignsubmission_file_"
    alice.mkdir(parents=True)
    (alice / NB).write_bytes(NOTEBOOK)
    os.symlink(outside / "secret.txt", alice / "notes.txt")
    os.symlink(outside / "dossier", alice / "donnees")
    os.symlink(outside / "course" / "solutions" / ASSIGNMENT / NB, alice / "corrige.ipynb")
    # A whole submission that is a link to the solutions folder.
    os.symlink(outside / "course" / "solutions" / ASSIGNMENT,
               export / "Bruno Petit_13_assignsubmission_file_")
    grading = tmp_path / "grading"

    report = collect(export, ASSIGNMENT, ROSTER, [NB], grading)

    [item] = report.collected
    assert item.learner.id == "alice-martin" and item.rejected is None
    assert sorted(item.links) == ["corrige.ipynb", "donnees", "notes.txt"]
    assert sum("lien symbolique ignoré" in n for n in item.notes) == 3
    assert [u.source for u in report.unmatched] == ["Bruno Petit_13_assignsubmission_file_"]
    assert "lien symbolique" in report.unmatched[0].reason
    assert [l.id for l in report.missing] == ["bruno-petit"]
    text = _tree_text(grading)
    assert SECRET not in text
    submitted = grading / "submitted" / "alice-martin" / ASSIGNMENT
    assert sorted(p.name for p in submitted.iterdir()) == [NB, "timestamp.txt"]


def test_an_unmatched_folder_is_set_aside_without_its_links(tmp_path, outside):
    """Is a submission nobody matches kept for the trainer, minus the links it holds?"""
    export = tmp_path / "export"
    stranger = export / "Inconnu_99_assignsubmission_file_"
    stranger.mkdir(parents=True)
    (stranger / NB).write_bytes(NOTEBOOK)
    os.symlink(outside / "secret.txt", stranger / "notes.txt")
    (export / "Alice Martin_12_assignsubmission_file_").mkdir()
    (export / "Alice Martin_12_assignsubmission_file_" / NB).write_bytes(NOTEBOOK)
    grading = tmp_path / "grading"

    report = collect(export, ASSIGNMENT, ROSTER, [NB], grading)

    aside = grading / "collected" / ASSIGNMENT / "_non-attribues" / stranger.name
    assert [p.name for p in aside.iterdir()] == [NB]
    assert [u.source for u in report.unmatched] == [stranger.name]
    assert SECRET not in _tree_text(grading)


def _symlink_member(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (2026, 12, 1, 10, 0, 0))
    info.create_system = 3  # Unix: the mode below is read by unzip
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_zip_members_with_a_symlink_mode_are_dropped(tmp_path, outside):
    """Is a zip member stored as a link neither created, nor followed, nor kept as text?"""
    export = tmp_path / "export.zip"
    folder = "Alice Martin_12_assignsubmission_file_"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr(zipfile.ZipInfo(f"{folder}/{NB}", (2026, 12, 1, 10, 0, 0)), NOTEBOOK)
        zf.writestr(_symlink_member(f"{folder}/notes.txt", str(outside / "secret.txt")),
                    str(outside / "secret.txt"))
        zf.writestr(_symlink_member(f"{folder}/corrige.ipynb",
                                    str(outside / "course" / "solutions" / ASSIGNMENT / NB)),
                    str(outside / "course" / "solutions" / ASSIGNMENT / NB))
    grading = tmp_path / "grading"

    report = collect(export, ASSIGNMENT, ROSTER, [NB], grading)

    [item] = report.collected
    assert sorted(item.links) == ["corrige.ipynb", "notes.txt"]
    text = _tree_text(grading)
    assert SECRET not in text and str(outside) not in text
    submitted = grading / "submitted" / "alice-martin" / ASSIGNMENT
    assert sorted(p.name for p in submitted.iterdir()) == [NB, "timestamp.txt"]


def test_nbgrader_timestamp_decides_lateness(tmp_path):
    """In nbgrader's own layout, is timestamp.txt the submission time (not file times)?"""
    export = tmp_path / "export"
    for learner, stamp in [("alice-martin", "2026-12-04 17:59:00.000000 UTC"),
                           ("bruno-petit", "2026-12-04 18:30:00.000000 UTC")]:
        folder = export / learner / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / NB).write_bytes(NOTEBOOK)
        (folder / "timestamp.txt").write_text(stamp)
        # File times say "before the deadline" for both: only timestamp.txt tells them apart.
        early = datetime(2026, 12, 1, 9).timestamp()
        os.utime(folder / NB, (early, early))
    due_utc = datetime(2026, 12, 4, 18, 0)
    due = due_utc.replace(tzinfo=__import__("datetime").timezone.utc).astimezone().replace(
        tzinfo=None)  # the due date is read as local time, like every time collect compares

    report = collect(export, ASSIGNMENT, ROSTER, [NB], tmp_path / "grading", due)

    by_id = {c.learner.id: c for c in report.collected}
    assert by_id["alice-martin"].late_by is None
    assert by_id["bruno-petit"].late_by is not None
    assert by_id["bruno-petit"].late_by.total_seconds() == 30 * 60
    # timestamp.txt is read, not kept as one of the learner's extra files.
    assert not any("timestamp.txt" in n for c in report.collected for n in c.notes)
