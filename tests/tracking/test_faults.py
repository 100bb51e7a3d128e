"""Concurrent writers, killed processes: nothing stored is lost or corrupted."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap

import mlops_jupyter as mj


def wait_for(predicate, timeout: float) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


WRITER = textwrap.dedent("""
    import sys
    import mlops_jupyter as mj
    tag = sys.argv[1]
    for i in range(500):
        with mj.start_run(f"{tag}-{i}", experiment="load") as run:
            run.log_params({"writer": tag, "i": i})
            run.log_metrics({"m": i / 500, "n": i})
""")


def test_two_processes_writing_500_runs_each(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "MLOPS_STORE": str(tmp_path / "shared")}
    procs = [subprocess.Popen([sys.executable, str(script), tag], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("a", "b")]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err
    mj.set_store(str(tmp_path / "shared"))
    frame = mj.runs(experiment="load")
    assert len(frame) == 1000
    assert set(frame["status"]) == {"FINISHED"}
    assert frame.groupby("params.writer").size().to_dict() == {"a": 500, "b": 500}
    assert frame["metrics.n"].notna().all()


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    import numpy as np, pandas as pd
    import mlops_jupyter as mj
    from mlops_jupyter.store import artifacts

    ready = sys.argv[1]
    original_open = None

    class SlowFile:
        # Writes half the bytes, tells the test, then hangs: the kill lands mid-write.
        def __init__(self, fh): self.fh = fh
        def __enter__(self): return self
        def __exit__(self, *a): self.fh.close()
        def write(self, data):
            half = len(data) // 2
            self.fh.write(data[:half]); self.fh.flush()
            open(ready, "w").write("writing")
            time.sleep(600)

    store = mj.get_store()
    fs = store.artifacts.fs
    real_open = fs.open
    fs.open = lambda path, mode="rb", **kw: SlowFile(real_open(path, mode, **kw)) if "wb" in mode else real_open(path, mode, **kw)
    run = mj.start_run("doomed")
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(50_000, 8)), columns=list("abcdefgh"))
    mj.snapshot(frame, "big")
""")


def test_kill_during_snapshot_write_leaves_a_sound_store(tmp_path):
    store_dir = tmp_path / "store"
    mj.set_store(str(store_dir))
    with mj.start_run("before") as run:
        run.log_artifact(b"precious", "keep.bin")
    script, ready = tmp_path / "killed.py", tmp_path / "ready"
    script.write_text(KILLED_WRITER)
    proc = subprocess.Popen([sys.executable, str(script), str(ready)], cwd=tmp_path,
                            env={**os.environ, "MLOPS_STORE": str(store_dir)})
    assert wait_for(ready.exists, timeout=120), "the writer never reached the blob write"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    # The store opens; the earlier run and its artifact are intact.
    frame = mj.runs(order_by="start_time")
    assert list(frame["name"]) == ["before", "doomed"]
    assert mj.get_run(frame.run_id[0]).artifact_bytes("keep.bin") == b"precious"
    # The dead process's run is no longer RUNNING.
    doomed = mj.get_run(frame.run_id[1])
    assert doomed.status == "CRASHED" and "died" in doomed.error
    # No snapshot row points at a partial blob, and every blob under a real name is whole.
    assert len(mj.snapshots()) == 0
    blobs = store_dir / "artifacts"
    for path in blobs.glob("??/*"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.parent.name + path.name
    assert mj.get_store().artifacts.remove_stale_temp_files() == 1
