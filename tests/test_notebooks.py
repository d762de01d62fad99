"""Notebook normal form (what `ecole-ia fmt` enforces)."""

from __future__ import annotations

import nbformat

from ecole_ia.fmt import unformatted
from ecole_ia.notebooks import KERNELSPEC, normalise

from published import COURSE


def _messy():
    cell = nbformat.v4.new_code_cell("1 + 1", metadata={"scrolled": True, "tags": ["x"],
                                                       "nbgrader": {"grade_id": "q1 réponse"}})
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                           execution_count=3)]
    cell.execution_count = 3
    md = nbformat.v4.new_markdown_cell("# Titre", metadata={"jp-MarkdownHeadingCollapsed": 1})
    nb = nbformat.v4.new_notebook(cells=[md, cell], metadata={"widgets": {}, "kernelspec": {
        "name": "conda-env-xyz", "display_name": "xyz", "language": "python"}})
    return nb


def test_solutions_lose_outputs_and_counts():
    """Are outputs and execution counts removed when outputs are not kept?"""
    cell = normalise(_messy(), keep_outputs=False).cells[1]
    assert cell.outputs == [] and cell.execution_count is None


def test_lessons_keep_outputs():
    """Do lessons keep the outputs a learner reads?"""
    assert normalise(_messy(), keep_outputs=True).cells[1].outputs[0]["data"]["text/plain"] == "2"


def test_metadata_is_stable():
    """Is editor noise dropped, nbgrader metadata and tags kept, the kernelspec fixed?"""
    nb = normalise(_messy(), keep_outputs=False)
    assert nb.metadata == {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    assert nb.cells[0].metadata == {}
    assert set(nb.cells[1].metadata) == {"tags", "nbgrader"}
    assert nb.cells[1].id == "q1-r-ponse"  # deterministic, derived from the grade id
    nbformat.validate(nb)


def test_normalising_twice_changes_nothing():
    once = normalise(_messy(), keep_outputs=True)
    assert nbformat.writes(normalise(once, keep_outputs=True)) == nbformat.writes(once)


def test_course_notebooks_are_normalised():
    """Is every notebook of the repository in normal form (`ecole-ia fmt --check`)?"""
    changed = unformatted(COURSE, write=False)
    assert not changed, "run `ecole-ia fmt`: " + ", ".join(COURSE.relative(p) for p in changed)
