"""Faults in the store: a failed write leaves nothing behind, any text is storable, a damaged
or read-only store is a clear error, concurrent writers never collide."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import mlops_jupyter as mj
from mlops_jupyter.errors import MlopsError, StoreError

REPO = Path(__file__).resolve().parents[2]


def fail_next_insert_into(store, table: str) -> None:
    """The next INSERT into ``table`` fails as a full disk would, after earlier statements of
    the same transaction (the experiment row) went through."""
    armed = [True]

    def before(conn, cursor, statement, parameters, context, executemany):
        if armed[0] and statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
            armed[0] = False
            raise OSError(28, "No space left on device")

    sa.event.listen(store.engine, "before_cursor_execute", before)


# -- no cache outlives a rolled-back transaction ------------------------------------------------
def test_failed_first_run_of_an_experiment_does_not_break_later_runs(store_spec):
    fail_next_insert_into(mj.get_store(), "runs")
    with pytest.raises((OSError, StoreError)):
        mj.start_run("lost", experiment="fresh")
    assert mj.active_run() is None
    with mj.start_run("kept", experiment="fresh") as run:
        run.log_metric("m", 1.0)
    frame = mj.runs(experiment="fresh")
    assert list(frame["name"]) == ["kept"]
    assert mj.get_run(run.id).metrics == {"m": 1.0}


def test_run_with_an_unknown_parent_fails_cleanly_and_the_experiment_still_works(store_spec):
    with pytest.raises(MlopsError, match="parent"):
        mj.start_run("orphan", experiment="fresh2", parent="0" * 32)
    with mj.start_run("fine", experiment="fresh2") as run:
        pass
    assert mj.get_run(run.id).experiment == "fresh2"


# -- any text is storable; the user's exception reaches the user --------------------------------
def test_exception_text_the_database_cannot_store_still_fails_the_run(store_spec):
    original = ValueError("bad \ud800 \x00 text")
    with pytest.raises(ValueError) as raised:
        with mj.start_run("unstorable") as run:
            raise original
    assert raised.value is original, "the user's own exception, unchanged"
    record = mj.get_run(run.id)
    assert record.status == "FAILED"
    assert "ValueError: bad \\ud800 \\x00 text" in record.error


def test_every_text_column_takes_nul_and_lone_surrogates(store_spec):
    store = mj.get_store()
    with mj.start_run("texts", tags={"note": "a\x00b\udc80"}) as run:
        run.set_tag("other", "\ud83d alone")
        run.log_param("text", "p\x00q\ud800")
    store.update_run(run.id, cell_source="x = 1\x00\n", notebook_path="nb-\udfff.ipynb")
    record = mj.get_run(run.id)
    assert record.tags == {"note": "a\\x00b\\udc80", "other": "\\ud83d alone"}
    assert record.params == {"text": "p\x00q\ud800"}, "JSON params keep the exact text"
    assert record.cell_source == "x = 1\\x00\n"
    assert record.notebook_path == "nb-\\udfff.ipynb"
    assert record.status == "FINISHED"


# -- PostgreSQL: concurrent snapshots of one name get versions 1..N -----------------------------
def test_concurrent_snapshots_of_one_name_get_distinct_versions(store_spec):
    from mlops_jupyter.tracking.snapshots import take_snapshot

    store = mj.get_store()
    writers, rounds = 4, 12
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(w: int) -> None:
        start.wait()
        try:
            for i in range(rounds):
                take_snapshot(store, pd.DataFrame({"w": [w], "i": [i]}), "shared")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(mj.snapshots()["version"]) == list(range(1, writers * rounds + 1))


# -- a damaged or foreign mlops.db ----------------------------------------------------------------
def _damage(db: Path, how: str) -> None:
    if how == "random bytes":
        db.write_bytes(np.random.default_rng(0).bytes(8192))
    elif how == "text file":
        db.write_text("these are my notes, not a database\n" * 50)
    else:  # truncated: the header survives, the pages holding the tables do not
        db.write_bytes(db.read_bytes()[: 4096 * 3])


@pytest.mark.parametrize("how", ["random bytes", "text file", "truncated"])
def test_damaged_database_file_is_a_store_error_naming_it(tmp_path, how):
    folder = tmp_path / "proj"
    mj.set_store(folder)
    with mj.start_run("before") as run:
        run.log_params({f"p{i}": "x" * 200 for i in range(200)})
    mj.close_stores()  # as when the process ends
    db = folder / ".mlops" / "mlops.db"
    assert not db.with_name("mlops.db-wal").exists(), "closed cleanly: all data in the file"
    _damage(db, how)
    with pytest.raises(StoreError) as raised:
        mj.set_store(folder)
        mj.runs()
        mj.get_run(run.id)
    message = str(raised.value)
    assert str(db) in message
    assert "not a usable mlops-jupyter database" in message
    assert "move it aside" in message.lower(), "says what to do"


# -- a store on a read-only mount -----------------------------------------------------------------
READ_ONLY_CHECK = textwrap.dedent("""
    import json, sys
    import mlops_jupyter as mj
    from mlops_jupyter.errors import StoreError
    mj.set_store(sys.argv[1])
    out = {}
    frame = mj.runs()
    out["runs"] = list(frame["name"])
    record = mj.get_run(frame.run_id[0])
    out["metrics"] = record.metrics
    out["artifact"] = record.artifact_bytes("note.txt").decode()
    out["snapshot"] = mj.load_snapshot("frame")["a"].tolist()
    for what, write in [("write run", lambda: mj.start_run("new")),
                        ("write snapshot", lambda: mj.snapshot(__import__("pandas").DataFrame({"b": [1]}), "other"))]:
        try:
            write()
            out[what] = "written"
        except StoreError as exc:
            out[what] = str(exc)
    print(json.dumps(out))
