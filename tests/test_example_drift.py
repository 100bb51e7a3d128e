"""example_notebooks/drift.ipynb runs top to bottom in the project's kernel and shows the report.

Regenerate the committed outputs with: .venv/bin/python tests/test_example_drift.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from notebook_helpers import CHECK_KERNEL, EXAMPLES, cell_starting, execute, text_of

NOTEBOOK = EXAMPLES / "drift.ipynb"
@pytest.mark.slow
def test_drift_notebook_runs_and_finds_the_shifted_columns(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK_KERNEL))
    execute(nb, tmp_path / "store")
    assert f"KERNEL {sys.executable}" in text_of(nb.cells[-1])  # the project's venv

    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors

    # the report as the cell's value: widget for a live kernel + static HTML fallback
    view = cell_starting(code, "report = mj.drift(")
    bundle = next(o["data"] for o in view.outputs if "text/html" in o.get("data", {}))
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert "No dataset drift, but 4 of 12 columns drifted (33%, dataset threshold 50%)" in html
    assert "<svg" in html and "west" in html  # distributions drawn; unseen clinic listed
    assert len(json.dumps(bundle)) < 300_000

    # the shifted columns, and only those, are flagged
    summary = text_of(cell_starting(code, "print(report.summary())"))
    for column in ("bmi", "clinic", "bp", "visit_date"):
        assert f"drifted: {column} " in summary, summary
    features_only = text_of(cell_starting(code, "features_only = mj.drift("))
    drifted = {line.split("drifted: ")[1].split(" ")[0] for line in features_only.splitlines()
               if "drifted: " in line}
    assert drifted == {"bmi", "clinic", "bp"}, features_only
    assert "3 of 11 columns drifted" in features_only and "no dataset drift" in features_only
    assert "missing 0.0% -> 1" in features_only  # bp's sensor gaps are what flags it

    weighted = text_of(cell_starting(code, "from sklearn.inspection"))
    assert "weighted_drift" in weighted

    small = text_of(cell_starting(code, "week_a, week_b"))
    assert "tests: ['chisquare', 'ks']" in small
    assert "with BH: []" in small  # same period: nothing survives the correction

    alerts = cell_starting(code, "logging.basicConfig")
    assert "callback got ['bmi', 'clinic', 'bp']" in text_of(alerts)
    stderr = "".join(o.get("text", "") for o in alerts.outputs if o.get("name") == "stderr")
    assert "WARNING mlops_jupyter.drift: Data drift: 3 of 11 columns drifted" in stderr


def test_committed_notebook_shows_the_static_view_without_a_kernel():
    nbconvert = pytest.importorskip("nbconvert")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert "widgets" not in nb.metadata  # else nbconvert/GitHub try widgets instead of the HTML
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    assert body.count('class="mlops-drift"') == 1
    assert "No dataset drift, but 4 of 12 columns drifted" in body
    assert os.path.getsize(NOTEBOOK) < 1_000_000


if __name__ == "__main__":  # refresh the committed outputs (static fallback visible on GitHub)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        executed = execute(nbformat.read(NOTEBOOK, as_version=4), Path(tmp) / "store")
    nbformat.write(executed, NOTEBOOK)
    print("wrote", NOTEBOOK)
