"""POST exports: the package lands under the server root; errors say why; the server keeps
answering while an export runs."""

from __future__ import annotations

import asyncio
import time

import pytest
from server_helpers import get, make_runs, post

import mlops_jupyter as mj

pytestmark = pytest.mark.timeout(300)


async def test_export_of_a_run_without_a_model_is_409(jp_fetch, root_store, jp_root_dir):
    small, _, broken = make_runs()
    code, body = await post(jp_fetch, "exports", {"ref": small})
    assert code == 409 and "has no model" in body["error"] and small[:8] in body["error"]
    code, body = await post(jp_fetch, "exports", {"ref": broken})
    assert code == 409 and "FAILED" in body["error"]
    code, body = await post(jp_fetch, "exports", {"ref": "deadbeef"})
    assert code == 404
    code, body = await post(jp_fetch, "exports", {"ref": "churn/1"})
    assert code == 404 and "churn" in body["error"]
    code, body = await post(jp_fetch, "exports", {})
    assert code == 400 and "ref" in body["error"]
    assert not (jp_root_dir / "exports").exists()


async def test_export_registers_writes_the_package_and_the_server_stays_responsive(
        jp_fetch, trained_run, jp_root_dir):
    export = asyncio.ensure_future(post(jp_fetch, "exports", {
        "ref": trained_run[:8], "register_as": "iris", "description": "flowers"}))
    answered = []
    while not export.done():
        t0 = time.perf_counter()
        code, body = await get(jp_fetch, "status")
        answered.append((code, time.perf_counter() - t0, export.done()))
        await asyncio.sleep(0.05)
    code, body = await export
    assert code == 200, body
    # several GETs answered (fast) while the export was still running
    during = [a for a in answered if not a[2]]
    assert len(during) >= 3 and all(c == 200 for c, _, _ in during)
    assert max(t for _, t, _ in during) < 2.0
    assert body["path"] == "exports/iris-v1" and body["archive"] == "exports/iris-v1.tar.gz"
    folder = jp_root_dir / "exports" / "iris-v1"
    assert body["absolute_path"] == str(folder) and folder.is_dir()
    assert (jp_root_dir / "exports" / "iris-v1.tar.gz").is_file()
    assert {"Dockerfile", "MODEL_CARD.md", "model.skops", "mlops-model.json"} <= set(body["files"])
    assert all((folder / f).is_file() for f in body["files"])
    assert body["serve_command"] == "mlops-jupyter serve exports/iris-v1"
    assert body["version"]["version"] == 1 and body["version"]["description"] == "flowers"
    assert body["parity"]["equal"] is True and body["parity"]["rows"] > 0
    assert mj.model_versions("iris")["run_id"].tolist() == [trained_run]

    code, body = await post(jp_fetch, "exports", {"ref": "iris/1", "out_dir": "ship/iris"})
    assert code == 200 and body["path"] == "ship/iris"
    assert (jp_root_dir / "ship" / "iris" / "mlops-model.json").is_file()
