"""`ecole-ia lab` in a real browser: JupyterLab in French, in learner mode without nbgrader's
instructor tools and in trainer mode with them, and no "official Jupyter news" prompt.

One JupyterLab per mode, started by `ecole-ia lab` itself on loopback (a free port, a token)
and stopped in a `finally`; Debian's Chromium driven by Playwright. Screenshots are kept in
tests/artifacts/ (git-ignored). tasks.py installs Chromium when it is missing and it can
(root); elsewhere these tests are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from ecole_ia.course import Course
from ecole_ia.lab import lab_launch

import minicourse
from minicourse import ASSIGNMENT

ROOT = Path(__file__).resolve().parents[1]
ECOLE_IA = Path(sys.executable).parent / "ecole-ia"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path(os.environ.get("ECOLE_IA_CHROMIUM", "/usr/bin/chromium"))
# Flags for a headless Chromium started as root on a machine without outside network.
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic"]
NEWS_PROMPT = ("nouvelles officielles de Jupyter", "official Jupyter news")
CREATE_ASSIGNMENT = '[data-id="nbgrader-create_assignemnt"]'  # (sic) nbgrader's panel id
START_TIMEOUT = 120  # s: JupyterLab imports nbgrader; a loaded 2-core machine is slow

in_a_browser = pytest.mark.skipif(not CHROMIUM.is_file(), reason=(
    f"no Chromium at {CHROMIUM}: `python3 tasks.py test` installs Debian's chromium as root; "
    "otherwise `apt-get install chromium` or set ECOLE_IA_CHROMIUM"))


def test_learner_mode_is_the_default_and_the_users_config_still_wins(tmp_path, monkeypatch):
    """Does `ecole-ia lab` open the learner's workspace with jupyter/learner/ on the config
    path (after ~/.jupyter, before other folders), from the course root?"""
    monkeypatch.setenv("ECOLE_IA_WORKSPACE", str(tmp_path / "espace"))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(tmp_path / "autre"))
    course = Course(ROOT)
    learner = lab_launch(course, extra=["--port", "9000"])
    assert learner.env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [
        str(ROOT / "jupyter" / "learner"), str(tmp_path / "autre")]
    assert learner.cwd == ROOT and learner.folder == (tmp_path / "espace").resolve()
    assert learner.folder.is_dir()
    assert f"--ServerApp.root_dir={learner.folder}" in learner.argv
    assert learner.argv[-2:] == ["--port", "9000"]
    trainer = lab_launch(course, trainer=True)
    assert trainer.env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(
        ROOT / "jupyter" / "trainer") and trainer.folder == ROOT


def test_learner_config_names_plugins_nbgrader_has():
    """Are the plugins the learner mode disables really nbgrader's (a renamed plugin would
    silently come back)?"""
    disabled = json.loads((ROOT / "jupyter" / "learner" / "labconfig" / "page_config.json")
                           .read_text("utf-8"))["disabledExtensions"]
    static = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader"
    code = "".join(p.read_text("utf-8", "replace") for p in (static / "static").glob("*.js"))
    assert disabled and all(f'"{plugin}"' in code for plugin in disabled), disabled


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_lab(tmp: Path, *args: str):
    """`ecole-ia lab ARGS` on loopback; yields (base url, token); always stopped."""
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(tmp / "config"),   # not the machine's ~/.jupyter
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               ECOLE_IA_WORKSPACE=str(tmp / "ecole-ia"))
    env.pop("JUPYTER_CONFIG_PATH", None)
    log = (tmp / "jupyter.log").open("wb")
    proc = subprocess.Popen(
        [str(ECOLE_IA), "lab", *args, "--", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab stopped ({proc.returncode}):\n"
                            + (tmp / "jupyter.log").read_text(errors="replace")[-3000:])
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab not ready in {START_TIMEOUT} s")
                time.sleep(0.3)
        yield base, token
    finally:
        # `ecole-ia lab` and its `jupyter lab` share the session started here: stop both.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
        log.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The mini course, with the repository's JupyterLab configuration (jupyter/). Its
    "released" exercise is a plain copy of the solution (what the page shows is all that
    matters here, and nbgrader's generate step would cost more than the browser)."""
    course = minicourse.make(tmp_path_factory.mktemp("lab") / "cours", build=False)
    shutil.copytree(course.solutions / ASSIGNMENT, course.exercises / ASSIGNMENT,
                    ignore=shutil.ignore_patterns("wrong_answers.yml"))
    shutil.copytree(ROOT / "jupyter", course.root / "jupyter")
    return course


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 850}, locale="fr-FR")
    page.goto(url)
    # The menu bar is built once every plugin has started: then the page is usable.
    page.locator(".lm-MenuBar-itemLabel", has_text="Fichier").wait_for(timeout=60_000)
    return page


