"""Run a learner's kernel in a sandbox made of Linux namespaces, without Docker.

nbgrader starts one kernel per notebook. In a grading worker, kernels are started through
`execute.SandboxedKernelManager`, which puts `python -S .../sandbox.py PLAN -- <kernel
command>` in front of the usual command. This launcher, still privileged, then:

1. enters a new mount namespace and a new network namespace (only a loopback, brought up,
   so a lesson's local test server works but nothing else is reachable; the kernel talks to
   nbgrader over Unix sockets, the `ipc` transport, which a network namespace does not cut);
2. covers the course folder and the trainer's home with empty in-memory folders, then puts
   back only what the kernel needs: the Python installation and the ecole_ia package
   (read-only) and the submission's own working folder (read-write); `/tmp` and `/dev/shm`
   become small private in-memory folders, and every other mount becomes read-only;
3. drops to an unprivileged user id of its own (one per grading worker), so the kernel has
   no capability left to undo any of this, and a process-count limit (fork bombs) applies;
4. replaces itself with the kernel (exec).

What it cannot do it reports: `probe()` tells the grading run before it starts, and the run
goes on with the environment clean-up and resource limits only, with a warning. Linux only;
it needs root or unprivileged user namespaces (the second is a weaker, documented fallback:
no separate user id, hence no process-count limit).
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path


CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWUSER = 0x00020000, 0x40000000, 0x10000000
CLONE_NEWPID = 0x20000000
MS_NOEXEC = 8
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT = 1, 2, 4, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
SIOCSIFFLAGS, IFF_UP = 0x8914, 0x1
# Kernel-side file systems whose mounts stay as they are (remounting them is refused or
# breaks the kernel); /dev is still protected by the read-only rule of the nodes under it.
SYSTEM_MOUNTS = ("/proc", "/sys", "/dev")


@dataclass
class Plan:
    """What the sandbox hides and keeps; serialised on the launcher's command line."""

    hide: list[str] = field(default_factory=list)      # folders covered by an empty tmpfs
    keep: list[str] = field(default_factory=list)      # put back read-only under hidden ones
    uid: int | None = None                             # unprivileged id the kernel runs as
    max_processes: int = 256                           # RLIMIT_NPROC for that id
    tmp_mb: int = 256                                  # size of the private /tmp and /dev/shm
    user_namespace: bool | None = None                 # None: only when not root
    # Resource limits of the kernel ({"AS": bytes, "FSIZE": bytes, "CPU": seconds}), set by the
    # launcher itself, so that plain `nbgrader autograde` limits kernels without limiting
    # nbgrader (`ecole-ia autograde` also sets them on its workers, see limits.py).
    rlimits: dict[str, int] = field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def decode(cls, text: str) -> "Plan":
        return cls(**json.loads(text))


# Runs this file as a plain script (stdlib only, no site-packages): the launcher starts
# once per notebook, and importing the ecole_ia package would cost it a quarter second.
LAUNCHER = [sys.executable, "-S", str(Path(__file__).resolve())]


class SandboxError(OSError):
    pass


_libc = ctypes.CDLL(None, use_errno=True)


def _call(name: str, *args) -> None:
    if getattr(_libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise SandboxError(errno, f"{name}{args!r}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _call("mount", enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", IFF_UP))


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            # mountinfo writes spaces and the like as octal escapes (\040)
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)),
                                 line.split()[4]))
    return points


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _enter_namespaces(flags: int, user_namespace: bool) -> None:
    uid, gid = os.geteuid(), os.getegid()
    _call("unshare", flags)
    if user_namespace:  # map ourselves to root inside the new user namespace
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")


