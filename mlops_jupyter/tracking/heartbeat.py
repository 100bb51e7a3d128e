"""The heartbeat: a live process says so, so a run whose process died is found on any host.

A process's own pid check only sees processes on its host; a team shares one store across
hosts. So a daemon thread per process updates ``heartbeat_at`` of all its open runs (one UPDATE
per store per interval, on the database's clock), and a reader marks a RUNNING run CRASHED
once its heartbeat is :data:`MISSED_BEATS` intervals old. The thread runs while a notebook
kernel idles between cells. Each run records its own interval, so team members may
configure different ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from typing import Any

from ..errors import InvalidValueError

INTERVAL_ENV = "MLOPS_HEARTBEAT_INTERVAL"
DEFAULT_INTERVAL = 30.0
# A run is CRASHED when this many intervals passed without a beat: one late beat (a busy
# database, a long GC pause) is not a death.
MISSED_BEATS = 4

log = logging.getLogger(__name__)

_thread: threading.Thread | None = None
_lock = threading.Lock()
_wake = threading.Event()  # a run started: its interval may be shorter than the current wait


def interval() -> float:
    """Seconds between beats: ``MLOPS_HEARTBEAT_INTERVAL`` or 30."""
    text = os.environ.get(INTERVAL_ENV, "").strip()
    if not text:
        return DEFAULT_INTERVAL
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.05 <= value <= 86400:  # also refuses nan and inf
        raise InvalidValueError(
            f"{INTERVAL_ENV}={text!r} is not a heartbeat interval: give seconds between 0.05 "
            f"and 86400 (default {DEFAULT_INTERVAL:g}), or unset it")
    return value


def ensure_running() -> None:
    """Start this process's heartbeat thread unless it runs (called when a run starts)."""
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            _wake.set()
            return
        _thread = threading.Thread(target=_beat_forever, name="mlops-heartbeat", daemon=True)
        _thread.start()


def _forget_thread_in_child() -> None:
    # A forked child has no heartbeat thread (threads do not survive fork): start afresh.
    global _thread, _lock, _wake
    _thread, _lock, _wake = None, threading.Lock(), threading.Event()


os.register_at_fork(after_in_child=_forget_thread_in_child)


def beat_once() -> None:
    """One beat for every open run of this process: one UPDATE per store."""
    from . import active

    by_store: dict[int, tuple[Any, list[str]]] = {}
    for open_run in active.open_runs():
        store = open_run.run.store
        by_store.setdefault(id(store), (store, []))[1].append(open_run.run.id)
    for store, run_ids in by_store.values():
        try:
            store.beat(run_ids)
        except Exception as exc:  # noqa: BLE001 - a missed beat is retried at the next one
            log.warning("heartbeat of %d run(s) not recorded: %s", len(run_ids), exc)


def _pause() -> float:
    """The shortest interval the open runs recorded: each must beat as often as its row says,
    whatever MLOPS_HEARTBEAT_INTERVAL says now."""
    from . import active

    recorded = [o.run.heartbeat_interval for o in active.open_runs()]
    return min(recorded, default=DEFAULT_INTERVAL)


def _beat_forever() -> None:
    import time

    last = time.monotonic()
    while True:
        remaining = last + _pause() - time.monotonic()
        if remaining > 0:
            _wake.wait(remaining)  # woken early by a new run, to heed a shorter interval
            _wake.clear()
            continue
        beat_once()
        last = time.monotonic()


def crash_reason(row: dict[str, Any]) -> str | None:
    """Why the RUNNING run ``row`` (from ``Store.running_runs``) is dead by its heartbeat,
    or None while it beats (or never did: runs of older versions, judged by pid only)."""
    last, every, now = row.get("heartbeat_at"), row.get("heartbeat_interval"), row.get("now")
    if last is None or not every or now is None or now - last <= MISSED_BEATS * every:
        return None
    from ..store.database import STOPPED_BEATING

    when = dt.datetime.fromtimestamp(last, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"{STOPPED_BEATING} since {when} ({now - last:.0f} s, more than {MISSED_BEATS} "
        f"intervals of {every:g} s) from its process on host {row.get('host')!r} (pid "
        f"{row.get('pid')}): it was killed, its host went down, or it lost its connection to "
        "the store. If it is in fact alive, its next heartbeat makes the run RUNNING again"
    )
