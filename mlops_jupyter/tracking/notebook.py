"""Where a cell comes from: the notebook file, the front end's cell id, the execution count.

MLflow records ``ipykernel_launcher.py`` as a notebook run's source; we ask the kernel.
"""

from __future__ import annotations

import os
from typing import Any


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