def enter(plan: Plan, workdir: str) -> None:
    """Isolate this process (and what it execs) as described in the module docstring."""
    use_userns = plan.user_namespace if plan.user_namespace is not None else os.geteuid() != 0
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | (CLONE_NEWUSER if use_userns else 0)
    _enter_namespaces(flags, use_userns)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _loopback_up()

    # Remember what must stay visible before covering the folders that hold it.
    hide = [h for h in dict.fromkeys(plan.hide) if h != "/" and os.path.isdir(h)]
    hide = [h for h in hide if not any(o != h and _inside(h, o) for o in hide)]
    keep = [k for k in dict.fromkeys(plan.keep) if os.path.exists(k)
            and any(_inside(k, h) for h in hide + ["/tmp"])]
    rw = [workdir] + [k for k in keep if _inside(k, "/tmp")]  # runtime folder, for sockets
    handles = {p: os.open(p, os.O_PATH) for p in dict.fromkeys(keep + rw)}

    for folder in hide + ["/tmp", "/dev/shm"]:
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={plan.tmp_mb}m,mode=1777" if folder in ("/tmp", "/dev/shm")
               else "size=16m,mode=755")
    for path, handle in handles.items():
        if os.path.isdir(f"/proc/self/fd/{handle}"):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            Path(path).touch()
        _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
        # A bind mount keeps the flags of its origin: set read-only or read-write explicitly.
        _mount(None, path, None, MS_REMOUNT | MS_BIND | (0 if path in rw else MS_RDONLY))
        os.close(handle)
    # Every other mount becomes read-only: nothing outside the working folder and the private
    # /tmp can be written, whatever file permissions say.
    ours = set(hide) | set(handles) | {"/tmp", "/dev/shm"}
    for point in sorted(set(_mount_points()), key=len):
        if point in ours or any(_inside(point, s) for s in SYSTEM_MOUNTS):
            continue
        try:
            _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        except SandboxError:
            pass  # mounts locked by the system stay as they were; / is what matters
    os.chdir(workdir)
    if os.geteuid() == 0 and plan.uid is not None:
        _chown_tree(workdir, plan.uid)


def become_kernel(plan: Plan) -> None:
    """In the first process of the new PID namespace: own /proc, no privileges left."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    in_user_namespace = _in_user_namespace()
    if in_user_namespace:
        # Without root there is no other user id to drop to, and "root" of a user namespace
        # could unmount the covers it made. One more user and mount namespace locks every
        # mount made so far together: they can no longer be undone one by one.
        _enter_namespaces(CLONE_NEWUSER | CLONE_NEWNS, True)
    for name, value in plan.rlimits.items():
        kind = getattr(resource, f"RLIMIT_{name}")
        hard = resource.getrlimit(kind)[1]
        resource.setrlimit(kind, (value if hard == resource.RLIM_INFINITY else min(value, hard),
                                  hard))
    if not in_user_namespace and os.geteuid() == 0 and plan.uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (plan.max_processes, plan.max_processes))
        os.setgroups([])
        os.setgid(plan.uid)
        os.setuid(plan.uid)
    home = "/tmp/home"
    os.makedirs(home, exist_ok=True)
    os.environ.update(HOME=home, MPLCONFIGDIR=f"{home}/.matplotlib",
                      IPYTHONDIR=f"{home}/.ipython", TMPDIR="/tmp")


def _in_user_namespace() -> bool:
    # The initial user namespace maps every id to itself: "0 0 4294967295".
    return Path("/proc/self/uid_map").read_text().split() != ["0", "0", "4294967295"]


def _chown_tree(top: str, uid: int) -> None:
    for folder, dirs, files in os.walk(top):
        for name in [folder] + [os.path.join(folder, n) for n in dirs + files]:
            os.lchown(name, uid, uid)


def _connection_file(command: list[str]) -> str | None:
    return command[command.index("-f") + 1] if "-f" in command[:-1] else None


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent ends (prctl PR_SET_PDEATHSIG), so a
    killed trainer leaves no grading process behind. Changing user id clears the setting:
    call it again after dropping privileges. A no-op where prctl does not exist."""
    try:
        _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except AttributeError:  # pragma: no cover (not Linux)
        return
    if os.getppid() == 1:  # the parent died before the call: nobody will send the signal
        os._exit(1)


def main(argv: list[str]) -> None:
    """`python -S sandbox.py PLAN -- KERNEL COMMAND...`"""
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: python -S sandbox.py PLAN -- COMMAND...")
    run_sandboxed(Plan.decode(argv[0]), argv[2:], lambda command: os.execvp(command[0], command))


