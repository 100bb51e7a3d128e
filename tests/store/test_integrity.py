"""Stored blobs are what the database says they are, or a clear error says which and what to do."""

from __future__ import annotations

import errno
import os

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import mlops_jupyter as mj
from mlops_jupyter.errors import (
    IntegrityError,
    InvalidValueError,
    NotFoundError,
    StoreError,
)
from mlops_jupyter.store import schema as t


def _frame(seed: int = 0, rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=rows), "k": rng.integers(0, 5, rows)})


def _set_hash(table: sa.Table, blob_hash: str) -> None:
    """What a shared database edited by someone else could hold."""
    with mj.get_store().engine.begin() as conn:
        conn.execute(sa.update(table).values(blob_hash=blob_hash))


def _blob_path(blob_hash: str) -> str:
    store = mj.get_store().artifacts
    return store._path(blob_hash)


# -- hashes read from the database -------------------------------------------------------------
def test_artifact_hash_pointing_outside_the_store_is_refused(store_spec, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private key")
    with mj.start_run() as run:
        real = run.log_artifact(b"report", "report.txt").blob_hash
    root = mj.get_store().artifacts.root
    # the store splits a hash as ab/cdef...: an existing "ab" + "/../" + the way out
    forged = real[:2] + "/../" + os.path.relpath(secret, root)
    assert os.path.normpath(f"{root}/{forged[:2]}/{forged[2:]}") == str(secret)
    _set_hash(t.artifacts, forged)
    with pytest.raises(IntegrityError) as info:
        mj.get_run(run.id).artifact_bytes("report.txt")
    message = str(info.value)
    assert forged in message and "not a SHA-256" in message
    assert "report.txt" in message and run.id[:8] in message


@pytest.mark.parametrize("bad", ["", "ab", "A" * 64, "g" * 64, "0" * 63, "0" * 63 + "\n"])
def test_snapshot_hash_that_is_not_a_sha256_is_an_integrity_error(bad):
    mj.snapshot(_frame(), "customers")
    _set_hash(t.snapshots, bad)
    with pytest.raises(IntegrityError, match="not a SHA-256") as info:
        mj.load_snapshot("customers")
    assert "snapshot 'customers' version 1" in str(info.value)


# -- verify on read ----------------------------------------------------------------------------
def test_snapshot_blob_with_a_flipped_byte_is_an_integrity_error(store_spec):
    df = _frame()
    mj.snapshot(df, "customers")
    row = mj.get_store().snapshot_row("customers")
    path = _blob_path(row["blob_hash"])
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0x01
    open(path, "wb").write(bytes(data))
    with pytest.raises(IntegrityError) as info:
        mj.load_snapshot("customers")
    message = str(info.value)
    assert "snapshot 'customers' version 1" in message
    assert "changed" in message and "backup" in message and path in message
    # the repair the message gives works
    os.remove(path)
    mj.snapshot(df, "customers")
    pd.testing.assert_frame_equal(mj.load_snapshot("customers"), df)


def test_snapshot_blob_replaced_by_another_valid_parquet_is_an_integrity_error():
    mj.snapshot(_frame(0), "a")
    mj.snapshot(_frame(1), "b")
    store = mj.get_store()
    a, b = store.snapshot_row("a"), store.snapshot_row("b")
    with open(_blob_path(a["blob_hash"]), "wb") as fh:
        fh.write(open(_blob_path(b["blob_hash"]), "rb").read())
    with pytest.raises(IntegrityError, match="snapshot 'a' version 1"):
        mj.load_snapshot("a")
    pd.testing.assert_frame_equal(mj.load_snapshot("b"), _frame(1))


def test_truncated_snapshot_blob_is_an_integrity_error():
    mj.snapshot(_frame(), "customers")
    row = mj.get_store().snapshot_row("customers")
    path = _blob_path(row["blob_hash"])
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 3])
    with pytest.raises(IntegrityError) as info:
        mj.load_snapshot("customers")
    message = str(info.value)
    assert "truncated" in message and "snapshot 'customers' version 1" in message
    assert f"{len(data) // 3} of {len(data)} bytes" in message


def test_changed_model_artifact_is_an_integrity_error_naming_run_and_artifact():
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    with mj.start_run() as run:
        run.log_model(LogisticRegression().fit(X, [0, 0, 1, 1]), "clf")
    blob = mj.get_run(run.id).artifacts[0]["blob_hash"]
    path = _blob_path(blob)
    data = bytearray(open(path, "rb").read())
    data[-10] ^= 0xFF
    open(path, "wb").write(bytes(data))
    for load in (lambda: mj.load_model(run.id), lambda: mj.get_run(run.id).artifact_bytes("clf")):
        with pytest.raises(IntegrityError) as info:
            load()
        assert f"artifact 'clf' of run {run.id[:8]}" in str(info.value)


