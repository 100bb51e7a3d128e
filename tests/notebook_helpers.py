"""Executing the example notebooks in the project's kernel and reading their outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[1] / "example_notebooks"
# Appended to a notebook under test: proves the kernel is the project's own interpreter.
CHECK_KERNEL = "import sys; print('KERNEL', sys.executable)"


def execute(nb: nbformat.NotebookNode, store: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom (cwd: example_notebooks/) against the store at ``store``."""
    os.environ["MLOPS_STORE"] = str(store)  # the kernel inherits it: nothing lands in a real store
    # jupyter_client starts the "python3" kernel with this interpreter (sys.executable), the .venv's
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    # No widget state in the saved file, as JupyterLab saves by default: nbconvert and GitHub
    # then show the static text/html fallback instead of widgets they cannot run.
    # (store_widget_state=False is not an option: nbclient then fails on Output widgets.)
    nb.metadata.pop("widgets", None)
    return nb


def text_of(cell: nbformat.NotebookNode) -> str:
    # Stream text is joined as printed: under load one print can arrive as several stream
    # messages ("1" then "2\n"), and a separator between them would split "12".
    streams = "".join(out.get("text", "") for out in cell.get("outputs", []))
    parts = [streams]
    for out in cell.get("outputs", []):
        for mime in ("text/plain", "text/html"):
            parts.append(str(out.get("data", {}).get(mime, "")))
    return "\n".join(parts)


def cell_starting(code: list, prefix: str) -> nbformat.NotebookNode:
    return next(c for c in code if c.source.startswith(prefix))