def run_sandboxed(plan: Plan, command: list[str], start) -> None:
    """Isolate this process, then run `start(command)` as process 1 of a new PID namespace
    (it must not return); exit with the kernel's status."""
    connection = _connection_file(command)
    if connection:
        plan.keep.append(os.path.dirname(os.path.abspath(connection)))
        if plan.uid is not None and os.geteuid() == 0:
            os.chown(connection, plan.uid, plan.uid)  # read by the kernel after dropping root
    try:
        enter(plan, os.getcwd())
    except (OSError, ValueError) as exc:
        # Never run a learner's code half-isolated: the kernel does not start, the
        # notebook fails, and the grading run was warned by probe() beforehand.
        sys.exit(f"ecole-ia sandbox: isolation failed, kernel not started: {exc}")
    # The kernel becomes process 1 of a new PID namespace: when it ends, every process it
    # started ends with it (no fork bomb outlives grading). This launcher stays as its
    # parent, ignores the interrupts meant for the kernel, and exits with its status.
    child = os.fork()
    if child == 0:
        try:
            become_kernel(plan)
            die_with_parent()
            start(command)
        except OSError as exc:
            print(f"ecole-ia sandbox: kernel not started: {exc}", file=sys.stderr)
        os._exit(127)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: os.kill(child, signal.SIGKILL))
    _, status = os.waitpid(child, 0)
    sys.exit(os.waitstatus_to_exitcode(status) if status else 0)


# -- the kernel zygote ----------------------------------------------------------------------
#
# Starting a kernel costs about 0.3 CPU-second, most of it Python importing ipykernel and
# IPython; the notebook itself often costs less. A grading worker therefore starts one
# zygote: a clean Python process (started afresh, never given a learner's data) that
# imports ipykernel once, then forks a new process for every kernel the worker asks for.
# Each fork goes through exactly the launcher steps above (namespaces, covers, its own user
# id, PID namespace) and then runs ipykernel in that fresh process: every submission still
# gets a fresh kernel of its own, and the imports are not paid again.
#
# Protocol, one JSON object per line on a Unix socket pair:
#   worker -> zygote  {"argv": [...], "cwd": "...", "env": {...}, "plan": "..." or ""}
#   zygote -> worker  {"pid": N}  (or {"error": "..."}), later {"exit": N, "status": S}

ZYGOTE_KERNEL = ("-m", "ipykernel_launcher")


def _kernel_arguments(command: list[str]) -> list[str] | None:
    """The arguments after `python [-X...] -m ipykernel_launcher`, or None for any other
    command (`-X` options, such as ipykernel's `-Xfrozen_modules=off` for its debugger, do
    not apply to a forked kernel)."""
    if not command or os.path.realpath(command[0]) != os.path.realpath(sys.executable):
        return None
    rest = command[1:]
    while rest and rest[0].startswith("-X"):
        rest = rest[1:]
    return rest[2:] if tuple(rest[:2]) == ZYGOTE_KERNEL else None


def _start_in_process(command: list[str]) -> None:
    """Become the kernel: ipykernel in this (forked) process when `command` is this Python's
    ipykernel, else exec the command like the plain launcher."""
    arguments = _kernel_arguments(command)
    if arguments is None:
        os.execvp(command[0], command)
    sys.argv = ["ipykernel_launcher", *arguments]
    from ipykernel import kernelapp

    try:
        kernelapp.launch_new_instance()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _fork_kernel(request: dict, keep_fds: tuple[int, ...]) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:
        for fd in keep_fds:
            os.close(fd)
        os.setsid()  # its own process group, as jupyter_client gives a kernel it starts
        die_with_parent()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)  # ipykernel's own notices go to the worker's log, never the terminal
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        command = [sys.executable, *ZYGOTE_KERNEL, *request["argv"]]
        if request.get("plan"):
            run_sandboxed(Plan.decode(request["plan"]), command, _start_in_process)
        else:
            _start_in_process(command)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    except BaseException as exc:  # noqa: BLE001 - nothing may escape into the zygote's loop
        print(f"ecole-ia sandbox: kernel not started: {type(exc).__name__}: {exc}",
              file=sys.stderr)
    os._exit(127)


