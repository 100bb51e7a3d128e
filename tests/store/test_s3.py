"""Artifacts on object storage: MLOPS_ARTIFACTS=s3://... against a real S3 server (moto's).

The server runs in its own process (tests/conftest.py ``s3_server``); the store reaches it as
a user reaches MinIO: AWS_ENDPOINT_URL and the AWS credential variables.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import IntegrityError, NotFoundError, StoreError


def _frame(seed: int = 0, rows: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.normal(size=rows),
        "n": rng.integers(-5, 5, rows),
        "city": pd.Categorical(rng.choice(["Oslo", "Lima", "Pune"], rows)),
        "when": pd.date_range("2024-01-01", periods=rows, freq="h", tz="UTC"),
        "label": rng.integers(0, 2, rows),
    })


def _objects(s3_server, url: str) -> dict[str, bytes]:
    """Every object under ``url`` (s3://bucket/prefix), read with boto3, not our code."""
    bucket, prefix = url[len("s3://"):].split("/", 1)
    client = s3_server.client()
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix + "/") for o in page.get("Contents", [])]
    return {k: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def _blob_key(url: str, blob_hash: str) -> tuple[str, str]:
    bucket, prefix = url[len("s3://"):].split("/", 1)
    return bucket, f"{prefix}/{blob_hash[:2]}/{blob_hash[2:]}"


def _assert_every_object_is_whole(objects: dict[str, bytes]) -> None:
    for key, data in objects.items():
        parts = key.split("/")
        assert hashlib.sha256(data).hexdigest() == parts[-2] + parts[-1], key


def test_snapshots_and_models_round_trip_through_s3_and_are_stored_once(s3_artifacts, s3_server,
                                                                        tmp_path):
    from sklearn.linear_model import LogisticRegression

    frame = _frame()
    first = mj.snapshot(frame, "customers")
    again = mj.snapshot(frame.copy(), "customers")
    other_name = mj.snapshot(frame, "customers-copy")
    assert (again.version, again.bytes_written) == (1, 0)
    assert first.bytes_written > 0 and other_name.bytes_written == 0
    pd.testing.assert_frame_equal(mj.load_snapshot("customers"), frame)

    X, y = frame[["x", "n"]], frame["label"]
    with mj.start_run("fit") as run:
        model = LogisticRegression().fit(X, y)
        mj.log_model(model, "clf", X_example=X)
    loaded = mj.get_run(run.id).load_model("clf")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))

    objects = _objects(s3_server, s3_artifacts)
    assert len(objects) == 2  # one snapshot blob (three snapshots of it), one model
    _assert_every_object_is_whole(objects)
    assert not (tmp_path / "store" / ".mlops" / "artifacts").exists()  # nothing went local


def test_a_blob_is_one_upload_under_its_name_with_no_temporary_object(s3_artifacts, s3_server):
    """S3 has no rename: a temp object + "rename" is an upload, a server-side copy and a
    delete. An S3 upload only appears once complete, so the blob is put under its name."""
    before = s3_server.log.read_text().count("\n")
    snap = mj.snapshot(_frame(1), "events")
    requests = s3_server.log.read_text().splitlines()[before:]
    bucket, key = _blob_key(s3_artifacts, mj.get_store().snapshot_row("events")["blob_hash"])
    puts = [r for r in requests if f'"PUT /{bucket}/' in r]  # not the bucket's creation
    assert len(puts) == 1 and f"/{bucket}/{key} " in puts[0], puts
    assert not any("/tmp/" in r for r in requests)
    assert snap.bytes_written > 0


