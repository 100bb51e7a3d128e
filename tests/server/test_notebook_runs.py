"""A %%track run made by a real kernel executing a real notebook file, as JupyterLab runs it
(the cell id in each execute request, JPY_SESSION_NAME = the notebook's path), appears in
GET runs with its notebook path (relative to the root) and cell id; ``notebook=`` selects it.
Also: the runs and status endpoints on PostgreSQL, through MLOPS_STORE."""

from __future__ import annotations

import os

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel
from server_helpers import get, make_runs

pytestmark = pytest.mark.timeout(180)


def run_notebook_as_lab_does(path, store):
    nb = nbformat.read(path, as_version=4)
    env = {**os.environ, "MLOPS_STORE": str(store), "JPY_SESSION_NAME": str(path),
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(path.parent))
    try:
        for cell in nb.cells:
            msg = kc.session.msg("execute_request", {
                "code": cell.source, "silent": False, "store_history": True,
                "user_expressions": {}, "allow_stdin": False, "stop_on_error": True,
            }, metadata={"cellId": cell.id})
            kc.shell_channel.send(msg)
            while True:
                reply = kc.get_shell_msg(timeout=120)
                if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                    break
            assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return nb


async def test_a_tracked_cell_of_a_notebook_has_its_path_and_cell_id(jp_fetch, root_store,
                                                                      jp_root_dir):
    make_runs()
    folder = jp_root_dir / "work"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%load_ext mlops_jupyter"),
                nbformat.v4.new_code_cell("alpha = 0.5"),
                nbformat.v4.new_code_cell("%%track tracked-cell\naccuracy = alpha + 0.4")]
    path = folder / "churn.ipynb"
    nbformat.write(nb, path)
    nb = run_notebook_as_lab_does(path, root_store)

    code, body = await get(jp_fetch, "runs", notebook="work/churn.ipynb")
    assert code == 200 and body["total"] == 1
    row = body["runs"][0]
    assert row["name"] == "tracked-cell" and row["notebook_path"] == "work/churn.ipynb"
    assert row["cell_id"] == nb.cells[2].id
    assert row["metrics"]["accuracy"]["latest"] == pytest.approx(0.9)
    code, detail = await get(jp_fetch, f"runs/{row['run_id']}")
    assert detail["code"].rstrip().endswith("accuracy = alpha + 0.4")
    assert [c.strip() for c in detail["code_slice"]] == ["alpha = 0.5"] and isinstance(detail["execution_count"], int)
    code, body = await get(jp_fetch, "runs", notebook="work/other.ipynb")
    assert code == 200 and body["total"] == 0


async def test_runs_and_status_on_each_backend_through_mlops_store(jp_fetch, store_spec,
                                                                   monkeypatch):
    """store_spec: the same on SQLite and PostgreSQL; the server finds it as MLOPS_STORE."""
    monkeypatch.setenv("MLOPS_STORE", store_spec)
    small, big, broken = make_runs()
    code, body = await get(jp_fetch, "stores")
    env = body["stores"][0]
    assert env["id"] == "env" and env["default"] and env["source"] == "env"
    code, status = await get(jp_fetch, "status")
    assert code == 200 and status["runs"] == 3
    code, body = await get(jp_fetch, "runs", order="metrics.loss", filter="metrics.loss < 1")
    assert code == 200 and [r["run_id"] for r in body["runs"]] == [big, small]
    assert body["runs"][1]["metrics"]["loss"] == {"latest": 0.7, "min": 0.5, "max": 0.9,
                                                  "steps": 3}
    code, body = await get(jp_fetch, "runs", store="env", filter="status = 'FAILED'")
    assert [r["run_id"] for r in body["runs"]] == [broken]
    code, again = await get(jp_fetch, "status")
    assert again == status