def serve_zygote(fd: int, preload: list[str] = ()) -> None:
    """The zygote's loop (see above): runs until the worker closes its end or dies.
    `preload`: libraries the notebooks import, imported once here (execute.preload_for)."""
    import importlib
    import select

    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the trainer's process's business
    # Preload what every kernel imports (the point of the zygote).
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import ipykernel.zmqshell  # noqa: F401
    for entry in preload:  # "module" or "module:function" (a warm-up with no threads)
        name, _, function = entry.partition(":")
        try:
            module = importlib.import_module(name)
            if function:
                getattr(module, function)()
        except Exception as exc:  # a kernel that needs it will say why, in its own cell
            print(f"ecole-ia zygote: {entry} not preloaded ({exc})", file=sys.stderr)

    # Orphans come back to the zygote (a kernel killed together with its launcher, whatever
    # a fork bomb left): it reaps them, so no zombie outlives grading.
    _libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    channel = socket.socket(fileno=fd)
    pending = b""
    running: set[int] = set()

    def send(message: dict) -> None:
        channel.sendall(json.dumps(message).encode() + b"\n")

    while True:
        ready, _, _ = select.select([channel], [], [], 0.05 if running else 0.5)
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not pid:
                break
            if pid in running:
                running.discard(pid)
                send({"exit": pid, "status": os.waitstatus_to_exitcode(status)})
        if not ready:
            continue
        data = channel.recv(1 << 20)
        if not data:  # the worker is done: stop what is left, reap everything, then go
            for pid in running:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            while True:
                try:
                    os.waitpid(-1, 0)
                except ChildProcessError:
                    return
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            try:
                pid = _fork_kernel(json.loads(line), (channel.fileno(),))
            except OSError as exc:
                send({"error": f"fork: {exc}"})
                continue
            running.add(pid)
            send({"pid": pid})


# First of the unprivileged user ids kernels run as when grading runs as root (one per grading
# process: SANDBOX_UID + pid % 4000, so each has its own process count).
SANDBOX_UID = 61000


def default_plan(course_root: Path | None, uid: int | None, limits=None) -> Plan:
    """Hide the course and the home folder; keep the Python installation and ecole_ia.
    `limits` (a limits.Limits) also bounds the kernel's memory, files, CPU and processes."""
    import ecole_ia

    keep = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(ecole_ia.__file__).parent)}
    runtime = os.environ.get("JUPYTER_RUNTIME_DIR")
    if runtime:
        keep.add(runtime)
    hide = [os.path.expanduser("~")] + ([str(course_root.resolve())] if course_root else [])
    plan = Plan(hide=hide, keep=sorted(os.path.realpath(k) for k in keep), uid=uid)
    if limits is not None:
        plan.max_processes = limits.processes
        plan.rlimits = {"AS": limits.memory_mb * 2**20, "FSIZE": limits.file_mb * 2**20,
                        "CPU": limits.cpu_seconds}
    return plan


def probe(timeout: float = 30) -> str | None:
    """Why kernels cannot be sandboxed on this machine (English, for the trainer), or None."""
    if not sys.platform.startswith("linux"):
        return f"namespaces are Linux-only (this is {sys.platform})"
    plan = default_plan(None, uid=65534 if os.geteuid() == 0 else None)
    check = ("import os, socket\n"
             "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.close()\n"
             "open('probe.txt', 'w').write('ok')\n"
             "print('sandboxed as', os.getuid())\n")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ecole-ia-probe-") as workdir:
        try:
            done = subprocess.run(
                [*LAUNCHER, plan.encode(), "--", sys.executable, "-c", check],
                capture_output=True, text=True, timeout=timeout, cwd=workdir)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
    if done.returncode != 0 or "sandboxed as" not in done.stdout:
        return (done.stderr.strip().splitlines() or ["unknown failure"])[-1]
    return None


if __name__ == "__main__":
    if sys.argv[1:2] == ["--zygote"]:
        del sys.path[0]  # this file's folder: a kernel must not import sandbox.py by name
        serve_zygote(int(sys.argv[2]), json.loads(sys.argv[3]) if len(sys.argv) > 3 else [])
    else:
        main(sys.argv[1:])
