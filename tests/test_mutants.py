"""ecole_ia.mutants runs notebook-style pytest tests against a module and its mutants (ds-15)."""

from __future__ import annotations

import pytest

from ecole_ia.mutants import (module_from_source, mutate, prepare_hypothesis, project_source,
                              run_suite, select_tests)

SOURCE = "def borner(x):\n    return min(max(x, 0), 10)\n"


def _suite():
    """Tests written as a learner writes them in a notebook cell."""
    from hypothesis import given
    from hypothesis import strategies as st

    @pytest.fixture
    def valeurs():
        return [-5, 3, 20]

    @pytest.mark.parametrize("x, attendu", [(-1, 0), (5, 5), (11, 10)])
    def test_borner(projet, x, attendu):
        assert projet.borner(x) == attendu

    def test_avec_fixture(projet, valeurs):
        assert [projet.borner(v) for v in valeurs] == [0, 3, 10]

    @given(x=st.integers())
    def test_propriete(projet, x):
        assert 0 <= projet.borner(x) <= 10

    return {"valeurs": valeurs, "test_borner": test_borner,
            "test_avec_fixture": test_avec_fixture, "test_propriete": test_propriete,
            "_cache": 1, "autre": 2}


def test_the_correct_module_passes_every_test():
    result = run_suite(_suite(), module_from_source("projet", SOURCE))
    assert result.ok and not result.caught
    assert result.total == 5, result   # the parametrized test counts three times
    assert "5 réussi(s)" in result.resume()


def test_a_mutant_is_caught_by_the_tests_that_check_its_rule():
    mutant = module_from_source("projet", mutate(SOURCE, "max(x, 0)", "max(x, 1)"))
    result = run_suite(_suite(), mutant)
    assert result.caught and not result.ok
    assert sorted(result.failed) == ["test_avec_fixture", "test_borner[-1-0]"]
    assert run_suite(_suite(), mutant, exitfirst=True).total < result.total


def test_names_select_the_tests_and_fixtures_always_come_along():
    suite = _suite()
    assert set(select_tests(suite)) == {"valeurs", "test_borner", "test_avec_fixture",
                                        "test_propriete"}
    result = run_suite(suite, module_from_source("projet", SOURCE), names=["test_avec_fixture"])
    assert result.passed == ["test_avec_fixture"]


def test_no_test_gives_an_empty_result_that_is_not_ok():
    result = run_suite({"autre": 1}, module_from_source("projet", SOURCE))
    assert result.total == 0 and not result.ok and not result.caught


def test_a_raising_fixture_is_an_error():
    @pytest.fixture
    def casse():
        raise RuntimeError("boum")

    def test_x(projet, casse):
        pass

    result = run_suite({"casse": casse, "test_x": test_x}, module_from_source("projet", SOURCE))
    assert result.errors == ["test_x"] and result.caught


def test_mutate_refuses_a_text_that_is_not_there_exactly_once():
    with pytest.raises(ValueError):
        mutate(SOURCE, "absent", "x")
    with pytest.raises(ValueError):
        mutate("a a", "a", "b")


def test_hypothesis_is_derandomized_and_leaves_no_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    prepare_hypothesis()
    first = run_suite(_suite(), module_from_source("projet", SOURCE))
    assert first.ok
    assert not (tmp_path / ".hypothesis").exists()


@pytest.mark.parametrize("name", ["recolte", "irrigation"])
def test_the_shipped_projects_load(name):
    module = module_from_source("projet", project_source(name))
    assert callable(module.entrainer) and module.VARIABLES
