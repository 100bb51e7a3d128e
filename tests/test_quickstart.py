"""`make demo`'s notebook, executed headlessly in a real kernel: it tracks what it says."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import mlops_jupyter as mj

REPO = Path(__file__).resolve().parents[1]


def test_quickstart_notebook_tracks_three_runs(tmp_path, monkeypatch):
    store = tmp_path / "store"
    monkeypatch.setenv("MLOPS_STORE", str(store))
    nb = nbformat.read(REPO / "example_notebooks" / "quickstart.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    mj.set_store(str(store))
    runs = mj.runs(experiment="quickstart", filter="parent_run_id is null", order_by="name")
    assert list(runs["name"]) == ["boosting-sweep", "forest", "logreg"]
    assert set(runs["status"]) == {"FINISHED"}
    assert (runs["metrics.accuracy"] > 0.9).all()
    assert len(mj.runs(filter="parent_run_id is not null")) == 4  # the sweep's candidates
    forest = mj.get_run(runs.run_id[1])
    assert [s for s, _, _ in forest.metric_history["val_accuracy"]] == [10, 25, 50, 100, 200]
    # One training snapshot shared by all three runs.
    snaps = mj.snapshots()
    assert sorted(snaps["name"]) == ["X_train", "y_train"] and set(snaps["version"]) == {1}
    outputs = "".join(str(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "test accuracy of the reloaded model" in outputs
    assert os.path.isdir(store)


def test_make_demo_prints_what_it_tracked(tmp_path):
    # `make demo` is one of the README's two commands: its script must keep working as the
    # API changes (it once broke on a renamed column of mj.snapshots()).
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MLOPS_STORE", None)
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "demo.py")], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "7 runs in the store (4 search candidates)" in proc.stdout
    assert "X_train" in proc.stdout and "n_rows" in proc.stdout
