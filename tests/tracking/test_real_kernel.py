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


def test_a_run_started_in_one_cell_stays_active_in_the_next(kernel, tmp_path):
    cells = [
        "import asyncio\nimport mlops_jupyter as mj\nrun = mj.start_run('across-cells')",
        "mj.log_metric('later', 1.0)\nassert mj.active_run() is run",
        # An async cell runs in its own task: a `with` spanning await nests under `run`.
        "with mj.start_run('async-block') as inner:\n"
        "    await asyncio.sleep(0.01)\n    mj.log_metric('inside', 2.0)\n"
        "assert inner.parent_run_id == run.id and mj.active_run() is run",
        # A run started without `with` in an async cell outlives the cell's task.
        "await asyncio.sleep(0)\nrun2 = mj.start_run('from-async-cell')",
        "mj.log_metric('after_async', 3.0)\nassert mj.active_run() is run2\nrun2.end()",
        # Concurrent tasks in a cell each log into their own run.
        "async def work(tag):\n    with mj.start_run(tag) as r:\n        for i in range(5):\n"
        "            mj.log_metric('m_' + tag, i)\n            await asyncio.sleep(0.001)\n"
        "    return r\n"
        "ra, rb = await asyncio.gather(work('a'), work('b'))\n"
        "assert mj.active_run() is run",
        "mj.log_metric('back', 4.0)\nrun.end()\nassert mj.active_run() is None",
    ]
    for i, code in enumerate(cells):
        reply = execute(kernel, code, f"cell-{i}")
        assert reply["status"] == "ok", (code, reply.get("ename"), reply.get("evalue"))

    mj.set_store(str(tmp_path / "store"))
    frame = mj.runs()
    by_name = {name: mj.get_run(run_id) for name, run_id in zip(frame.name, frame.run_id, strict=True)}
    outer = by_name["across-cells"]
    assert outer.status == "FINISHED"
    assert outer.metrics == {"later": 1.0, "back": 4.0}
    assert by_name["async-block"].metrics == {"inside": 2.0}
    assert by_name["from-async-cell"].metrics == {"after_async": 3.0}
    assert by_name["a"].metrics == {"m_a": 4.0} and by_name["b"].metrics == {"m_b": 4.0}
    assert by_name["a"].parent_run_id == outer.id, "a task started inside a run nests under it"