def _menu_bar(page) -> list[str]:
    return page.locator("#jp-menu-panel .lm-MenuBar-itemLabel").all_inner_texts()


def _menu_items(page, title: str) -> list[str]:
    """Labels of the visible items of the menu-bar menu `title` (opened, then closed)."""
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=title).click()
    menu = page.locator(".lm-Menu").last
    menu.wait_for()
    items = [t.strip() for t in menu.locator(".lm-Menu-item:visible .lm-Menu-itemLabel")
             .all_inner_texts() if t.strip()]
    page.keyboard.press("Escape")
    return items


def _no_news_prompt(page, base: str, token: str) -> None:
    """The setting that asks is answered ("false": the overrides' default, not changed by
    the user), and no prompt is on the page."""
    settings = page.request.get(
        f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification",
        headers={"Authorization": f"token {token}"}).json()
    assert settings["schema"]["properties"]["fetchNews"]["default"] == "false"
    assert "fetchNews" not in settings["settings"], settings["settings"]
    page.wait_for_timeout(1500)  # the prompt, when asked, shows right after start-up
    text = page.locator("body").inner_text()
    assert not [p for p in NEWS_PROMPT if p in text], "the Jupyter news prompt is shown"


@pytest.mark.slow
@in_a_browser
def test_learner_mode_is_french_without_instructor_tools(browser, course, tmp_path):
    """Does a learner get a French JupyterLab with nbgrader's Validate button, but without
    the create-assignment panel, the formgrader and the course list?"""
    from ecole_ia.workspace import fetch

    fetched = fetch(course, ASSIGNMENT, tmp_path / "ecole-ia")  # the README's learner flow
    notebook = fetched.folder.relative_to(tmp_path / "ecole-ia") / f"{ASSIGNMENT}.ipynb"
    with running_lab(tmp_path, "--root", str(course.root)) as (base, token):
        page = _open(browser, f"{base}/lab/tree/{notebook.as_posix()}?token={token}")
        try:
            menus = _menu_bar(page)
            assert {"Fichier", "Édition", "Affichage", "Noyau"} <= set(menus), menus
            # Opened from the workspace (the default folder), the exercise shows
            # nbgrader's Validate button: what a learner uses stays.
            page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-item",
                         has_text="Validate").wait_for(timeout=60_000)
            assert page.locator(CREATE_ASSIGNMENT).count() == 0, "create-assignment panel"
            nbgrader = _menu_items(page, "Nbgrader") if "Nbgrader" in menus else []
            assert not {"Formgrader", "Course List", "Create assignment"} & set(nbgrader), nbgrader
            assert _status(f"{base}/formgrader?token={token}") == 404, \
                "the formgrader server extension runs for a learner"
            _no_news_prompt(page, base, token)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / "lab-learner.png")
        finally:
            page.close()


def _status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=30).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
@in_a_browser
def test_trainer_mode_has_the_instructor_tools(browser, course, tmp_path):
    """Does `ecole-ia lab --trainer` open the course in French with the create-assignment
    panel and the formgrader, and would the test see the news prompt if it were asked?"""
    with running_lab(tmp_path, "--trainer", "--root", str(course.root)) as (base, token):
        page = _open(browser, f"{base}/lab?token={token}")
        try:
            menus = _menu_bar(page)
            assert {"Fichier", "Noyau", "Nbgrader"} <= set(menus), menus
            assert page.locator(CREATE_ASSIGNMENT).count() == 1, "no create-assignment panel"
            nbgrader = _menu_items(page, "Nbgrader")
            assert {"Formgrader", "Course List", "Assignment List"} <= set(nbgrader), nbgrader
            assert _status(f"{base}/formgrader?token={token}") == 200
            _no_news_prompt(page, base, token)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / "lab-trainer.png")

            # Positive control: with the setting back to "ask", the same check sees the prompt.
            page.request.put(
                f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification",
                headers={"Authorization": f"token {token}"},
                data=json.dumps({"raw": json.dumps({"fetchNews": "none"})}))
            page.reload()
            page.get_by_text(NEWS_PROMPT[0]).wait_for(timeout=60_000)
        finally:
            page.close()
