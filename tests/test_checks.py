"""ecole_ia.checks: the French checks test cells call. Each failure must be one French
sentence naming what was checked, what was expected and what the learner's code gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecole_ia.checks import (check_array, check_close, check_equal, check_frame, check_raises,
                             check_series, check_true, check_type)


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def failure(call) -> str:
    with pytest.raises(AssertionError) as error:
        call()
    return str(error.value)


def test_passing_checks_say_nothing():
    check_equal(3, 3, "x")
    check_equal(3.0, 3, "x")            # int and float are the same kind of number
    check_equal("moyen", "moyen", "x")
    check_equal([1, 2], [1, 2], "x")
    check_equal(True, True, "x")
    check_close(0.1 + 0.2, 0.3, "x")
    check_close(np.float64(2.5), 2.5, "x")
    check_type(3, int, "x")
    check_type(3, (int, float), "x")
    check_true(1 < 2, "jamais affiché")
    check_raises(ValueError, lambda: int("abc"), "int('abc')")
    check_array(np.array([1.0, 2.0]), [1.0, 2.0], "x")
    frame = pd.DataFrame({"jour": ["lun", "mar"], "pluie": [1.5, 0.0]})
    check_frame(frame.copy(), frame, "x")
    check_series(frame["pluie"].copy(), frame["pluie"], "x")


@pytest.mark.parametrize("call, expected", [
    (lambda: check_equal("petit", "moyen", "categorie(15)"),
     "categorie(15) devrait valoir 'moyen' : votre code donne 'petit'."),
    (lambda: check_equal("12", 12, "total"),
     "total devrait être un nombre (12) : votre code donne un texte (str) ('12')."),
    (lambda: check_equal((1, 2), [1, 2], "paire"),
     "paire devrait être une liste ([1, 2]) : votre code donne un tuple ((1, 2))."),
    (lambda: check_equal(1, True, "est_pair(4)"),
     "est_pair(4) devrait valoir True : votre code donne 1."),
    (lambda: check_close(100.0, 120.0, "prix_ttc(100)"),
     "prix_ttc(100) devrait valoir environ 120.0 : votre code donne 100.0."),
    (lambda: check_close(None, 1.5, "moyenne([])"),
     "moyenne([]) devrait être un nombre (environ 1.5) : votre code donne None (None)."),
    (lambda: check_close(np.array([1.0, 2.0]), 1.5, "moyenne(t)"),
     "moyenne(t) devrait être un nombre (environ 1.5) : votre code donne un tableau NumPy de "
     "forme (2,) (array([1., 2.]))."),
    (lambda: check_close(True, 1.0, "taux"),
     "taux devrait être un nombre (environ 1.0) : votre code donne un booléen (True/False) (True)."),
    (lambda: check_type(True, int, "compte"),
     "compte devrait être un entier (int) : votre code donne un booléen (True/False) (True)."),
    (lambda: check_true(False, "la liste doit être triée"), "la liste doit être triée"),
    (lambda: check_raises(ValueError, lambda: 3, "lire_age('x')"),
     "lire_age('x') devrait lever ValueError : votre code ne lève aucune erreur et donne 3."),
    (lambda: check_raises(ValueError, lambda: 1 / 0, "f(0)"),
     "f(0) devrait lever ValueError : votre code lève ZeroDivisionError (division by zero)."),
])
def test_failures_are_one_french_sentence(call, expected):
    assert failure(call) == expected


def test_an_always_equal_object_fails_the_type_check():
    message = failure(lambda: check_equal(AlwaysEqual(), [1, 2], "f()"))
    assert "devrait être une liste" in message
    assert "devrait être un nombre" in failure(lambda: check_equal(AlwaysEqual(), 3, "f()"))


def test_array_failures_name_the_shape_or_the_first_difference():
    assert failure(lambda: check_array([1, 2], [1, 2], "t")) == \
        "t devrait être un tableau NumPy (np.ndarray) : votre code donne une liste."
    assert failure(lambda: check_array(np.zeros((2, 3)), np.zeros((3, 2)), "t")) == \
        "t devrait avoir la forme (3, 2) : votre tableau a la forme (2, 3)."
    message = failure(lambda: check_array(np.array([1.0, 2.0, 9.0]), [1.0, 2.0, 3.0], "t"))
    assert message == ("t : à la position 2, la valeur attendue est 3.0, votre tableau "
                       "contient 9.0 (1 valeur(s) différente(s) en tout).")


def test_frame_failures_name_the_column_and_the_row():
    expected = pd.DataFrame({"jour": ["lun", "mar", "mer"], "pluie": [1.5, 0.0, 2.0]})
    got = expected.copy()
    got.loc[1, "pluie"] = 4.0
    assert failure(lambda: check_frame(got, expected, "bilan")) == (
        "bilan, colonne 'pluie' : à la ligne 1 (index 1), la valeur attendue est 0.0, vous "
        "avez 4.0 (1 valeur(s) différente(s) en tout).")
    assert "il manque ['pluie']" in failure(
        lambda: check_frame(expected[["jour"]], expected, "bilan"))
    assert failure(lambda: check_frame(expected.head(2), expected, "bilan")) == \
        "bilan devrait avoir 3 lignes : le vôtre en a 2."
    as_text = expected.astype({"pluie": str})
    assert "devraient être de type float64, elles sont de type" in failure(
        lambda: check_frame(as_text, expected, "bilan"))
    shuffled = expected.iloc[[1, 0, 2]]
    assert "index des lignes différent à la position 0" in failure(
        lambda: check_frame(shuffled, expected, "bilan"))


def test_series_index_alignment_mistake_is_named():
    """ds-07's trap: a Series built with another index aligns on labels, not positions."""
    expected = pd.Series([500.0, 1000.0], index=[0, 1])
    got = pd.Series([500.0, 1000.0], index=[1, 2])
    assert "index différent à la position 0 : attendu 0, obtenu 1" in failure(
        lambda: check_series(got, expected, "couts"))


def test_missing_values_of_string_columns_are_compared_not_raised():
    """pd.NA (the missing value of "string" columns) makes `a == b` ambiguous: the check
    must still pass on equal columns and fail in French on a difference, never with
    pandas's English TypeError."""
    expected = pd.DataFrame({"id": ["A1", "A2", "A3"],
                             "depend_de": pd.array(["A2", pd.NA, None], dtype="string")})
    check_frame(expected.copy(), expected, "backlog")
    got = expected.copy()
    got.loc[1, "depend_de"] = "A1"
    assert failure(lambda: check_frame(got, expected, "backlog")) == (
        "backlog, colonne 'depend_de' : à la ligne 1 (index 1), la valeur attendue est <NA>, "
        "vous avez 'A1' (1 valeur(s) différente(s) en tout).")
    check_series(pd.Series(["x", pd.NA], dtype="string"),
                 pd.Series(["x", pd.NA], dtype="string"), "s")
