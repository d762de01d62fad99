"""Executing lessons so that their stored outputs are the ones a fresh kernel produces."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from .errors import NotebookError
from .notebooks import normalise, read_notebook, write_notebook

# The same environment as the test suite, so stored outputs match what nbval sees.
KERNEL_ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
CELL_TIMEOUT = 300


class LocalKernelManager(AsyncKernelManager):
    """Starts kernels on Unix sockets (the ipc transport), as the grader's kernel manager does.

    Over TCP, ipykernel prints "WARNING | Kernel is running over TCP without encryption",
    an English line that alarms a learner running `ecole-ia check`; kernels started side by
    side can also race for the same free TCP port. Each kernel gets unique socket paths in
    Jupyter's runtime folder, removed when it stops."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        from uuid import uuid4

        from jupyter_core.paths import jupyter_runtime_dir

        runtime = jupyter_runtime_dir()
        os.makedirs(runtime, exist_ok=True)
        stem = os.path.join(runtime, f"k-{uuid4().hex[:12]}")
        self.transport, self.connection_file, self.ip = "ipc", stem + ".json", stem + "-ipc"


def execute_lesson(path: Path, display_path: str | None = None) -> None:
    """Run `path` top to bottom in a fresh kernel in its own folder and store the outputs."""
    where = display_path or str(path)
    nb = read_notebook(path)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            kernel_manager_class=LocalKernelManager,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env={**os.environ, **KERNEL_ENV})
    except CellExecutionError as exc:
        index = next((i for i, c in enumerate(nb.cells) if any(
            o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        cell = f"cell {index + 1}" if index is not None else "a cell"
        raise NotebookError(
            f"{where}, {cell}: raised an error. If the error is the point of the example, tag "
            f"the cell `raises-exception`; otherwise fix it.\n{str(exc)[-800:]}") from None
    except (CellTimeoutError, DeadKernelError) as exc:
        raise NotebookError(f"{where}: execution stopped ({type(exc).__name__}: {exc})") from None
    write_notebook(normalise(nb, keep_outputs=True), path)
