"""The store on both backends: what is written comes back exactly, and nothing is lost."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa

import mlops_jupyter as mj
from mlops_jupyter.errors import NotFoundError, StoreVersionError
from mlops_jupyter.store import Store, resolve_location
from mlops_jupyter.store.database import HEAD_REVISION


def test_run_roundtrip_keeps_types_and_special_floats(store_spec):
    with mj.start_run("typed", experiment="exp-a", tags={"team": "vision"}) as run:
        run.log_params({"alpha": 0.0, "n": 3, "name": "rf", "flag": True, "layers": [64, 32],
                        "cfg": {"a": 1}, "none": None})
        run.log_metrics({"nan_metric": float("nan"), "inf_metric": float("inf"),
                         "neg_inf": float("-inf"), "plain": 0.25})
    record = mj.get_run(run.id)
    assert record.params == {"alpha": 0.0, "n": 3, "name": "rf", "flag": True,
                             "layers": [64, 32], "cfg": {"a": 1}, "none": None}
    assert isinstance(record.params["alpha"], float) and isinstance(record.params["n"], int)
    assert math.isnan(record.metrics["nan_metric"])
    assert record.metrics["inf_metric"] == math.inf and record.metrics["neg_inf"] == -math.inf
    assert record.metrics["plain"] == 0.25
    assert record.tags == {"team": "vision"}
    assert record.experiment == "exp-a" and record.status == "FINISHED"


def test_metric_history_and_latest_value(store_spec):
    with mj.start_run() as run:
        for value in (0.9, 0.5, 0.3):
            run.log_metric("loss", value)
        run.log_metric("val", 2.0, step=10)
        run.log_metric("val", 1.0, step=3)  # logged late for an earlier step
    record = mj.get_run(run.id)
    assert [(s, v) for s, v, _ in record.metric_history["loss"]] == [(0, 0.9), (1, 0.5), (2, 0.3)]
    assert record.metrics["loss"] == 0.3
    assert record.metrics["val"] == 2.0, "the latest value is the one with the highest step"
    frame = mj.runs()
    assert frame.loc[0, "metrics.loss"] == 0.3


def test_runs_filter_order_limit(store_spec):
    for i, model in enumerate(["rf", "lr", "rf", "gb"]):
        with mj.start_run(f"r{i}", experiment="sweep") as run:
            run.log_params({"model": model, "depth": i})
            run.log_metric("accuracy", 0.7 + i * 0.05)
    with mj.start_run("other", experiment="elsewhere") as run:
        run.log_metric("accuracy", 0.99)
    frame = mj.runs(experiment="sweep", filter="metrics.accuracy > 0.72 and params.model == 'rf'")
    assert list(frame["name"]) == ["r2"]
    ordered = mj.runs(experiment="sweep", order_by="metrics.accuracy desc", limit=2)
    assert list(ordered["name"]) == ["r3", "r2"]
    assert {"run_id", "name", "experiment", "status", "start_time", "duration",
            "params.model", "params.depth", "metrics.accuracy"} <= set(ordered.columns)
    assert len(mj.runs()) == 5
    assert list(mj.runs(filter="params.depth in (0, 3)", order_by="name")["name"]) == ["r0", "r3"]


def test_artifacts_deduplicated_and_readable(store_spec):
    with mj.start_run() as a:
        h1 = a.log_artifact(b"same bytes", "one.txt")
    with mj.start_run() as b:
        h2 = b.log_artifact(b"same bytes", "two.txt")
    assert h1.blob_hash == h2.blob_hash and h1.size == h2.size == len(b"same bytes")
    store = mj.get_store()
    assert store.artifacts.exists(h1.blob_hash)
    assert mj.get_run(b.id).artifact_bytes("two.txt") == b"same bytes"
    with pytest.raises(NotFoundError, match="it has: one.txt"):
        mj.get_run(a.id).artifact_bytes("missing.txt")


def test_snapshot_versions_and_dedup(store_spec):
    df = pd.DataFrame({"x": [1, 2, 3], "c": pd.Categorical(["a", "b", "a"])})
    first = mj.snapshot(df, "customers")
    again = mj.snapshot(df.copy(), "customers")
    assert (again.version, again.id, again.bytes_written) == (1, first.id, 0)
    changed = mj.snapshot(df.assign(x=[1, 2, 4]), "customers")
    assert changed.version == 2 and changed.fingerprint != first.fingerprint
    pd.testing.assert_frame_equal(mj.load_snapshot("customers", version=1), df)
    pd.testing.assert_frame_equal(mj.load_snapshot("customers"), df.assign(x=[1, 2, 4]))
    listing = mj.snapshots()
    assert list(listing["version"]) == [1, 2]


def test_newer_store_schema_is_refused_with_both_versions(tmp_path):
    location = resolve_location(str(tmp_path / "s"))
    Store(location).close()
    engine = sa.create_engine(location.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StoreVersionError, match=rf"'0099'.*'{HEAD_REVISION}'"):
        Store(location)


def test_store_found_in_parent_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("MLOPS_STORE")
    (tmp_path / "proj" / ".mlops").mkdir(parents=True)
    deep = tmp_path / "proj" / "notebooks" / "a"
    deep.mkdir(parents=True)
    location = resolve_location(cwd=deep)
    assert location.root == (tmp_path / "proj" / ".mlops").resolve()


def test_server_database_without_artifact_location_is_a_clear_error(monkeypatch):
    from mlops_jupyter.errors import StoreError

    with pytest.raises(StoreError, match="MLOPS_ARTIFACTS"):
        resolve_location("postgresql+psycopg://u@localhost/db")


def test_snapshot_rejects_non_frames_and_links_roles_inside_runs():
    import numpy as np

    with pytest.raises(TypeError, match="pandas DataFrame or Series, got numpy.ndarray"):
        mj.snapshot(np.zeros((2, 2)), "arr")
    frame = pd.DataFrame({"a": [1.5, None]})
    with mj.start_run() as run:
        mj.snapshot(frame, "holdout", role="test")
        mj.snapshot(frame["a"], "target")  # the default role, as Run.log_input's: train
    record = mj.get_run(run.id)
    assert {(i["name"], i["role"]) for i in record.inputs} == {("holdout", "test"), ("target", "train")}
    pd.testing.assert_series_equal(mj.load_snapshot("target"), frame["a"])


def test_filter_matching_no_run_is_empty_not_an_error(store_spec):
    with mj.start_run("only") as run:
        run.log_params({"model": "rf"})
        run.log_metric("accuracy", 0.5)
    empty = mj.runs(filter="metrics.accuracy > 0.9 and params.model == 'rf'",
                    order_by="metrics.accuracy desc")
    assert len(empty) == 0 and "params.model" in empty.columns
    assert len(mj.runs(filter="params.model == 'rf' and metrics.accuracy <= 0.5")) == 1


def test_metric_histories_in_one_query(store_spec):
    with mj.start_run() as a:
        for step in range(3):
            a.log_metric("loss", 1.0 / (step + 1), step=step)
        a.log_metric("final", 0.5)
    with mj.start_run() as b:
        b.log_metric("loss", float("nan"), step=0)
        b.log_metric("loss", 0.1, step=1)
    found = mj.get_store().metric_histories([a.id, b.id, "missing"], min_points=2)
    assert [(s, v) for s, v, _ in found[a.id]["loss"]] == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    assert "final" not in found[a.id], "single values are not curves"
    assert math.isnan(found[b.id]["loss"][0][1])


def test_close_stores_lets_a_store_folder_go_and_the_next_call_opens_afresh(tmp_path):
    import shutil

    folder = tmp_path / "project"
    mj.set_store(folder)
    with mj.start_run("before"):
        pass
    opened = mj.get_store()
    mj.close_stores()
    assert opened.engine.pool.checkedin() == 0, "its pooled connections are closed"
    assert mj.get_store() is not opened, "opened again on the next call"
    assert list(mj.runs()["name"]) == ["before"], "the same store: set_store's choice is kept"

    mj.close_stores()
    shutil.rmtree(folder)  # e.g. a user starting the project over
    assert mj.runs().empty, "a new, empty store, not the deleted file's data"
    with mj.start_run("after"):
        pass
    assert list(mj.runs()["name"]) == ["after"]
