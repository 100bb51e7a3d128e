"""A run whose process died on another host is CRASHED once its heartbeat stops; live ones are not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidValueError
from mlops_jupyter.tracking.heartbeat import MISSED_BEATS

INTERVAL = 0.5

# A process on "another host": the host name it records is not ours, so the reader's pid
# check (same host only) cannot see it die; only the heartbeat can.
FOREIGN_RUN = """
import socket, sys, time
socket.gethostname = lambda: "gpu-box-7"
import mlops_jupyter as mj
run = mj.start_run("remote")
mj.log_metric("loss", 0.5)
print(run.id, flush=True)
time.sleep(600)
"""


def _heartbeat_at(run_id: str) -> float:
    import sqlalchemy as sa

    from mlops_jupyter.store import schema as t

    with mj.get_store().engine.connect() as conn:
        return conn.execute(sa.select(t.runs.c.heartbeat_at)
                            .where(t.runs.c.id == run_id)).scalar_one()


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_run_killed_on_another_host_is_crashed_once_its_heartbeat_stops(
        store_spec, tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_HEARTBEAT_INTERVAL", str(INTERVAL))
    env = {**os.environ, "MLOPS_STORE": store_spec, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", FOREIGN_RUN], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        run_id = proc.stdout.readline().strip()
        assert len(run_id) == 32, "the other process did not start its run"
        first = _heartbeat_at(run_id)
        # Alive on the other host: well past the crash threshold it is still RUNNING,
        # because its heartbeat moves on.
        time.sleep(MISSED_BEATS * INTERVAL * 2)
        assert mj.get_run(run_id).status == "RUNNING"
        assert _heartbeat_at(run_id) > first
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    last_beat = _heartbeat_at(run_id)  # the database's clock, the one crashes are judged on
    assert _wait_for(lambda: mj.get_run(run_id).status == "CRASHED", timeout=30)
    record = mj.get_run(run_id)
    # Not before the beats were missed: measured from the last beat, not from the kill,
    # which may come up to one interval after it (a bound from the kill was flaky under load).
    assert record.end_time - last_beat >= MISSED_BEATS * INTERVAL - 0.01
    assert record.error.startswith("no heartbeat since ")
    assert "'gpu-box-7'" in record.error and f"{MISSED_BEATS} intervals of {INTERVAL:g} s" in \
        record.error
    assert record.end_time is not None and record.metrics == {"loss": 0.5}
    assert mj.runs(filter="status = 'CRASHED'").run_id.tolist() == [run_id]


def test_a_run_of_this_process_beats_and_one_reported_crashed_comes_back(monkeypatch):
    """A suspended process (a laptop asleep) is taken for dead; its next beat revives the run."""
    slow = mj.start_run("slow")  # the heartbeat thread starts waiting its 30 s
    monkeypatch.setenv("MLOPS_HEARTBEAT_INTERVAL", str(INTERVAL))
    with mj.start_run("here") as run:  # beats at its own, shorter, interval at once
        first = _heartbeat_at(run.id)
        assert _wait_for(lambda: _heartbeat_at(run.id) > first, timeout=10)
        store = mj.get_store()
        store.mark_crashed({run.id: ("no heartbeat since (test)", _heartbeat_at(run.id))})
        assert mj.get_run(run.id).status == "CRASHED"
        assert _wait_for(lambda: mj.get_run(run.id).status == "RUNNING", timeout=10)
        assert mj.get_run(run.id).error is None
    assert mj.get_run(run.id).status == "FINISHED"
    slow.end()


def test_a_run_from_before_heartbeats_is_judged_by_its_pid_only():
    """Runs of an older mlops-jupyter (no heartbeat recorded) are never taken for dead."""
    with mj.start_run("old") as run:
        mj.get_store().update_run(run.id, heartbeat_at=None, heartbeat_interval=None,
                                  host="elsewhere")
        assert mj.get_run(run.id).status == "RUNNING"


@pytest.mark.parametrize("bad", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_heartbeat_interval_is_refused_when_the_run_starts(monkeypatch, bad):
    monkeypatch.setenv("MLOPS_HEARTBEAT_INTERVAL", bad)
    with pytest.raises(InvalidValueError, match=r"MLOPS_HEARTBEAT_INTERVAL=.*seconds"):
        mj.start_run("x")
    assert len(mj.runs()) == 0


def test_an_idle_notebook_kernel_keeps_its_run_alive(tmp_path):
    from jupyter_client.manager import start_new_kernel

    store = tmp_path / "store"
    env = {**os.environ, "MLOPS_STORE": str(store), "MLOPS_HEARTBEAT_INTERVAL": str(INTERVAL),
           "PYTHONPATH": os.pathsep.join(sys.path), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    outputs: list = []
    try:
        reply = kc.execute_interactive(
            "import mlops_jupyter as mj\nrun = mj.start_run('notebook')\nprint(run.id)",
            timeout=120, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok"
        run_id = next(m["content"]["text"].strip() for m in outputs
                      if m["msg_type"] == "stream")
        mj.set_store(str(store))
        first = _heartbeat_at(run_id)
        time.sleep(MISSED_BEATS * INTERVAL * 2)  # the kernel idles between cells
        assert _heartbeat_at(run_id) > first + INTERVAL
        assert mj.get_run(run_id).status == "RUNNING"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
