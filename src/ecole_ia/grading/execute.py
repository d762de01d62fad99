"""nbgrader's Execute step, hardened: sandboxed kernel, output cap, notebook time limit,
and the test helpers put back before every test cell.

- nbgrader keeps every output of a cell in memory while it runs and LimitOutput trims only
  afterwards, so a cell printing gigabytes would exhaust the grading worker. Outputs past
  `max_output_kb` (per notebook) are dropped as they arrive; the cell that overflowed gets an
  error output, which nbgrader counts as a failure and the learner reads in French.
- nbgrader limits each cell's time; `notebook_timeout` limits the whole notebook: cells not
  reached in time get an error output instead of running.
- Learners' code shares the kernel with the tests, so it can rebind `len`, `isinstance`,
  `AssertionError`, `np.testing.assert_allclose`... Before the first cell a learner wrote,
  the attributes of `builtins` and of the modules tests rely on are saved; before every
  test cell they are put back. Code that deliberately hunts the saved copy in memory could
  still defeat this: see the README's security model.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from . import sandbox
from .limits import SINGLE_THREADED, Limits, kernel_environment
from .messages import (KERNEL_DEATH_ERROR, NOTEBOOK_TIMEOUT_ERROR, OUTPUT_LIMIT_ERROR,
                       TAMPER_ERROR)
from .sandbox import LAUNCHER


# Runs (silently) in the kernel before the first learner-written cell. `dict.copy`,
# `dict.update`, `setattr` are taken now, so rebinding names later cannot break the restore.
GUARD = """
def _ecole_ia_garde():
    import builtins, sys
    noms = ("numpy", "numpy.testing", "pandas", "pandas.testing", "math", "statistics", "re",
            "json", "os", "os.path", "pathlib", "sqlite3", "inspect", "types", "numbers",
            "collections", "unittest", "sklearn.metrics")
    import importlib
    for parent in ("numpy", "pandas"):  # their test helpers load lazily: load them now
        if parent in sys.modules:
            importlib.import_module(parent + ".testing")
    modules = [builtins] + [sys.modules[n] for n in noms if sys.modules.get(n) is not None]
    modules += [m for n, m in list(sys.modules.items())
                if n.startswith("ecole_ia") and m is not None]
    copier, remettre, ecrire = dict.copy, dict.update, setattr
    sauvegarde = [(m.__dict__, copier(m.__dict__)) for m in modules]
    # The shell that runs cells: a learner could patch it to skip or hide the tests.
    shell = get_ipython()
    classes = [(c, dict(vars(c))) for c in type(shell).__mro__
               if c.__module__.split(".")[0] in ("IPython", "ipykernel")]
    propres = ("run_cell", "run_cell_async", "run_code", "run_ast_nodes", "showtraceback",
               "_showtraceback", "transform_cell", "should_run_async", "user_expressions")
    def retablir():
        for actuel, origine in sauvegarde:
            remettre(actuel, origine)
        for classe, origine in classes:
            for nom, valeur in origine.items():
                if classe.__dict__.get(nom) is not valeur and nom[:2] != "__":
                    ecrire(classe, nom, valeur)
        for nom in propres:
            shell.__dict__.pop(nom, None)
        shell.custom_exceptions = ()
    return retablir
_ecole_ia_retablir = _ecole_ia_garde()
del _ecole_ia_garde

def _ecole_ia_limiter_sortie(limite):
    # Stops a runaway print in the kernel itself: a message of gigabytes never leaves it.
    import sys
    class OutputLimitError(Exception):
        pass
    compte = [0]
    for flux in (sys.stdout, sys.stderr):
        ecrire = flux.write
        def limitee(texte, ecrire=ecrire):
            compte[0] += len(texte)
            if compte[0] > limite:
                raise OutputLimitError("sortie trop volumineuse : n'affichez pas autant de "
                                       "texte (une boucle qui imprime sans fin ?)")
            return ecrire(texte)
        flux.write = limitee
