"""Where a cell comes from: the notebook file, the front end's cell id, the execution count.

MLflow records ``ipykernel_launcher.py`` as a notebook run's source; we ask the kernel.

A shell outlives its cells: its history, execution counter and the kernel's last request
stay after a cell ends, so code that runs outside a cell (a script or test that created a
shell earlier, a thread) would read some earlier cell there. :func:`executing_cell` answers
only for the cell the calling code is part of, while it executes.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any


@dataclass(frozen=True)
class ExecutingCell:
    """The cell being executed: its source as typed, its ``In[n]`` and front-end cell id."""

    source: str
    execution_count: int | None
    cell_id: str | None


def executing_cell(shell: Any) -> ExecutingCell | None:
    """The cell ``shell`` is executing, when the calling code is part of it; else None.

    IPython holds the running cell's ``ExecutionResult`` on its display hook from compile to
    end (``None`` between cells), and compiles the cell under a file name of its own. The
    caller is part of the cell when a frame of this thread's stack runs code of that file:
    a script, a test or a thread started from other code is not, even while a cell runs.
    """
    result = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    info = getattr(result, "info", None)
    raw = getattr(info, "raw_cell", None)
    if not isinstance(raw, str):
        return None
    count = getattr(result, "execution_count", None)
    if not _on_this_stack(_code_names(shell, info, raw, count)):
        return None
    cell_id = getattr(info, "cell_id", None) or current_cell_id(shell)
    return ExecutingCell(raw, count if isinstance(count, int) else None,
                         str(cell_id) if cell_id else None)


def _code_names(shell: Any, info: Any, raw: str, count: Any) -> set[str]:
    """The file names the running cell may be compiled under."""
    compiler: Any = getattr(shell, "compile", None)
    names: set[str] = set()
    try:
        transformed = getattr(info, "transformed_cell", None)
        if transformed is None:  # IPython before 9.16 does not keep it
            transformed = shell.transform_cell(raw)
        names.add(compiler.get_code_name(raw, transformed, count))
    except Exception:  # noqa: BLE001 - another compiler: its own map of names below
        mapping = getattr(compiler, "_filename_map", None) or {}
        names.update(name for name, number in mapping.items() if number == count)
    return names


def _on_this_stack(filenames: set[str]) -> bool:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename in filenames:
            return True
        frame = frame.f_back
    return False


def notebook_path(shell: Any) -> str | None:
    """The notebook file: JupyterLab/Notebook 7 (``JPY_SESSION_NAME``), VS Code
    (``__vsc_ipynb_file__``), else None (plain IPython or a script)."""
    user_ns = getattr(shell, "user_ns", {}) or {}
    vscode = user_ns.get("__vsc_ipynb_file__")
    if vscode:
        return str(vscode)
    session = os.environ.get("JPY_SESSION_NAME")
    if session:
        return session
    return None


def current_cell_id(shell: Any) -> str | None:
    """The JupyterLab cell id sent in the execute request's metadata (``cellId``)."""
    kernel = getattr(shell, "kernel", None)
    try:
        parent = kernel.get_parent() if kernel is not None and hasattr(kernel, "get_parent") \
            else getattr(shell, "parent_header", None)
    except Exception:  # noqa: BLE001 - older ipykernel signatures
        parent = getattr(shell, "parent_header", None)
    if not isinstance(parent, dict):
        return None
    metadata = parent.get("metadata") or {}
    cell_id = metadata.get("cellId") or metadata.get("cell_id")
    return str(cell_id) if cell_id else None
