"""The REST API of the lab extension (mlops/api/), through a real in-process Jupyter server
(pytest-jupyter's jp_fetch), on stores with runs made by mj."""

from __future__ import annotations

import math

import pytest
from server_helpers import get, make_runs, post

import mlops_jupyter as mj

pytestmark = pytest.mark.timeout(120)


async def test_stores_lists_the_root_store_as_default(jp_fetch, root_store, jp_root_dir):
    (jp_root_dir / "project" / "sub").mkdir(parents=True)
    mj.close_stores()
    mj.set_store(str(jp_root_dir / "project" / "sub"))  # project/sub/.mlops
    with mj.start_run("elsewhere"):
        pass
    mj.set_store(str(root_store))
    make_runs()
    (jp_root_dir / "node_modules" / ".mlops").mkdir(parents=True)  # never searched
    code, body = await get(jp_fetch, "stores")
    assert code == 200
    assert body["stores"] == [
        {"id": ".mlops", "label": ".mlops", "path": ".mlops", "source": "root", "default": True},
        {"id": "project/sub/.mlops", "label": "project/sub/.mlops",
         "path": "project/sub/.mlops", "source": "root", "default": False},
    ]
    code, body = await get(jp_fetch, "runs", store="project/sub/.mlops")
    assert code == 200 and [r["name"] for r in body["runs"]] == ["elsewhere"]


async def test_runs_rows_have_min_max_latest_and_paging(jp_fetch, root_store):
    small, big, broken = make_runs()
    code, body = await get(jp_fetch, "runs")
    assert code == 200
    assert body["total"] == 3 and body["offset"] == 0 and body["limit"] == 200
    assert body["columns"] == {"params": ["C", "solver"], "metrics": ["accuracy", "loss"]}
    assert [r["run_id"] for r in body["runs"]] == [broken, big, small]  # newest first
    row = body["runs"][2]
    assert row["name"] == "small-c" and row["experiment"] == "churn"
    assert row["status"] == "FINISHED" and row["params"] == {"C": 0.1, "solver": "lbfgs"}
    assert row["metrics"]["loss"] == {"latest": 0.7, "min": 0.5, "max": 0.9, "steps": 3}
    assert row["metrics"]["accuracy"]["latest"] == pytest.approx(0.3)
    assert row["start_time"].endswith("Z") and row["duration"] >= 0
    assert row["models"] == [] and row["tags"] == {}
    assert body["runs"][0]["status"] == "FAILED"

    code, body = await get(jp_fetch, "runs", experiment="churn", order="metrics.loss DESC",
                           limit="1", offset="1")
    assert code == 200 and body["total"] == 2
    assert [r["name"] for r in body["runs"]] == ["big-c"]  # losses: small 0.7, big 0.2
    code, body = await get(jp_fetch, "runs", filter="params.C > 1 and metrics.loss < 0.5")
    assert code == 200 and [r["run_id"] for r in body["runs"]] == [big]
    code, body = await get(jp_fetch, "runs", filter="params.solver = 'lbfgs' or status = 'FAILED'",
                           order="params.C")
    assert [r["name"] for r in body["runs"]] == ["small-c", "big-c", "broken"]


async def test_filter_and_argument_errors_are_400_with_the_position(jp_fetch, root_store):
    make_runs()
    code, body = await get(jp_fetch, "runs", filter="metrics.loss >> 1")
    assert code == 400 and body["kind"] == "filter" and body["position"] == 14
    assert "position 14" in body["error"] and body["message"] == body["error"]
    code, body = await get(jp_fetch, "runs", filter="metrics.los < 1")
    assert code == 400 and body["position"] == 0 and "metrics.loss" in body["error"]
    code, body = await get(jp_fetch, "runs", order="metrics.loss sideways")
    assert code == 400 and body["kind"] == "order" and body["position"] == 13
    code, body = await get(jp_fetch, "runs", limit="lots")
    assert code == 400 and "limit" in body["error"]
    code, body = await get(jp_fetch, "runs", store="nope")
    assert code == 404 and "'nope'" in body["error"]


async def test_run_detail_and_unknown_run(jp_fetch, root_store):
    small, _, broken = make_runs()
    code, body = await get(jp_fetch, f"runs/{small[:8]}")
    assert code == 200 and body["run_id"] == small
    assert [[s, v] for s, v, _ in body["metric_history"]["loss"]] == [[0, 0.9], [1, 0.5], [2, 0.7]]
    assert body["metrics"]["loss"]["min"] == 0.5
    assert body["environment"]["python"] and body["error"] is None
    code, body = await get(jp_fetch, f"runs/{broken}")
    assert body["status"] == "FAILED" and "RuntimeError: boom" in body["error"]
    code, body = await get(jp_fetch, "runs/ffffffffffff")
    assert code == 404 and "ffffffffffff" in body["error"]