# -- missing blobs -----------------------------------------------------------------------------
def test_missing_snapshot_blob_is_named_and_snapshotting_again_restores_it(store_spec):
    df = _frame()
    first = mj.snapshot(df, "customers")
    os.remove(_blob_path(mj.get_store().snapshot_row("customers")["blob_hash"]))
    with pytest.raises(NotFoundError) as info:
        mj.load_snapshot("customers")
    message = str(info.value)
    assert "snapshot 'customers' version 1" in message and "mj.snapshot" in message
    again = mj.snapshot(df, "customers")
    assert (again.id, again.version) == (first.id, 1)
    assert again.bytes_written > 0
    pd.testing.assert_frame_equal(mj.load_snapshot("customers"), df)


def test_missing_blob_shared_by_another_name_is_restored():
    df = _frame()
    mj.snapshot(df, "customers")
    os.remove(_blob_path(mj.get_store().snapshot_row("customers")["blob_hash"]))
    copy = mj.snapshot(df, "customers_copy")
    assert copy.bytes_written > 0
    pd.testing.assert_frame_equal(mj.load_snapshot("customers"), df)
    pd.testing.assert_frame_equal(mj.load_snapshot("customers_copy"), df)


def test_truncated_blob_is_rewritten_when_the_same_bytes_are_stored_again():
    mj.snapshot(_frame(), "customers")
    path = _blob_path(mj.get_store().snapshot_row("customers")["blob_hash"])
    data = open(path, "rb").read()
    open(path, "wb").write(data[:100])
    assert mj.snapshot(_frame(), "customers").bytes_written == len(data)
    assert open(path, "rb").read() == data


# -- failed writes -----------------------------------------------------------------------------
def test_disk_full_while_writing_leaves_no_temp_file_and_names_the_store(monkeypatch):
    store = mj.get_store()
    fs = store.artifacts.fs
    real_open = fs.open

    class FullDisk:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[:1000])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fs, "open", lambda path, mode="rb", **kw:
                        FullDisk(real_open(path, mode, **kw)) if "w" in mode
                        else real_open(path, mode, **kw))
    with pytest.raises(StoreError) as info:
        mj.snapshot(_frame(), "customers")
    message = str(info.value)
    assert store.artifacts.url in message and "No space left on device" in message
    monkeypatch.undo()
    tmp_dir = f"{store.artifacts.root}/tmp"
    assert not os.path.exists(tmp_dir) or os.listdir(tmp_dir) == []
    assert len(mj.snapshots()) == 0
    assert store.artifacts.remove_stale_temp_files() == 0


# -- run id prefixes ---------------------------------------------------------------------------
def test_run_id_prefix_wildcards_are_literal_and_empty_is_an_error(store_spec):
    with mj.start_run("only") as run:
        pass
    for pattern in ("%", "_", "_" * 8, run.id[:4] + "%", "%" + run.id[-4:]):
        with pytest.raises(NotFoundError, match="no run with id"):
            mj.get_run(pattern)
        with pytest.raises(NotFoundError):
            mj.load_model(pattern)
    for empty in ("", "   "):
        with pytest.raises(InvalidValueError, match="run id") as info:
            mj.get_run(empty)
        assert "mj.runs()" in str(info.value)
    assert mj.get_run(run.id[:6]).id == run.id
    assert mj.get_run(run.id).id == run.id


def test_empty_run_id_in_a_comparison_is_an_error():
    with mj.start_run("only") as run:
        run.log_metric("accuracy", 0.5)
    comparison = mj.compare([run.id])
    for empty in ("", " "):
        with pytest.raises(InvalidValueError, match="run id is empty"):
            comparison.resolve(empty)
    assert comparison.resolve(run.id[:5]) == run.id


def test_pid_that_is_not_a_process_id_in_the_database_is_ignored():
    # A hand-edited SQLite database can hold any text in the integer pid column: it is never
    # put into a /proc path or os.kill, and the run is left as it is.
    run = mj.start_run("live")
    with mj.get_store().engine.begin() as conn:
        conn.execute(sa.update(t.runs).values(pid="../../self"))
    assert mj.get_run(run.id).status == "RUNNING"
    assert list(mj.runs()["status"]) == ["RUNNING"]
    run.end()


def test_leftovers_of_a_killed_writer_are_swept_by_a_later_write_but_fresh_ones_are_kept(tmp_path):
    # What SIGKILL in the middle of a blob write leaves behind (tests/tracking/test_faults.py
    # kills a real writer); here the files are made directly so their age can be set.
    mj.snapshot(_frame(0), "first")  # creates the store and its tmp/ folder
    store = mj.get_store().artifacts
    tmp_dir = f"{store.root}/tmp"
    os.makedirs(tmp_dir, exist_ok=True)
    old, fresh = os.path.join(tmp_dir, "old"), os.path.join(tmp_dir, "fresh")
    for path in (old, fresh):
        with open(path, "wb") as fh:
            fh.write(b"partial blob")
    two_days_ago = os.path.getmtime(old) - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))

    mj.close_stores()  # as in a new process, whose first write sweeps
    mj.snapshot(_frame(1), "second")

    assert not os.path.exists(old), "a two-day-old temp file of a dead writer was kept"
    assert os.path.exists(fresh), "a temp file young enough to be another writer's was removed"
    pd.testing.assert_frame_equal(mj.load_snapshot("first"), _frame(0))
