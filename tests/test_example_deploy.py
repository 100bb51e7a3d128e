"""example_notebooks/deploy.ipynb runs top to bottom in the project's kernel: it trains,
registers, promotes and exports a model, serves the package, gets the in-notebook predictions
back over HTTP, sees a shifted batch flagged by /monitor/drift, and leaves no server behind
(also when a cell fails after the server started).

Regenerate the committed outputs with: .venv/bin/python tests/test_example_deploy.py
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient.exceptions import CellExecutionError
from notebook_helpers import CHECK_KERNEL, EXAMPLES, cell_starting, execute, text_of

import mlops_jupyter as mj
from mlops_jupyter.deploy.layout import RUNTIME_FILES

NOTEBOOK = EXAMPLES / "deploy.ipynb"
PACKAGE_FILES = {*RUNTIME_FILES, "drift_statistics.py", "mlops-model.json", "model.skops",
                 "reference.json", "requirements.txt", "MODEL_CARD.md", "Dockerfile",
                 "kserve.yaml", "model-settings.json", "mlserver_runtime.py"}
# Appended: what the notebook computed, for the checks that need more than the shown text.
DUMP = """print('STATE', json.dumps({
    "package": str(package), "port": port, "pid": server.pid,
    "rows": rows.to_dict(orient="records"), "answer": answer, "v2": v2_answer,
    "calm": calm, "drifted": drifted}))"""
SERVING = re.compile(r"serving churn-v1 on http://127\.0\.0\.1:(\d+) \(pid (\d+)\)")


def _port_closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited (its parent did not reap it)


def _kill_if_left(pid: int) -> None:
    """A server the notebook failed to stop must not outlive the test (only ours: serve.py)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    if b"serve.py" in cmdline:
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The kernel's tempfile folder (where the notebook exports): inside tmp_path."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.mark.slow
def test_deploy_notebook_serves_the_notebooks_predictions_and_flags_drift(tmp_path,
                                                                         private_tmp):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(DUMP))
    nb.cells.append(nbformat.v4.new_code_cell(CHECK_KERNEL))
    store = tmp_path / "store"
    pid = None
    try:
        execute(nb, store)
        assert f"KERNEL {sys.executable}" in text_of(nb.cells[-1])  # the project's venv
        code = [c for c in nb.cells if c.cell_type == "code"]
        errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, errors
        state = json.loads(text_of(nb.cells[-2]).split("STATE ", 1)[1].splitlines()[0])
        pid, port = state["pid"], state["port"]
        serving = SERVING.search(text_of(cell_starting(code, "import atexit")))
        assert serving and (int(serving[1]), int(serving[2])) == (port, pid)

        # the package: in the temporary folder, every file, its tarball, parity recorded
        package = Path(state["package"])
        assert package.parent.parent == private_tmp and package.name == "churn-v1"
        assert {p.name for p in package.iterdir()} >= PACKAGE_FILES
        assert package.with_name("churn-v1.tar.gz").is_file()
        manifest = json.loads((package / "mlops-model.json").read_text())
        assert (manifest["name"], manifest["version"]) == ("churn", "1")
        assert manifest["registered"]["stage"] == "Production"
        assert manifest["parity"]["equal"] is True
        shown = text_of(cell_starting(code, "import tempfile"))
        assert "parity: {'rows': 20, 'max_abs_diff': 0.0, 'equal': True" in shown
        assert "model.skops" in shown and "serve.py" in shown

        # the served answers are the registered model's own predictions
        mj.set_store(str(store))
        model = mj.load_model("churn@Production")
        rows = pd.DataFrame(state["rows"])
        answer = state["answer"]
        assert answer["predictions"] == model.predict(rows).tolist()
        np.testing.assert_allclose(answer["probabilities"], model.predict_proba(rows),
                                   rtol=0, atol=1e-12)
        assert answer["classes"] == [0, 1] and len(rows) == 5
        # ... and the table the user sees shows them side by side, equal in every row
        table = text_of(cell_starting(code, "def call(")).split("in notebook P(churn)")[1]
        shown_rows = [line.split() for line in table.strip().splitlines()[:5]]
        assert len(shown_rows) == 5
        for _index, served, local, served_p, local_p in shown_rows:
            assert (served, served_p) == (local, local_p)
        # V2: the same predictions, the request id echoed, the string column sent as BYTES
        v2 = state["v2"]
        assert v2["id"] == "notebook-1" and v2["model_name"] == "churn"
        outputs = {o["name"]: o for o in v2["outputs"]}
        assert outputs["predict"]["data"] == answer["predictions"]
        assert outputs["predict_proba"]["shape"] == [5, 2]

        # drift: the held-out batch is not flagged, the shifted one is, on the shifted columns
        calm, drifted = state["calm"], state["drifted"]
        assert calm["status"] == drifted["status"] == "ok"
        assert calm["n_current"] == drifted["n_current"] == 1000  # the window: one batch
        assert calm["dataset_drift"] is False and calm["drifted_columns"] == []
        assert drifted["dataset_drift"] is True
        assert set(drifted["drifted_columns"]) == {"monthly_charges", "support_calls"}
        assert "dataset drift False, drifted columns []" in text_of(
            cell_starting(code, "def show_drift("))
        assert "dataset drift True" in text_of(cell_starting(code, "shifted = "))

        # the last cell stopped the server: no process, nothing listening on its port
        assert "server stopped: it answered" in text_of(cell_starting(code, "stop_server()"))
        assert not _alive(pid)
        assert _port_closed(port)
    finally:
        if pid is not None:
            _kill_if_left(pid)


@pytest.mark.slow
def test_a_failing_cell_after_the_start_still_stops_the_server(tmp_path, private_tmp):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    start = next(i for i, c in enumerate(nb.cells) if c.source.startswith("import atexit"))
    nb.cells.insert(start + 1, nbformat.v4.new_code_cell("raise RuntimeError('a cell fails')"))
    with pytest.raises(CellExecutionError, match="a cell fails"):
        execute(nb, tmp_path / "store")
    serving = SERVING.search(text_of(nb.cells[start]))
    assert serving, text_of(nb.cells[start])  # it had started
    port, pid = int(serving[1]), int(serving[2])
    try:
        # nbclient shut the kernel down: the interrupt sent to its process group (and, for a
        # server outside that group, the kernel's atexit hook) stopped the server
        assert not _alive(pid)
        assert _port_closed(port)
    finally:
        _kill_if_left(pid)


if __name__ == "__main__":  # refresh the committed outputs
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TMPDIR"] = tmp
        executed = execute(nbformat.read(NOTEBOOK, as_version=4), Path(tmp) / "store")
    nbformat.write(executed, NOTEBOOK)
    print("wrote", NOTEBOOK)