def test_a_corrupted_blob_on_s3_is_an_integrity_error_naming_the_snapshot(s3_artifacts, s3_server):
    frame = _frame(2)
    mj.snapshot(frame, "orders")
    bucket, key = _blob_key(s3_artifacts, mj.get_store().snapshot_row("orders")["blob_hash"])
    client = s3_server.client()
    data = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    data[len(data) // 2] ^= 0xFF  # same size, one byte changed: only the hash can tell
    client.put_object(Bucket=bucket, Key=key, Body=bytes(data))
    with pytest.raises(IntegrityError) as info:
        mj.load_snapshot("orders")
    message = str(info.value)
    assert "snapshot 'orders' version 1" in message and s3_artifacts in message
    assert "To repair: delete that file" in message and "mj.snapshot(frame, 'orders')" in message

    # The repair the message gives: delete the object, snapshot the frame again.
    client.delete_object(Bucket=bucket, Key=key)
    with pytest.raises(NotFoundError, match=r"snapshot 'orders' version 1 .* is missing"):
        mj.load_snapshot("orders")
    assert mj.snapshot(frame, "orders").bytes_written > 0
    pd.testing.assert_frame_equal(mj.load_snapshot("orders"), frame)


def test_a_changed_model_on_s3_is_an_integrity_error_naming_run_and_model(s3_artifacts,
                                                                         s3_server):
    from sklearn.tree import DecisionTreeClassifier

    frame = _frame(3)
    with mj.start_run("tree") as run:
        art = mj.log_model(DecisionTreeClassifier(max_depth=2).fit(frame[["x"]], frame.label),
                           "tree")
    bucket, key = _blob_key(s3_artifacts, art.blob_hash)
    s3_server.client().put_object(Bucket=bucket, Key=key, Body=b"x" * art.size)
    with pytest.raises(IntegrityError, match=rf"artifact 'tree' of run {run.id[:8]}"):
        mj.get_run(run.id).load_model("tree")


WRITER = """
import sys, time
from pathlib import Path
import numpy as np, pandas as pd
import mlops_jupyter as mj

worker, go = int(sys.argv[1]), Path(sys.argv[2])
while not go.exists():
    time.sleep(0.01)
rng = np.random.default_rng(0)
shared = pd.DataFrame({"x": rng.normal(size=20_000), "k": rng.integers(0, 9, 20_000)})
own = pd.DataFrame({"x": np.random.default_rng(100 + worker).normal(size=20_000)})
with mj.start_run(f"writer-{worker}") as run:
    for _ in range(3):
        mj.snapshot(shared, "shared")
        mj.snapshot(own, f"own-{worker}")
    run.log_artifact(f"worker {worker}".encode() * 1000, "note.txt")
"""


def test_concurrent_writers_to_one_s3_bucket_and_one_database(store_spec, s3_server, tmp_path,
                                                              monkeypatch):
    """Several processes snapshotting the same and different frames into one S3 prefix and
    one database (SQLite, PostgreSQL): no error, no lost or damaged blob, one version of the
    shared frame."""
    for key, value in s3_server.env.items():
        monkeypatch.setenv(key, value)
    url = f"s3://mj-concurrent-{os.getpid()}-{time.time_ns()}/team"
    monkeypatch.setenv("MLOPS_ARTIFACTS", url)
    workers, go = 4, tmp_path / "go"
    env = {**os.environ, "MLOPS_STORE": store_spec, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(i), str(go)], cwd=tmp_path,
                              env=env, stderr=subprocess.PIPE, text=True)
             for i in range(workers)]
    time.sleep(1.0)  # let them import; then all start at once
    go.touch()
    errors = [p.communicate(timeout=240)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * workers, errors

    snapshots = mj.snapshots()
    assert sorted(snapshots.name) == sorted(["shared", *(f"own-{i}" for i in range(workers))])
    assert set(snapshots.version) == {1}
    rng = np.random.default_rng(0)
    shared = pd.DataFrame({"x": rng.normal(size=20_000), "k": rng.integers(0, 9, 20_000)})
    pd.testing.assert_frame_equal(mj.load_snapshot("shared"), shared)
    for i in range(workers):
        own = pd.DataFrame({"x": np.random.default_rng(100 + i).normal(size=20_000)})
        pd.testing.assert_frame_equal(mj.load_snapshot(f"own-{i}"), own)
    runs = mj.runs()
    assert set(runs.status) == {"FINISHED"} and len(runs) == workers
    for run_id in runs.run_id:
        name = mj.get_run(run_id).name
        assert mj.get_run(run_id).artifact_bytes("note.txt") == \
            f"worker {name.split('-')[1]}".encode() * 1000
    objects = _objects(s3_server, url)
    assert len(objects) == 1 + 2 * workers  # shared + each worker's frame and note
    _assert_every_object_is_whole(objects)


CHILD = """
import sys
import pandas as pd
import mlops_jupyter as mj
try:
    snap = mj.snapshot(pd.DataFrame({"a": [1, 2, 3]}), "tiny")
except Exception as exc:
    print(type(exc).__name__, exc)
    sys.exit(3)
print("stored", snap.size)
"""


def _child(tmp_path, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FSSPEC_"))}
    return subprocess.run([sys.executable, "-c", CHILD], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120,
                          env={**base, "PYTHONPATH": os.pathsep.join(sys.path),
                               "MLOPS_STORE": str(tmp_path / "store"), **env})


def test_minio_style_endpoint_through_fsspec_configuration(s3_server, tmp_path):
    """Without AWS_ENDPOINT_URL: fsspec's own variables give s3fs its endpoint and keys."""
    url = f"s3://mj-fsspec-{time.time_ns()}/team"
    done = _child(tmp_path, {"MLOPS_ARTIFACTS": url,
                             "FSSPEC_S3_ENDPOINT_URL": s3_server.endpoint,
                             "FSSPEC_S3_KEY": "testing", "FSSPEC_S3_SECRET": "testing"})
    assert done.returncode == 0 and done.stdout.startswith("stored"), done.stdout + done.stderr
    assert len(_objects(s3_server, url)) == 1


def test_an_unreachable_endpoint_or_missing_credentials_is_a_store_error_saying_what_to_set(
        s3_server, tmp_path):
    url = "s3://mj-unreachable/team"
    closed = f"http://127.0.0.1:{_closed_port()}"
    down = _child(tmp_path, {"MLOPS_ARTIFACTS": url, "AWS_ENDPOINT_URL": closed,
                             "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
                             "AWS_MAX_ATTEMPTS": "1"})
    assert down.returncode == 3, down.stderr
    assert down.stdout.startswith("StoreError") and url in down.stdout
    assert "AWS_ENDPOINT_URL" in down.stdout and closed in down.stdout

    no_keys = _child(tmp_path, {"MLOPS_ARTIFACTS": url, "AWS_ENDPOINT_URL": s3_server.endpoint,
                                "AWS_CONFIG_FILE": os.devnull,
                                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                                "AWS_EC2_METADATA_DISABLED": "true"})
    assert no_keys.returncode == 3, no_keys.stderr
    assert no_keys.stdout.startswith("StoreError") and "AWS_ACCESS_KEY_ID" in no_keys.stdout


def test_an_object_store_without_its_fsspec_backend_says_what_to_install(monkeypatch):
    pytest.importorskip("fsspec")
    try:
        import gcsfs  # noqa: F401
        pytest.skip("gcsfs is installed")
    except ImportError:
        pass
    monkeypatch.setenv("MLOPS_ARTIFACTS", "gs://bucket/team")
    with pytest.raises(StoreError, match=r"gs://bucket/team needs the fsspec backend.*gcsfs"):
        mj.snapshot(_frame(), "x")


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
