"""The run lifecycle: a run that cannot be ended never hides the user's exception, and never
stays the active run (so the next run is not its child)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import mlops_jupyter as mj
from mlops_jupyter.errors import StoreError
from mlops_jupyter.store.database import Store


def _notes(exc: BaseException) -> str:
    return "\n".join(getattr(exc, "__notes__", []))


@pytest.fixture
def failing_end(monkeypatch):
    """Every attempt to end a run fails in the store (a locked or closed database)."""

    def update_run(self, run_id, **fields):
        raise StoreError("database is locked")

    monkeypatch.setattr(Store, "update_run", update_run)


def test_unstorable_exception_text_still_reaches_the_user(store_spec):
    # A lone surrogate cannot be encoded for SQLite, a NUL byte not stored by PostgreSQL.
    mj.set_store(store_spec)
    text = "bad \ud800 value \x00 here"
    user_error = ValueError(text)
    with pytest.raises(ValueError) as info:
        with mj.start_run("weird-text"):
            raise user_error
    assert info.value is user_error
    assert mj.active_run() is None
    record = mj.get_run(mj.runs(filter="name == 'weird-text'").run_id[0])
    assert record.status == "FAILED" and "ValueError: bad" in record.error
    with mj.start_run("next") as after:
        pass
    assert after.parent_run_id is None, "the next run must not become a child of the broken one"


def test_store_failure_at_end_is_a_note_on_the_users_exception(failing_end):
    user_error = KeyError("the user's own")
    with pytest.raises(KeyError) as info:
        with mj.start_run("doomed") as run:
            raise user_error
    assert info.value is user_error, "the user's exception, not the store's"
    note = _notes(info.value)
    assert "doomed" in note and run.id[:8] in note and "database is locked" in note
    assert mj.active_run() is None


def test_store_failure_at_end_of_a_clean_block_is_a_store_error(failing_end):
    with pytest.raises(StoreError) as info:
        with mj.start_run("unsaved") as run:
            run.log_metric("x", 1.0)
    message = str(info.value)
    assert "unsaved" in message and "database is locked" in message
    assert "RUNNING" in message and "run.end()" in message, "says where it stands and what to do"
    assert mj.active_run() is None


def test_a_run_that_failed_to_end_can_be_ended_later(monkeypatch):
    calls = []
    original = Store.update_run

    def flaky(self, run_id, **fields):
        calls.append(fields["status"])
        if len(calls) <= 2:  # the end and its retry with the essentials
            raise StoreError("database is locked")
        return original(self, run_id, **fields)

    monkeypatch.setattr(Store, "update_run", flaky)
    run = mj.start_run("retry")
    with pytest.raises(StoreError):
        run.end()
    assert run.status == "RUNNING", "memory agrees with the store: the run was not ended"
    run.end()
    assert mj.get_run(run.id).status == "FINISHED"


@pytest.fixture(scope="module")
def shell():
    sh = InteractiveShell.instance()
    sh.run_cell("%load_ext mlops_jupyter", store_history=True)
    return sh


def test_track_cell_keeps_the_users_exception_when_the_store_fails(shell, failing_end):
    stdout = sys.stdout
    result = shell.run_cell("%%track -q broken-store\nboom = ValueError('mine')\nraise boom",
                            store_history=True)
    assert result.error_in_exec is shell.user_ns["boom"]
    assert "broken-store" in _notes(result.error_in_exec)
    assert mj.active_run() is None
    assert sys.stdout is stdout, "the cell's output capture was undone"
    import sklearn.base

    assert not hasattr(sklearn.base.BaseEstimator.__dict__.get("fit"), "__mlops_wrapped__")


def test_track_cell_that_ran_but_could_not_be_stored_says_so(shell, failing_end):
    result = shell.run_cell("%%track -q unsaved-cell\nvalue_from_cell = 5", store_history=True)
    assert shell.user_ns["value_from_cell"] == 5
    assert isinstance(result.error_in_exec, StoreError)
    assert "unsaved-cell" in str(result.error_in_exec)
    assert mj.active_run() is None


def test_track_cell_after_a_store_failure_is_not_a_child(shell, monkeypatch):
    def update_run(self, run_id, **fields):
        raise StoreError("disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(Store, "update_run", update_run)
        shell.run_cell("%%track -q first\nraise RuntimeError('x')", store_history=True)
    shell.run_cell("%%track -q second\ny = 1", store_history=True)
    frame = mj.runs(filter="name == 'second'")
    assert frame.run_id.size == 1
    assert mj.get_run(frame.run_id[0]).parent_run_id is None


# -- the active run: per thread, per asyncio task ------------------------------------------------
def test_two_threads_each_in_their_own_run_log_only_into_it():
    import threading

    barrier = threading.Barrier(2)
    runs = {}

    def work(tag: str) -> None:
        with mj.start_run(f"thread-{tag}") as run:
            runs[tag] = run
            barrier.wait()  # both runs are open before either logs
            for i in range(20):
                mj.log_metric(f"m_{tag}", float(i))
            barrier.wait()

    threads = [threading.Thread(target=work, args=(tag,)) for tag in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for tag, other in (("a", "b"), ("b", "a")):
        record = mj.get_run(runs[tag].id)
        assert set(record.metrics) == {f"m_{tag}"}, f"run {tag} got {other}'s metrics"
        assert record.parent_run_id is None, "a run in another thread is not a parent"


def test_two_asyncio_tasks_each_in_their_own_run_log_only_into_it():
    import asyncio

    async def work(tag: str):
        with mj.start_run(f"task-{tag}") as run:
            for i in range(5):
                mj.log_metric(f"m_{tag}", float(i))
                await asyncio.sleep(0.001)  # the other task runs here
                assert mj.active_run() is run
        return run

    async def main():
        return await asyncio.gather(work("a"), work("b"))

    run_a, run_b = asyncio.run(main())
    assert set(mj.get_run(run_a.id).metrics) == {"m_a"}
    assert set(mj.get_run(run_b.id).metrics) == {"m_b"}
    assert run_a.parent_run_id is None and run_b.parent_run_id is None


def test_tasks_started_inside_a_run_log_into_it_and_nest_their_own():
    import asyncio

    async def child():
        mj.log_metric("from_child_task", 1.0)
        with mj.start_run("nested-in-task") as nested:
            await asyncio.sleep(0)
        return nested

    async def main():
        with mj.start_run("outer-async") as outer:
            nested = await asyncio.create_task(child())
        return outer, nested

    outer, nested = asyncio.run(main())
    assert mj.get_run(outer.id).metrics == {"from_child_task": 1.0}
    assert nested.parent_run_id == outer.id


def test_worker_thread_sees_no_active_run_and_is_told_to_pass_the_run():
    import threading

    from mlops_jupyter.errors import NoActiveRunError

    errors = []
    with mj.start_run("main-run") as run:
        def work():
            try:
                mj.log_metric("x", 1.0)
            except NoActiveRunError as exc:
                errors.append(exc)
            run.log_metric("passed", 2.0)  # the documented way

        thread = threading.Thread(target=work, name="worker-1")
        thread.start()
        thread.join()
    assert len(errors) == 1
    message = str(errors[0])
    assert "worker-1" in message and "main-run" in message and "MainThread" in message
    assert "pass the run object" in message.lower()
    assert mj.get_run(run.id).metrics == {"passed": 2.0}


def test_a_run_ended_in_another_thread_is_no_longer_active_here():
    import threading

    run = mj.start_run("ended-elsewhere")
    thread = threading.Thread(target=run.end)
    thread.start()
    thread.join()
    assert mj.active_run() is None
    with mj.start_run("after") as after:
        pass
    assert after.parent_run_id is None


# -- scripts that start a run without `with` and then end ----------------------------------------
SCRIPT_HEAD = """
import sys, threading, time
import mlops_jupyter as mj
run = mj.start_run("script")
run.log_metric("x", 1.0)
"""

SCRIPT_ENDINGS = {
    "returns": ("pass", "FINISHED", []),
    "sys.exit(0)": ("sys.exit(0)", "FINISHED", []),
    "sys.exit()": ("sys.exit()", "FINISHED", []),
    "sys.exit(1)": ("sys.exit(1)", "FAILED", ["exit code 1"]),
    "raise SystemExit(3)": ("raise SystemExit(3)", "FAILED", ["SystemExit(3)"]),
    "sys.exit in a function": ("def main():\n    sys.exit(5)\nmain()", "FAILED", ["exit code 5"]),
    "sys.exit('message')": ("sys.exit('bad config')", "FAILED", ["exit code 1", "bad config"]),
    "uncaught exception": ("def train():\n    raise ValueError('diverged')\ntrain()", "FAILED",
                           ["Traceback", "in train", "ValueError: diverged"]),
    "caught sys.exit, then returns": ("try:\n    sys.exit(2)\nexcept SystemExit:\n    pass",
                                      "FINISHED", []),
}


def _run_script(tmp_path, body: str, **popen) -> subprocess.Popen:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT_HEAD + body + "\n")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "MLOPS_STORE": str(tmp_path / "store")}
    return subprocess.Popen([sys.executable, str(script)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def _script_run(tmp_path):
    mj.set_store(str(tmp_path / "store"))
    frame = mj.runs(filter="name == 'script'")
    assert len(frame) == 1
    return mj.get_run(frame.run_id[0])


@pytest.mark.parametrize("ending", SCRIPT_ENDINGS)
def test_a_script_that_leaves_its_run_open_stores_how_it_ended(tmp_path, ending):
    body, status, texts = SCRIPT_ENDINGS[ending]
    proc = _run_script(tmp_path, body)
    _, err = proc.communicate(timeout=120)
    assert "mlops" not in err.lower(), err
    record = _script_run(tmp_path)
    assert record.status == status, (record.status, record.error, err)
    assert record.metrics == {"x": 1.0}
    for text in texts:
        assert text in (record.error or ""), (text, record.error)
    if status == "FINISHED":
        assert record.error is None


def test_ctrl_c_in_a_script_is_killed(tmp_path):
    ready = tmp_path / "ready"
    proc = _run_script(tmp_path, f"open({str(ready)!r}, 'w').close()\ntime.sleep(120)")
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "KeyboardInterrupt" in err
    record = _script_run(tmp_path)
    assert record.status == "KILLED" and record.error == "KeyboardInterrupt"


def test_a_worker_thread_that_dies_fails_its_open_run(tmp_path):
    body = (
        "def work():\n"
        "    mine = mj.start_run('worker-run')\n"
        "    mine.log_metric('y', 2.0)\n"
        "    raise RuntimeError('worker broke')\n"
        "t = threading.Thread(target=work, name='loader')\n"
        "t.start(); t.join()\n"
        "assert mj.active_run() is run\n"
    )
    proc = _run_script(tmp_path, body)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "worker broke" in err, err
    assert _script_run(tmp_path).status == "FINISHED"
    worker = mj.get_run(mj.runs(filter="name == 'worker-run'").run_id[0])
    assert worker.status == "FAILED"
    assert "loader" in worker.error and "RuntimeError: worker broke" in worker.error
