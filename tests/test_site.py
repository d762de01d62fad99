"""`ecole-ia site`: the curriculum as a static website ordered by the syllabus, built from
the real course with Sphinx + MyST-NB, link-checked, served from files only, and opened in
a real browser (Debian's Chromium driven by Playwright, as in test_lab.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ecole_ia import site
from ecole_ia.course import Course
from ecole_ia.syllabus import load_syllabus

from test_lab import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, in_a_browser

ROOT = Path(__file__).resolve().parents[1]
ECOLE_IA = Path(sys.executable).with_name("ecole-ia")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The real site, built once by the CLI (as a learner or trainer would)."""
    dest = tmp_path_factory.mktemp("site")
    run = subprocess.run([str(ECOLE_IA), "site", "--dest", str(dest), "--root", str(ROOT)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    index = dest / "html" / "index.html"
    assert str(index) in " ".join(run.stdout.split()), run.stdout
    return index


@pytest.mark.slow
def test_every_module_is_on_the_home_page_in_syllabus_order(built):
    syllabus = load_syllabus(Course(ROOT))
    home = built.read_text("utf-8")
    positions = [home.find(f'href="modules/{m.id}.html"') for m in syllabus.modules]
    assert all(p > 0 for p in positions), [m.id for m, p in zip(syllabus.modules, positions)
                                           if p < 0]
    months = [int(n) for n in re.findall(r"<h2>Mois (\d+) —", home)]
    assert months == sorted(set(months)) and months[0] == 1 and months[-1] == 19


@pytest.mark.slow
def test_each_published_module_has_its_lesson_and_downloads(built):
    html = built.parent
    syllabus = load_syllabus(Course(ROOT))
    for module in syllabus.published():
        page = (html / "modules" / f"{module.id}.html").read_text("utf-8")
        assert (html / "lecons" / f"{module.id}.html").is_file(), module.id
        for work in module.work():
            assert f"{work.assignment}.ipynb" in page, (module.id, work.assignment)
    planned = next(m for m in syllabus.modules if m.status == "planned")
    assert "pas encore publié" in (html / "modules" / f"{planned.id}.html").read_text("utf-8")
    lesson = (html / "lecons" / "ds-06-regression-lineaire.html").read_text("utf-8")
    assert "Objectifs" in lesson and "<img" in lesson  # rendered with its stored figures
    downloads = list((html / "_downloads").rglob("*.ipynb"))
    assert len(downloads) >= len(syllabus.published_assignments())


@pytest.mark.slow
def test_the_site_has_no_broken_link_and_needs_no_network(built):
    assert site.broken_links(built.parent) == []
    assert site.external_links(built.parent) == set()


@pytest.mark.slow
def test_broken_links_are_found(tmp_path):
    """The link check itself: a page pointing at a missing file is reported."""
    (tmp_path / "a.html").write_text('<a href="b.html">b</a> <img src="img/x.png"> '
                                     '<a href="https://example.org">dehors</a>', "utf-8")
    assert site.broken_links(tmp_path) == ["a.html: b.html", "a.html: img/x.png"]


@pytest.mark.slow
@in_a_browser
def test_the_site_reads_in_a_browser_in_french(built):
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(built.as_uri())
            assert page.locator("html").get_attribute("lang") == "fr"
            assert page.title().startswith("Développeur en intelligence artificielle")
            page.get_by_role("link", name="Prédire une valeur : la régression linéaire").first.click()
            page.wait_for_load_state()
            assert "Compétences du titre" in page.content()
            page.get_by_role("link", name="Prédire une valeur : la régression linéaire").last.click()
            page.wait_for_load_state()
            assert page.url.endswith("lecons/ds-06-regression-lineaire.html")
            page.screenshot(path=str(ARTIFACTS / "site-lecon.png"))
        finally:
            browser.close()