_ecole_ia_limiter_sortie({limit})
del _ecole_ia_limiter_sortie
"""
RESTORE = "_ecole_ia_retablir(); _ecole_ia_temoin = {nonce!r}"


class Zygote:
    """A grading worker's kernel zygote (see sandbox.py): started once, asked for a fresh
    kernel process per notebook. Thread-safe; its kernels die with it, and it dies with
    the worker (parent-death signal)."""

    def __init__(self, preload: tuple[str, ...] = ()):
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, str(Path(sandbox.__file__).resolve()), "--zygote",
             str(theirs.fileno()), json.dumps(list(preload))], pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL, env={**os.environ, **SINGLE_THREADED})
        theirs.close()
        self._channel, self._lock = ours, threading.Lock()
        self._replies: list[dict] = []
        self._exits: dict[int, int] = {}
        self._pending = b""

    def _read(self, block: bool) -> None:
        self._channel.setblocking(block)
        try:
            data = self._channel.recv(1 << 16)
        except BlockingIOError:
            return
        if not data:
            raise OSError("the kernel zygote stopped")
        self._pending += data
        while b"\n" in self._pending:
            line, self._pending = self._pending.split(b"\n", 1)
            message = json.loads(line)
            if "exit" in message:
                self._exits[message["exit"]] = message["status"]
            else:
                self._replies.append(message)

    def start(self, argv: list[str], cwd: str, env: dict[str, str], plan: str) -> int:
        """Fork a kernel (`python -m ipykernel_launcher ARGV`); return its process id."""
        request = {"argv": argv, "cwd": cwd, "env": env, "plan": plan}
        with self._lock:
            self._channel.setblocking(True)
            self._channel.sendall(json.dumps(request).encode() + b"\n")
            while not self._replies:
                self._read(block=True)
            reply = self._replies.pop(0)
        if "error" in reply:
            raise OSError(reply["error"])
        return reply["pid"]

    def exit_status(self, pid: int) -> int | None:
        with self._lock:
            if pid not in self._exits:
                self._read(block=False)
            return self._exits.get(pid)

    def stop(self) -> None:
        self._channel.close()  # the zygote then reaps its kernels and exits
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_zygote: Zygote | None = None


# Libraries notebooks import that cost a kernel most of its start-up (0.3 to 0.7 CPU-second
# each), imported once in the zygote so that every kernel forked from it has them: pure
# imports with no state a notebook could see (no pyplot: it picks a display backend).
# "module:function" also runs a warm-up that starts no thread: the local LLM service's
# tokenizer, knowledge index and embeddings (0.5 CPU-second per kernel otherwise).
PRELOAD = ("numpy", "pandas", "sklearn.linear_model", "sklearn.model_selection",
           "sklearn.feature_extraction.text", "sklearn.metrics", "sklearn.pipeline",
           "openai", "fastapi", "uvicorn", "httpx", "pydantic", "ecole_ia.checks",
           "ecole_ia.datasets", "ecole_ia.services.llm.server:warm_up", "ecole_ia.chatbot",
           "ecole_ia.datasets.suivi:warm_up",
           "pytest_bdd", "gherkin.parser")


def preload_for(notebooks) -> tuple[str, ...]:
    """The PRELOAD entries the notebooks import, or import a part or a package of (a zygote
    that preloads what nobody imports only costs time)."""
    import ast

    imported = set()
    for nb in notebooks:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    imported |= {alias.name for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    imported.add(node.module)
    def wanted(entry: str) -> bool:
        name = entry.partition(":")[0]
        return any(name == i or name.startswith(i + ".") or i.startswith(name + ".")
                   for i in imported)

    return tuple(entry for entry in PRELOAD if wanted(entry))


def start_zygote(preload: tuple[str, ...] = ()) -> None:
    """Start this grading process's kernel zygote: kernels of GuardedExecute then fork from
    it, each still a fresh process, with `preload` already imported. Where it cannot start,
    kernels start as separate programs, as nbgrader does (the reason goes to stderr, the
    worker's log)."""
    from multiprocessing import util

    try:
        zygote = Zygote(preload)
    except OSError as exc:
        print(f"ecole-ia: no kernel zygote ({exc}); kernels start the slow way", file=sys.stderr)
        return
    use_zygote(zygote)
    util.Finalize(None, zygote.stop, exitpriority=10)  # reaped: its CPU is counted


def cache_metadata_checks() -> None:
    """nbgrader validates each cell's metadata with `jsonschema.validate`, which checks the
    schema itself again every time (0.17 CPU-second per submission, a quarter of nbgrader's
    own work). In a grading process the validator is built once per schema; the checks made
    and the errors raised are the same."""
    import jsonschema
    from nbgrader.nbgraderformat import common

    validators: dict[str, object] = {}

    class _CachedJsonschema:
        ValidationError = jsonschema.ValidationError

        @staticmethod
        def validate(instance, schema):
            key = json.dumps(schema, sort_keys=True)
            validator = validators.get(key)
            if validator is None:
                cls = jsonschema.validators.validator_for(schema)
                cls.check_schema(schema)
                validator = validators[key] = cls(schema)
            error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
            if error is not None:
                raise error

    common.jsonschema = _CachedJsonschema




def use_zygote(zygote: Zygote | None) -> None:
    """Kernels of this process start from `zygote` (None: as separate programs)."""
    global _zygote
    _zygote = zygote


class _ZygoteChild:
    """What jupyter_client's LocalProvisioner needs of a Popen, for a zygote's kernel."""

    stdin = stdout = stderr = None

    def __init__(self, zygote: Zygote, pid: int):
        self.zygote, self.pid, self.returncode = zygote, pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.exit_status(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ZygoteProvisioner(LocalProvisioner):
    """Starts the kernel from the worker's zygote instead of a new program."""

    async def launch_kernel(self, cmd, **kwargs):
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())
        plan = ""
        if cmd[:len(LAUNCHER)] == LAUNCHER:  # sandboxed: the zygote runs the launcher's steps
            plan, cmd = cmd[len(LAUNCHER)], cmd[len(LAUNCHER) + 2:]
        arguments = sandbox._kernel_arguments(cmd)
        if arguments is None or _zygote is None:
            return await super().launch_kernel(
                [*LAUNCHER, plan, "--", *cmd] if plan else cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        pid = _zygote.start(arguments, cwd, env, plan)
        self.process = _ZygoteChild(_zygote, pid)
        self.pid = self.pgid = pid  # the kernel leads a process group of its own (setsid)
        self.cwd = cwd
        return self.connection_info


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside the sandbox described in sandbox.py."""

    sandbox_plan = Unicode("", help="Plan.encode() of the sandbox; empty = no sandbox").tag(
        config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Unix sockets (the ipc transport), sandbox or not: a network namespace cuts TCP
        # between nbgrader and the kernel, and kernels started in parallel can race for
        # the same free TCP port ("Kernel died before replying to kernel_info"). Absolute,
        # unique paths in the runtime folder (which the sandbox keeps).
        from jupyter_core.paths import jupyter_runtime_dir
        from uuid import uuid4

        runtime = _automatic_runtime or jupyter_runtime_dir()
        os.makedirs(runtime, exist_ok=True)
        stem = os.path.join(runtime, f"k-{uuid4().hex[:12]}")
        self.transport, self.connection_file, self.ip = "ipc", stem + ".json", stem + "-ipc"

    async def _async_pre_start_kernel(self, **kw):
        # The kernel sees only the variables it needs (limits.KEPT_ENV): not the gradebook's
        # URL and password, nor the trainer's tokens, however nbgrader was started.
        kw.setdefault("env", kernel_environment())
        if _zygote is not None and self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or uuid4_hex()
            self.provisioner = ZygoteProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        if not self.sandbox_plan:
            return command
        return [*LAUNCHER, self.sandbox_plan, "--", *command]


_automatic_plan: str | None = None  # per process: the sandbox plan, "" when unavailable
_automatic_runtime: str | None = None  # the sockets' folder that plan keeps writable


def automatic_plan(course_root: str, limits: Limits, log) -> str:
    """The sandbox plan for kernels started by plain `nbgrader autograde` or formgrader
    (`ecole-ia autograde` makes its own): the course and home folders hidden, no network, an
    unprivileged user when nbgrader runs as root, `limits`. Made once per process (the first
    limits asked for stay); where this machine cannot isolate, "" and a warning in nbgrader's log.
    Kernels then talk over sockets in a private runtime folder under /tmp, which the
    sandbox keeps writable (the default one is in the hidden home folder)."""
    global _automatic_plan, _automatic_runtime
    if _automatic_plan is None:
        unavailable = sandbox.probe()
        if unavailable is not None:
            log.warning("ecole-ia: learners' code is NOT isolated on this machine (%s): only "
                        "the clean environment and the execution limits apply", unavailable)
            _automatic_plan = ""
        else:
            import tempfile

            # Not put in os.environ: formgrader grades inside the Jupyter server's process.
            _automatic_runtime = tempfile.mkdtemp(prefix="eia-rt-")
            os.chmod(_automatic_runtime, 0o1777)
            uid = sandbox.SANDBOX_UID + os.getpid() % 4000 if os.geteuid() == 0 else None
            plan = sandbox.default_plan(Path(course_root), uid=uid, limits=limits)
            plan.keep.append(os.path.realpath(_automatic_runtime))
            _automatic_plan = plan.encode()
    return _automatic_plan


def uuid4_hex() -> str:
    from uuid import uuid4

    return str(uuid4())


def _ok(reply: dict | None) -> bool:
    return bool(reply) and reply.get("content", {}).get("status") == "ok"


# What went wrong with kernels in this process, as typed facts for the grading worker:
# ("kernel_start" | "kernel_died", detail). Cleared by the worker before each submission.
incidents: list[tuple[str, str]] = []


def _stderr_as_text(cell) -> None:
    """nbgrader scores a graded cell 0 when it wrote anything on stderr (`determine_grade`):
    a FutureWarning that pandas raises inside a learner's correct code would cost the
    question, while `ecole-ia check` (errors only) says it passes. Only a raised error fails
    a test; the warning's text stays in the cell, as plain output."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            output["name"] = "stdout"


def _cell_label(cell, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"« {grade_id} »" if grade_id else f"n° {index + 1}"


class GuardedExecute(Execute):
    max_output_kb = Integer(
        1024, help="Largest output a notebook may print, all cells together (KiB).").tag(config=True)
    notebook_timeout = Integer(
        600, help="Wall-clock limit for a whole notebook (seconds).").tag(config=True)
    isolate = Bool(
        True, help="Start kernels in the sandbox (sandbox.py), with the limits below, when no "
                   "plan is configured: what plain `nbgrader autograde` and formgrader get. "
                   "`ecole-ia autograde` sets its own plan and turns this off.").tag(config=True)
    # The kernel's resource limits under plain nbgrader (limits.Limits has the same defaults;
    # `ecole-ia autograde` takes them from its own options).
    memory_mb = Integer(Limits.memory_mb, help="Address space of a kernel (MiB).").tag(config=True)
    file_mb = Integer(Limits.file_mb, help="Largest file a kernel may write (MiB).").tag(config=True)
    cpu_seconds = Integer(Limits.cpu_seconds, help="CPU time of a kernel (s).").tag(config=True)
    max_processes = Integer(Limits.processes,
                            help="Processes and threads of a sandboxed kernel.").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        # The kernel is thrown away after the notebook: stop it at once rather than wait for
        # a polite shutdown (0.3 s per notebook).
        kwargs.setdefault("shutdown_kernel", "immediate")
        super().__init__(*args, **kwargs)
        self._printed, self._overflowed = 0, set()

    def create_kernel_manager(self):
        plan = ""
        if self.isolate and issubclass(self.kernel_manager_class, SandboxedKernelManager):
            root = self.config.CourseDirectory.get("root") or os.getcwd()
            limits = Limits(memory_mb=self.memory_mb, file_mb=self.file_mb,
                            cpu_seconds=self.cpu_seconds, processes=self.max_processes)
            # Before the manager is made: it picks its sockets' folder when created.
            plan = automatic_plan(str(root), limits, self.log)
        km = super().create_kernel_manager()
        if plan and isinstance(km, SandboxedKernelManager) and not km.sandbox_plan:
            km.sandbox_plan = plan
        return km

    def preprocess(self, nb, resources=None, km=None):
        self._printed, self._overflowed = 0, set()
        self._started, self._guarded, self._guard_tried = time.monotonic(), False, False
        self._dead_at, self._ran = None, False
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError as exc:
            incidents.append(("kernel_died", str(exc)))
            raise
        except (RuntimeError, TimeoutError) as exc:
            if not self._ran:  # "Kernel died before replying to kernel_info", "didn't respond"
                incidents.append(("kernel_start", str(exc)))
            raise

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, index)
        self._ran = True
        if self._dead_at is not None:
            # Questions after a crash score zero, with the reason, and are not run.
            cell.outputs = [new_output(
                "error", ename=KERNEL_DEATH_ERROR, traceback=[],
                evalue=f"le noyau Python s'est arrêté à la cellule {self._dead_at} : cette "
                       "question n'a pas pu être testée")]
            return cell, self.resources
        try:
            return self._guarded_cell(cell, resources, index)
        except DeadKernelError as exc:
            # The kernel died in this cell (segfault, os._exit, killed): what ran before
            # keeps its points; nbgrader scores this cell and the rest as failed.
            self._dead_at = _cell_label(cell, index)
            incidents.append(("kernel_died", f"{self._dead_at}: {exc}"))
            cell.outputs = list(cell.get("outputs", [])) + [new_output(
                "error", ename=KERNEL_DEATH_ERROR, traceback=[],
                evalue="le noyau Python s'est arrêté pendant cette cellule (plantage : erreur "
                       "de segmentation, os._exit, mémoire…) : les questions suivantes ne "
                       "sont pas notées")]
            return cell, self.resources

    def _guarded_cell(self, cell, resources, index):
        if time.monotonic() - self._started > self.notebook_timeout:
            cell.outputs = [new_output(
                "error", ename=NOTEBOOK_TIMEOUT_ERROR, traceback=[],
                evalue=f"temps total du notebook dépassé ({self.notebook_timeout} s) : "
                       "cette cellule n'a pas été exécutée")]
            return cell, self.resources
        meta = cell.metadata.get("nbgrader", {})
        written_by_learner = meta.get("solution") or not meta.get("locked")
        if written_by_learner and not self._guard_tried:
            # No learner code has run yet, so a failure here is ours (an interrupt left
            # over from a timed-out setup cell, an overloaded machine): try once more, then
            # grade without the guard rather than blame the learner.
            self._guard_tried = True
            code = GUARD.replace("{limit}", str(self.max_output_kb * 1024))
            self._guarded = any(_ok(self._run_hidden(code)) for _ in range(2))
            if not self._guarded:
                self.log.warning("ecole-ia: test guard not installed; grading without it")
        elif meta.get("grade") and not meta.get("solution") and self._guarded:
            # Put the helpers back, then check that code really runs: a kernel patched to
            # skip cells would not set the witness to this fresh random value.
            nonce = secrets.token_hex(8)
            for _ in range(2):  # a late interrupt (after a timed-out cell) may hit it once
                reply = self._run_hidden(RESTORE.format(nonce=nonce), {"t": "_ecole_ia_temoin"})
                if (reply or {}).get("content", {}).get("ename") != "KeyboardInterrupt":
                    break
            if reply is None:  # no answer in time: a limit, not proof of tampering
                cell.outputs = [new_output(
                    "error", ename="CellTimeoutError", traceback=[],
                    evalue="le noyau ne répond plus : cette question n'a pas pu être testée")]
                return cell, self.resources
            seen = reply.get("content", {}).get("user_expressions", {}).get("t", {})
            if not _ok(reply) or seen.get("data", {}).get("text/plain") != repr(nonce):
                cell.outputs = [new_output(
                    "error", ename=TAMPER_ERROR, traceback=[],
                    evalue="le noyau a été modifié pour empêcher les tests de s'exécuter : "
                           "cette question n'est pas notée")]
                return cell, self.resources
        cell, resources = super().preprocess_cell(cell, resources, index)
        if meta.get("grade"):
            _stderr_as_text(cell)
        return cell, resources

    def _run_hidden(self, code: str, expressions: dict | None = None):
        """Execute `code` in the kernel without output, history or a cell of its own."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False,
                                 user_expressions=expressions or {})
        return self.wait_for_reply(msg_id)

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        self._printed += len(content.get("text", "")) + len(str(content.get("data", "")))
        if self._printed > self.max_output_kb * 1024:
            self._overflowed.add(cell_index)
            return None  # dropped: the worker's memory stays bounded
        return super().output(outs, msg, display_id, cell_index)

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        if kwargs.get("cell_index") in self._overflowed:
            kwargs["cell"].outputs.append(new_output(
                "error", ename=OUTPUT_LIMIT_ERROR, traceback=[],
                evalue=f"la sortie dépasse {self.max_output_kb} Kio : n'affichez pas autant "
                       "de texte (une boucle qui imprime sans fin ?)"))
