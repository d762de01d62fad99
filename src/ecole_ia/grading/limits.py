"""Resource limits and a clean environment for the processes that run learners' code.

Applied inside each grading worker process before nbgrader starts a kernel, so the kernel
inherits them (POSIX only). They stop the commonest accidents — a memory bomb, a runaway
file, a CPU-bound loop that the per-cell timeout cannot interrupt, the trainer's secrets
in environment variables. The sandbox (sandbox.py) adds isolation: see the README's
security model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

try:  # not on Windows
    import resource
except ImportError:  # pragma: no cover
    resource = None

# One thread per numerical library in grading kernels: several kernels already share the
# cores, and OpenBLAS's idle threads spin. Measured on 2 busy cores: cb-11's fallback model
# (a logistic regression on 40 sentences) took 1.5 CPU-s with two BLAS threads, 0.12 with
# one. Must be set before numpy is imported (the zygote preloads it: execute.Zygote).
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Variables a kernel needs; everything else (tokens, passwords, cloud keys) is dropped.
KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "VIRTUAL_ENV",
            "PYTHONHASHSEED", "MPLBACKEND", *SINGLE_THREADED, "JUPYTER_PATH",
            "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "SYSTEMROOT")


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 4096     # address space per process (kernel included)
    file_mb: int = 200        # largest file a process may write
    cpu_seconds: int = 900    # CPU time per process, a backstop behind the per-cell timeout
    processes: int = 128      # processes and threads of a sandboxed kernel (fork bombs)
    output_kb: int = 1024     # what a notebook may print, all cells together
    notebook_seconds: int = 600  # wall-clock time for a whole notebook


def kernel_environment(environ=os.environ) -> dict[str, str]:
    """The variables a kernel may see: KEPT_ENV only, one thread for numerical libraries."""
    env = {key: value for key, value in environ.items() if key in KEPT_ENV}
    for key, value in SINGLE_THREADED.items():
        env.setdefault(key, value)
    return env


def clean_environment() -> None:
    kept = kernel_environment()
    os.environ.clear()
    os.environ.update(kept)


def apply(limits: Limits) -> list[str]:
    """Apply `limits` to this process and its future children; return what could not be."""
    clean_environment()
    if resource is None:
        return ["resource limits are not available on this system"]
    skipped = []
    for name, value in (("RLIMIT_AS", limits.memory_mb * 2**20),
                        ("RLIMIT_FSIZE", limits.file_mb * 2**20),
                        ("RLIMIT_CPU", limits.cpu_seconds)):
        kind = getattr(resource, name, None)
        if kind is None:
            skipped.append(name)
            continue
        soft, hard = resource.getrlimit(kind)
        target = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (target, hard))
    return skipped
