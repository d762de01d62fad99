"""Collects the notebooks the syllabus names, for nbval, with the right mode for each:
lessons compare their stored outputs (`--nbval`), solutions only have to run (`--nbval-lax`).
Notebooks the syllabus does not name are not collected (a test elsewhere rejects them).

With `--changed PATHS` (what `python3 tasks.py quick` passes), the fast tests run and, of the
slow ones, only those the changed files touch (see `touched_by`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Notebook kernels inherit this environment: the same as `ecole-ia run-lessons`, so stored
# outputs (set order, figures) are reproduced exactly.
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
# One BLAS thread per kernel: pytest-xdist already fills the cores, and oversubscribed BLAS
# threads made some scikit-learn fits 10x slower under load.
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent


def _named_notebooks() -> dict[Path, bool]:
    """Path -> compare outputs? for every published lesson and solution notebook."""
    from ecole_ia.course import Course
    from ecole_ia.syllabus import load_syllabus

    syllabus = load_syllabus(Course(ROOT))  # an invalid syllabus fails collection loudly
    named: dict[Path, bool] = {}
    for module in syllabus.published():
        if module.lesson:
            named[(ROOT / module.lesson).resolve()] = True
        if module.assignment:
            for path in (ROOT / "solutions" / module.assignment).glob("*.ipynb"):
                named[path.resolve()] = False
    return named


def pytest_configure(config):
    config._ecole_ia_notebooks = None
    changed = config.getoption("--changed", None)
    config._ecole_ia_touched = None if changed is None else touched_by(
        [p.strip() for p in changed.split(",") if p.strip()])


def pytest_collection_modifyitems(config, items):
    touched = config._ecole_ia_touched
    if touched is not None:
        kept = [item for item in items if touched.keeps(item)]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[i for i in items if not touched.keeps(i)])
            items[:] = kept
    items[:] = longest_first(items)


# -- scheduling: the longest scopes first ----------------------------------------------------

# CPU-seconds a fresh kernel spends importing these (measured on the project's machine); a
# kernel that imports none costs about one second to start, run and stop.
IMPORT_COST = {"sklearn": 1.3, "scipy": 0.6, "matplotlib": 0.5, "pandas": 0.4,
               "ecole_ia.datasets": 0.7, "nltk": 0.3}
SLOW_TEST_COST = 5.0  # a slow test that is neither a notebook nor a contract clause


def _kernel_cost(notebooks) -> float:
    imported = set().union(*(_imported(_notebook_code(nb)) for nb in notebooks))
    return 1.0 + sum(cost for name, cost in IMPORT_COST.items()
                     if any(m == name or m.startswith(name + ".") for m in imported))


def _contract_assignment(item) -> str | None:
    if Path(item.path).name == "test_grading_contract.py" and item.cls is not None:
        return getattr(item.cls, "assignment", None)
    return None


def _scope_cost(scope_items: list) -> float:
    """A rough, deterministic estimate of the seconds a loadscope scope takes: a notebook
    (one kernel), a contract class (one grading per submission), a test module (its slow
    tests); fast tests count for nothing."""
    slow = [item for item in scope_items if item.get_closest_marker("slow") is not None]
    if not slow:
        return 0.0
    path = Path(slow[0].path)
    if path.suffix == ".ipynb":
        return _kernel_cost([path]) + 0.05 * len(slow)
    assignment = _contract_assignment(slow[0])
    if assignment is None:
        return SLOW_TEST_COST * len(slow)
    folder = ROOT / "solutions" / assignment
    try:
        import yaml

        wrong = len(yaml.safe_load((folder / "wrong_answers.yml").read_text("utf-8")) or [])
    except (OSError, ValueError, TypeError, yaml.YAMLError):
        wrong = 10
    # the solution, the blank version, the always-equal cheat and each wrong answer
    return (wrong + 3) * _kernel_cost(sorted(folder.glob("*.ipynb")))


def longest_first(items: list) -> list:
    """Items regrouped by pytest-xdist's loadscope scope (a notebook, a contract class, a test
    module), the most expensive scopes first, so that the two workers finish together rather
    than one waiting on a long contract started last. Same order on every worker."""
    scopes: dict[str, list] = {}
    for item in items:
        scopes.setdefault(item.nodeid.rsplit("::", 1)[0], []).append(item)
    costs = {scope: _scope_cost(scope_items) for scope, scope_items in scopes.items()}
    order = sorted(scopes, key=lambda scope: -costs[scope])  # stable: ties keep their order
    return [item for scope in order for item in scopes[scope]]


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix != ".ipynb":
        return None
    config = parent.config
    if config.option.nbval or config.option.nbval_lax:
        return None  # plain nbval was asked for on the command line: let it work alone
    if config._ecole_ia_notebooks is None:
        config._ecole_ia_notebooks = _named_notebooks()
    compare = config._ecole_ia_notebooks.get(file_path.resolve())
    if compare is None:
        return None
    from nbval.plugin import IPyNbFile

    notebook = IPyNbFile.from_parent(parent, path=file_path)
    notebook.compare_outputs = compare
    # `--dist loadscope` keeps the cells of a notebook (one kernel) on one worker.
    notebook.add_marker(pytest.mark.slow)
    return notebook


# -- `--changed`: only the slow tests a change touches (python3 tasks.py quick) --------------

# A change to one of these can alter any test: everything runs.
EVERYTHING = {"conftest.py", "tests/conftest.py", "pyproject.toml", "nbgrader_config.py",
              "curriculum/syllabus.yml", "tests/nbval_sanitize.cfg"}
# Nothing a test proves depends on these (the fast tests run anyway).
NOTHING = ("README.md", "LICENSE", ".gitignore", ".pre-commit-config.yaml", "tasks.py",
           "docs/", "benchmarks/", ".ci/")


def pytest_addoption(parser):
    parser.addoption(
        "--changed", default=None, metavar="PATHS",
        help="comma-separated paths (relative to the repository) that changed: run the fast "
             "tests and only the slow ones these paths touch (see `python3 tasks.py quick`)")


class Touched:
    """What a set of changed files touches: test files, notebooks, assignment contracts."""

    def __init__(self) -> None:
        self.everything: list[str] = []        # the paths that make everything run
        self.test_files: set[str] = set()      # tests/test_*.py, relative
        self.notebooks: set[Path] = set()      # lessons and solutions, resolved
        self.assignments: set[str] = set()     # contracts

    def keeps(self, item) -> bool:
        if self.everything or item.get_closest_marker("slow") is None:
            return True
        path = Path(item.path).resolve()
        if path.suffix == ".ipynb":
            return path in self.notebooks
        if path.name == "test_grading_contract.py" and getattr(item.cls, "assignment", None):
            return (item.cls.assignment in self.assignments
                    or "tests/test_grading_contract.py" in self.test_files)
        return path.relative_to(ROOT).as_posix() in self.test_files


def _module_of(rel: str) -> str | None:
    """src/ecole_ia/trainer/execute.py -> ecole_ia.grading.execute (packages: their name)."""
    if not (rel.startswith("src/") and rel.endswith(".py")):
        return None
    parts = rel[len("src/"):-len(".py")].split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(source: str, module: str = "", is_package: bool = False) -> set[str]:
    """Names of the modules `source` imports (relative imports resolved against `module`),
    with `from X import y` giving both X and X.y; imports inside functions count too."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:  # notebook cells with IPython magics: read import lines only
        import re

        return {m for m in re.findall(r"^\s*(?:from|import)\s+([\w.]+)", source, re.M)}
    names = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def _package_graph() -> dict[str, set[str]]:
    """ecole_ia module -> the ecole_ia modules it needs (its imports and parent packages)."""
    needs: dict[str, set[str]] = {}
    for path in (ROOT / "src").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        module = _module_of(rel)
        imported = _imported(path.read_text(encoding="utf-8"), module,
                             path.name == "__init__.py")
        parents = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        needs[module] = imported | parents
    return {m: {n for n in needed if n in needs and n != m} for m, needed in needs.items()}