async def test_compare_two_runs(jp_fetch, root_store):
    small, big, _ = make_runs()
    code, body = await get(jp_fetch, "compare", ids=f"{big[:6]},{small}")
    assert code == 200
    assert [r["run_id"] for r in body["runs"]] == [big, small]
    assert body["metric_history"][small]["loss"] == [[0, 0.9], [1, 0.5], [2, 0.7]]
    assert body["params"] == {"differing": ["C"], "same": ["solver"]}
    assert body["metrics"] == ["accuracy", "loss"]
    diff = body["diff"]
    assert diff["a"] == big and diff["b"] == small
    assert diff["params"] == [{"key": "C", "a": 10.0, "b": 0.1, "status": "changed"}]
    loss = next(m for m in diff["metrics"] if m["key"] == "loss")
    assert loss["delta"] == pytest.approx(0.5)
    code, body = await get(jp_fetch, "compare", ids=small)
    assert code == 400
    code, body = await get(jp_fetch, "compare", ids=f"{small},0000dead")
    assert code == 404


async def test_status_changes_with_every_write(jp_fetch, root_store):
    make_runs()
    seen = []
    code, body = await get(jp_fetch, "status")
    assert code == 200 and body["runs"] == 3
    seen.append(body["version"])
    run = mj.start_run("live")
    for step in (lambda: None, lambda: run.log_metric("loss", 1.0),
                 lambda: run.log_param("lr", 0.1), lambda: run.set_tag("team", "a"),
                 lambda: run.end()):
        step()
        code, body = await get(jp_fetch, "status")
        seen.append(body["version"])
        code, again = await get(jp_fetch, "status")
        assert again["version"] == body["version"]  # nothing written: same token
    assert len(set(seen)) == len(seen) and body["runs"] == 4


async def test_experiments(jp_fetch, root_store):
    make_runs()
    code, body = await get(jp_fetch, "experiments")
    assert code == 200 and body["experiments"] == [{"name": "churn", "runs": 2},
                                                   {"name": "other", "runs": 1}]


async def test_models_and_promote(jp_fetch, root_store, trained_run):
    run_id = trained_run
    mj.register(run_id, "churn", description="monthly")
    mj.register(run_id, "churn")
    mj.set_alias("churn", "champion", 1)
    code, body = await post(jp_fetch, "models/churn/versions/2/stage", {"stage": "Production"})
    assert code == 200 and body["stage"] == "Production" and body["version"] == 2
    code, body = await get(jp_fetch, "models")
    model = body["models"][0]
    assert model["name"] == "churn" and model["latest_version"] == 2
    assert model["production_version"] == 2 and model["aliases"] == {"champion": 1}
    assert [v["stage"] for v in model["versions"]] == [None, "Production"]
    assert model["versions"][0]["description"] == "monthly"
    assert mj.model_versions("churn")["stage"].tolist() == ["None", "Production"]
    code, body = await post(jp_fetch, "models/churn/versions/9/stage", {"stage": "Staging"})
    assert code == 404
    code, body = await post(jp_fetch, "models/churn/versions/1/stage", {"stage": "Prod"})
    assert code == 400


def test_nan_metrics_are_null(root_store):
    assert math.isnan(float("nan"))  # the JSON encoder refuses NaN: payloads turn it to null
    from mlops_jupyter.server.payloads import json_safe

    assert json_safe({"a": [float("nan"), float("inf"), 1.5]}) == {"a": [None, None, 1.5]}


async def test_status_reports_a_run_whose_process_died_so_the_panel_refreshes(
        jp_fetch, root_store):
    """The panel polls only `status`: a run left RUNNING by a dead process must change the
    token (it is marked CRASHED there), or the panel would show it running forever."""
    import os
    import subprocess
    import sys

    died = subprocess.run(
        [sys.executable, "-c", "import os, mlops_jupyter as mj\n"
         "run = mj.start_run('dies')\nprint(run.id, flush=True)\nos._exit(1)"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "MLOPS_STORE": str(root_store)})
    run_id = died.stdout.split()[0]
    assert mj.get_store().run_record(run_id)["status"] == "RUNNING"  # nobody has looked yet
    before, _ = mj.get_store().change_token()
    code, after = await get(jp_fetch, "status")
    assert code == 200 and after["version"] != before
    assert mj.get_store().run_record(run_id)["status"] == "CRASHED"