""")


def _read_only_mount_prefix(folder: Path) -> list[str]:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is needed to make a read-only mount")
    # A private mount namespace (and, for a normal user, a user namespace) in which the
    # folder is bind-mounted read-only: a real read-only file system, even for root.
    flags = "-m" if os.geteuid() == 0 else "-rm"
    probe = subprocess.run([unshare, flags, "sh", "-c",
                            f"mount --bind -o ro {folder} {folder} && ! touch {folder}/probe"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here: {probe.stderr.decode().strip()}")
    return [unshare, flags, "sh", "-c", f'mount --bind -o ro {folder} {folder} && exec "$@"', "sh"]


@pytest.mark.parametrize("writer_open", [False, True], ids=["closed", "writer-open"])
def test_store_on_read_only_mount_is_readable_and_refuses_writes(tmp_path, writer_open):
    folder = tmp_path / "shared"
    mj.set_store(folder)
    with mj.start_run("trained") as run:
        run.log_metric("accuracy", 0.75)
        run.log_artifact(b"hello", "note.txt")
        mj.snapshot(pd.DataFrame({"a": [1, 2, 3]}), "frame")
    if not writer_open:
        mj.get_store().close()  # last connection closed: no -wal / -shm files left
        assert not (folder / ".mlops" / "mlops.db-wal").exists()
    script = tmp_path / "read_only.py"
    script.write_text(READ_ONLY_CHECK)
    proc = subprocess.run(
        [*_read_only_mount_prefix(folder), sys.executable, str(script), str(folder)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["runs"] == ["trained"]
    assert out["metrics"] == {"accuracy": 0.75}
    assert out["artifact"] == "hello" and out["snapshot"] == [1, 2, 3]
    for what in ("write run", "write snapshot"):
        assert "read-only" in out[what] and str(folder) in out[what], out[what]


# -- set_store keeps its setting only when the store opens ----------------------------------------
def test_failed_set_store_keeps_the_previous_store_and_names_the_spec(tmp_path, monkeypatch):
    good = tmp_path / "good"
    mj.set_store(good)
    with mj.start_run("here"):
        pass
    url = "postgresql+psycopg://someone@127.0.0.1:1/nowhere"
    with pytest.raises(StoreError) as raised:
        mj.set_store(url)
    message = str(raised.value)
    assert url in message and "MLOPS_STORE" not in message and "MLOPS_ARTIFACTS" in message
    monkeypatch.setenv("MLOPS_ARTIFACTS", f"file://{tmp_path / 'blobs'}")
    with pytest.raises(StoreError, match="127.0.0.1:1"):
        mj.set_store(url)  # nothing listens there: a StoreError, not a raw driver error
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(StoreError, match="a-file"):
        mj.set_store(a_file)
    assert list(mj.runs()["name"]) == ["here"], "still the store that opened"


def test_url_password_is_not_shown_in_store_errors(monkeypatch):
    with pytest.raises(StoreError) as raised:
        mj.set_store("postgresql+psycopg://someone:s3cret@127.0.0.1:1/nowhere")
    assert "s3cret" not in str(raised.value)
