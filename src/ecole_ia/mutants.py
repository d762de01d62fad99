"""Run a learner's pytest tests against the code they test, and against broken copies of it
(mutants): a good test suite passes on the correct code and fails on each planted bug
(ds-15).

The tests are ordinary pytest functions written in notebook cells (``test_*`` functions,
``@pytest.fixture`` functions, ``@pytest.mark.parametrize``, ``hypothesis.given``). The code
they test reaches them through a fixture, ``projet`` by default: a module object whose
functions they call (``projet.preparer(...)``). Swapping that module for a mutant is how
mutation-testing tools grade a suite:

    from ecole_ia.mutants import module_from_source, mutate, run_suite
    correct = module_from_source("projet", SOURCE)
    bug = module_from_source("projet", mutate(SOURCE, "<= 45", "< 45"))
    run_suite(globals(), correct).ok        # True: every collected test passed
    run_suite(globals(), bug).caught        # True: a test failed or raised

pytest runs in the same process (a fraction of a second), on a test file generated in a
temporary folder that imports the given tests and fixtures; its output is swallowed and the
outcomes are collected through a plugin hook, never by parsing text. Hypothesis, when
installed, runs derandomized (the same examples every time), with no example database and
at most 30 examples per test, so that results are reproducible and fast.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import sys
import tempfile
import types
from dataclasses import dataclass, field
from pathlib import Path

_COUNTER = itertools.count()
_PENDING: dict[str, object] = {}
_TEST_FILE = """\
import pytest
import ecole_ia.mutants as _mutants

globals().update(_mutants._PENDING["objets"])


@pytest.fixture(scope="module")
def {fixture}():
    return _mutants._PENDING["module"]
"""


@dataclass
class SuiteResult:
    """Outcomes of one run: the pytest node ids that passed, failed, or errored (an error in
    a fixture or at collection), and the first line of each failure's message."""

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.passed) + len(self.failed) + len(self.errors)

    @property
    def ok(self) -> bool:
        """At least one test ran, and every test passed."""
        return bool(self.passed) and not self.failed and not self.errors

    @property
    def caught(self) -> bool:
        """At least one test failed or errored: the suite noticed something wrong."""
        return bool(self.failed or self.errors)

    def resume(self) -> str:
        """One French line: how many tests passed, failed, and raised errors."""
        text = (f"{len(self.passed)} réussi(s), {len(self.failed)} échoué(s), "
                f"{len(self.errors)} en erreur")
        return text

    def __str__(self) -> str:
        lines = [self.resume()]
        for node in self.failed + self.errors:
            lines.append(f"  {node} : {self.messages.get(node, '')}")
        return "\n".join(lines)


def project_source(name: str) -> str:
    """The source of one of the model projects the course ships (``data/projets/<name>.py``):
    the code a ds-15 exercise or brief asks learners to test."""
    from importlib import resources

    return resources.files("ecole_ia").joinpath(f"data/projets/{name}.py").read_text(
        encoding="utf-8")


def module_from_source(name: str, source: str) -> types.ModuleType:
    """A fresh module object named `name`, whose body is `source` (not put in sys.modules)."""
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def mutate(source: str, old: str, new: str) -> str:
    """`source` with its only occurrence of `old` replaced by `new` (a planted bug).

    Raises ValueError when `old` does not occur exactly once, so that a mutant can never
    silently equal the correct code."""
    count = source.count(old)
    if count != 1:
        raise ValueError(f"{old!r} occurs {count} times in the source, expected once")
    return source.replace(old, new)


def _first_line(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    text = text.strip().splitlines()[0] if text.strip() else ""
    return text[:200]


class _Collector:
    def __init__(self, result: SuiteResult):
        self.result = result

    def pytest_collectreport(self, report):
        if report.failed:
            self.result.errors.append(report.nodeid or "collecte")
            self.result.messages[report.nodeid or "collecte"] = _first_line(report)

    def pytest_runtest_logreport(self, report):
        name = report.nodeid.split("::", 1)[-1]
        if report.when == "call":
            if report.passed:
                self.result.passed.append(name)
            elif report.failed:
                self.result.failed.append(name)
                self.result.messages[name] = _first_line(report)
            else:  # skipped
                pass
        elif report.failed:  # setup or teardown: a fixture raised
            self.result.errors.append(name)
            self.result.messages[name] = _first_line(report)


_HOME: list[tempfile.TemporaryDirectory] = []


def prepare_hypothesis() -> None:
    """Make Hypothesis reproducible and tidy in this process: derandomized, no example
    database, at most 30 examples per test, no "explain" phase (it prints the absolute paths
    of the lines only failing examples ran), and its cache folder (``.hypothesis``) in a
    temporary folder instead of the current one. Call it before the first ``@given`` test
    runs (run_suite calls it)."""
    try:
        from hypothesis import Phase, configuration, settings
    except ImportError:  # pragma: no cover - hypothesis is a dependency
        return
    if not _HOME:
        _HOME.append(tempfile.TemporaryDirectory(prefix="hypothesis-"))
        configuration.set_hypothesis_home_dir(_HOME[0].name)
    settings.register_profile("ecole_ia", database=None, derandomize=True, deadline=None,
                              max_examples=30, print_blob=False,
                              phases=[phase for phase in Phase if phase != Phase.explain])
    settings.load_profile("ecole_ia")


def select_tests(namespace: dict, names=None) -> dict[str, object]:
    """The tests and fixtures of `namespace` (a notebook's ``globals()``): every fixture,
    and the callables whose name starts with ``test_`` (only those of `names` if given)."""
    chosen = {}
    for key, value in list(namespace.items()):
        if key.startswith("_"):
            continue
        kind = type(value).__name__
        if kind == "FixtureFunctionDefinition" or hasattr(value, "_pytestfixturefunction"):
            chosen[key] = value
        elif key.startswith("test_") and callable(value) and (names is None or key in names):
            chosen[key] = value
    return chosen


def run_suite(namespace: dict, module: types.ModuleType, names=None,
              fixture: str = "projet", exitfirst: bool = False) -> SuiteResult:
    """Run the tests of `namespace` (see select_tests) with pytest, the fixture `fixture`
    giving `module`; return their outcomes. Nothing is printed. With `exitfirst`, pytest
    stops at the first failure (enough to know that a mutant is caught, and faster)."""
    import pytest

    prepare_hypothesis()
    objets = select_tests(namespace, names)
    objets.pop(fixture, None)  # the module under test is ours to give
    result = SuiteResult()
    if not any(key.startswith("test_") for key in objets):
        return result
    stem = f"test_ecole_ia_suite_{next(_COUNTER)}"
    _PENDING.clear()
    _PENDING.update(objets=objets, module=module)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{stem}.py"
        path.write_text(_TEST_FILE.format(fixture=fixture), encoding="utf-8")
        args = [str(path), "-q", "-p", "no:cacheprovider", "--disable-plugin-autoload",
                "-p", "no:unraisableexception", "-p", "no:randomly", "--capture=no",
                "--rootdir", folder, "--import-mode=importlib", "-W", "ignore"]
        if exitfirst:
            args.append("-x")
        sink = io.StringIO()
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                pytest.main(args, plugins=[_Collector(result)])
        finally:
            _PENDING.clear()
            for key in [key for key in sys.modules if stem in key]:
                sys.modules.pop(key, None)
    return result