def _users(changed: set[str], graph: dict[str, set[str]]) -> set[str]:
    """The modules in `changed` and every module that imports one of them, directly or not."""
    users, grew = set(changed), True
    while grew:
        more = {m for m, needed in graph.items() if needed & users} - users
        users |= more
        grew = bool(more)
    return users


def _notebook_code(path: Path) -> str:
    import json

    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return ""
    return "\n".join("".join(c["source"]) for c in cells if c.get("cell_type") == "code")


def touched_by(paths: list[str]) -> Touched:
    """What re-proves a change to `paths`: the module of a changed notebook (its lesson, its
    solutions, its contract); for package code, the tests and the notebooks that import it,
    directly or through other modules; a changed test file; everything when unsure."""
    from ecole_ia.course import Course
    from ecole_ia.syllabus import load_syllabus

    touched = Touched()
    modules = load_syllabus(Course(ROOT)).published()
    graph = _package_graph()
    changed_code: set[str] = set()

    def add_module(module) -> None:
        if module.lesson:
            touched.notebooks.add((ROOT / module.lesson).resolve())
        if module.assignment:
            touched.notebooks |= {p.resolve() for p in
                                  (ROOT / "solutions" / module.assignment).glob("*.ipynb")}
            touched.assignments.add(module.assignment)

    for rel in paths:
        top, _, rest = rel.partition("/")
        if rel in EVERYTHING:
            touched.everything.append(rel)
        elif rel.startswith(NOTHING):
            continue
        elif top in ("solutions", "exercises") and rest:
            assignment = rest.partition("/")[0]
            for module in modules:
                if module.assignment == assignment:
                    add_module(module)
        elif top == "curriculum" and rel.endswith(".ipynb"):
            for module in modules:
                if module.lesson == rel:
                    add_module(module)
        elif top == "tests" and rest.startswith("test_") and rel.endswith(".py"):
            touched.test_files.add(rel)
        elif top == "tests" and rel.endswith(".py"):  # a helper: the tests that import it
            helper = Path(rel).stem
            touched.test_files |= {
                p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("test_*.py")
                if helper in _imported(p.read_text(encoding="utf-8"))}
        elif _module_of(rel):
            changed_code.add(_module_of(rel))
        elif rel.startswith("src/"):
            # A data file or template: the modules that name it or its folder.
            # Named by its path from any folder above it, or by its name, or its folder's
            # path when that is specific (`"data/collecte"`, not a bare `"data"`).
            parts = Path(rel).relative_to("src").parts
            needles = {"/".join(parts[i:]) for i in range(len(parts))}
            needles |= {"/".join(parts[i:-1]) for i in range(len(parts) - 2)}
            readers = {_module_of(p.relative_to(ROOT).as_posix()) for p in
                       (ROOT / "src").rglob("*.py")
                       if any(f'"{n}"' in (text := p.read_text(encoding="utf-8"))
                              or f"'{n}'" in text for n in needles)}
            if readers:
                changed_code |= readers
            else:
                touched.everything.append(rel)
        else:
            touched.everything.append(rel)

    if changed_code:
        users = _users(changed_code, graph)
        for test in (ROOT / "tests").glob("*.py"):
            if _imported(test.read_text(encoding="utf-8")) & users:
                touched.test_files.add(test.relative_to(ROOT).as_posix())
        for helper in [t for t in touched.test_files if not Path(t).name.startswith("test_")]:
            touched.test_files |= touched_by([helper]).test_files  # tests using the helper
        for module in modules:
            notebooks = [ROOT / module.lesson] if module.lesson else []
            if module.assignment:
                notebooks += (ROOT / "solutions" / module.assignment).glob("*.ipynb")
            if any(_imported(_notebook_code(nb)) & users for nb in notebooks):
                add_module(module)
    return touched


def pytest_report_header(config):
    touched = getattr(config, "_ecole_ia_touched", None)
    if touched is None:
        return None
    if touched.everything:
        return [f"--changed: everything runs ({', '.join(sorted(touched.everything))})"]
    return [f"--changed: fast tests, and slow ones of "
            f"{len(touched.assignments)} contract(s) {sorted(touched.assignments)}, "
            f"{len(touched.notebooks)} notebook(s), test files {sorted(touched.test_files)}"]
