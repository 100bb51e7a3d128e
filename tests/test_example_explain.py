"""example_notebooks/explain.ipynb runs top to bottom in the project's kernel and shows results.

The committed copy keeps its outputs but not the widget state (which would make it ~1 MB), so
viewers show each output's static text/html fallback.
"""

from __future__ import annotations

import sys

import nbformat
import pytest
from nbclient import NotebookClient
from notebook_helpers import CHECK_KERNEL, EXAMPLES, text_of

NOTEBOOK = EXAMPLES / "explain.ipynb"


@pytest.mark.slow
def test_explain_notebook_runs_and_shows_explanations(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_STORE", str(tmp_path / "store"))  # inherited by the kernel
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK_KERNEL))
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    kernel = text_of(nb.cells[-1])
    assert f"KERNEL {sys.executable}" in kernel, kernel  # the project's venv, not some other python

    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    global_view = next(c for c in code if c.source.startswith("expl = mj.explain"))
    bundle = next(o["data"] for o in global_view.outputs if "text/html" in o.get("data", {}))
    assert "application/vnd.jupyter.widget-view+json" in bundle  # interactive in a live kernel
    assert "explained with the <b>tree</b> explainer" in bundle["text/html"]  # static fallback
    assert "442 of 442 rows" in bundle["text/html"]
    assert "tree regression" in text_of(next(c for c in code if "additivity gap" in c.source))
    grouped = text_of(next(c for c in code if c.source.startswith("expl.grouped().to_frame()")))
    assert "bmi_band" in grouped and "cat__bmi_band" not in grouped  # one value per original column
    row = text_of(next(c for c in code if "display_explanation(" in c.source))
    assert "Row 5" in row
    check = text_of(code[-2])
    pred, rest = check.split("prediction ")[1].split(" = base ")
    base, contrib = rest.split(" + contributions ")
    assert float(pred) == pytest.approx(float(base) + float(contrib), abs=0.02)
