"""%%track in a real ipykernel, driven as JupyterLab drives it (execute requests with cellId)."""

from __future__ import annotations

import pytest
from jupyter_client.manager import start_new_kernel

import mlops_jupyter as mj


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    env = {"MLOPS_STORE": str(tmp_path / "store"), "JPY_SESSION_NAME": str(tmp_path / "analysis.ipynb"),
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    import os

    km, kc = start_new_kernel(kernel_name="python3", env={**os.environ, **env}, cwd=str(tmp_path))
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def execute(kc, code: str, cell_id: str) -> dict:
    """Send an execute_request with the cell id in its metadata, as JupyterLab does."""
    msg = kc.session.msg("execute_request", {
        "code": code, "silent": False, "store_history": True, "user_expressions": {},
        "allow_stdin": False, "stop_on_error": True,
    }, metadata={"cellId": cell_id})
    kc.shell_channel.send(msg)
    while True:
        reply = kc.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return reply["content"]


def test_cell_id_notebook_path_and_error_status_reach_the_run(kernel, tmp_path):
    assert execute(kernel, "%load_ext mlops_jupyter", "c0")["status"] == "ok"
    assert execute(kernel, "threshold = 0.5", "c1")["status"] == "ok"
    ok = execute(kernel, "%%track good\nscore = threshold * 2", "cell-good")
    assert ok["status"] == "ok"
    bad = execute(kernel, "%%track bad\nraise RuntimeError('nope')", "cell-bad")
    # The front end must see the failure (so "Run All" stops), with the user's exception.
    assert bad["status"] == "error" and bad["ename"] == "RuntimeError"

    mj.set_store(str(tmp_path / "store"))
    frame = mj.runs(order_by="start_time")
    assert list(frame["name"]) == ["good", "bad"]
    good = mj.get_run(frame.run_id[0])
    assert good.cell_id == "cell-good"
    assert good.notebook_path == str(tmp_path / "analysis.ipynb")
    assert good.metrics == {"score": 1.0}
    assert [c["cell_id"] for c in good.code_slice["cells"]] == ["c1"]
    bad_run = mj.get_run(frame.run_id[1])
    assert bad_run.status == "FAILED" and "RuntimeError: nope" in bad_run.error
