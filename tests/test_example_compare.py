"""example_notebooks/compare_runs.ipynb runs top to bottom in the project's kernel and shows the
comparison (widget + static fallback), the diff and the runs table.

Regenerate the committed outputs with: .venv/bin/python tests/test_example_compare.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from notebook_helpers import CHECK_KERNEL, EXAMPLES, cell_starting, execute, text_of

NOTEBOOK = EXAMPLES / "compare_runs.ipynb"

WIDGET = "application/vnd.jupyter.widget-view+json"


def bundle_of(cell: nbformat.NotebookNode) -> dict:
    return next(o["data"] for o in cell.outputs if "text/html" in o.get("data", {}))


@pytest.mark.slow
def test_compare_notebook_runs_and_shows_the_comparison(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK_KERNEL))
    execute(nb, tmp_path / "store")
    assert f"KERNEL {sys.executable}" in text_of(nb.cells[-1])  # the project's venv

    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors

    assert "12" in text_of(cell_starting(code, "classes = np.unique"))  # 3 losses x 2 alphas x 2 feature sets

    view = bundle_of(cell_starting(code, "%compare"))
    assert WIDGET in view  # interactive with a kernel
    html = view["text/html"]
    assert "best <b>val_accuracy</b>" in html
    assert html.count("<svg") == 3 and "<script" not in html  # parcoords, bars, curves
    assert "[4 candidates]" in html  # the grid search, folded
    assert "<details" in html  # diff of the two best
    assert len(json.dumps(view)) < 100_000

    summary = text_of(cell_starting(code, "c = mj.compare("))
    assert "17 runs" in summary and "best val_accuracy (higher is better)" in summary

    diff = text_of(cell_starting(code, "sweep = mj.compare("))
    # the two best by val_accuracy, best first: all features (0.9532) then no_worst (0.9064)
    assert "features: all -> no_worst" in diff
    assert "data (train): cancer_train" in diff
    assert "removed columns (10): worst radius" in diff
    assert "mlops-run-diff" in diff  # the RunDiff's HTML

    assert "lower is better" in text_of(cell_starting(code, "by_loss = "))

    table = bundle_of(cell_starting(code, "%runs"))
    assert WIDGET in table and "mlops-runs" in table["text/html"]


if __name__ == "__main__":  # refresh the committed outputs (static fallback visible on GitHub)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        executed = execute(nbformat.read(NOTEBOOK, as_version=4), Path(tmp) / "store")
    nbformat.write(executed, NOTEBOOK)
    print("wrote", NOTEBOOK)
