"""Which run is active: per thread, and per asyncio task inside tasks the user creates.

Two threads, or two concurrent asyncio tasks, each in their own run never log into each
other's. A worker thread sees no active run (as in MLflow): it is handed the run object.

Why not a ``ContextVar`` alone: IPython and ipykernel run some cells (those with top-level
``await``) in a fresh task, whose context is thrown away when the cell ends, so a run started
with ``run = mj.start_run()`` in one cell would vanish before the next. Code running in the
thread itself, or in a task of IPython/ipykernel (a cell), therefore uses the thread's stack;
only code in other asyncio tasks (``create_task``, ``gather``...) uses a per-task stack, which
starts as a copy of what the task's creator saw.

A run leaves every stack when it ends, in whichever thread or task ``end()`` is called:
ended runs are skipped when reading, since another thread's stack cannot be reached.
"""

from __future__ import annotations

import sys
import threading
from contextvars import ContextVar
from typing import TYPE_CHECKING, NamedTuple

from ..errors import NoActiveRunError

if TYPE_CHECKING:
    from .run import Run

# Tasks whose coroutine lives in these packages run notebook cells: they share the thread's stack.
_HOST_PACKAGES = frozenset({"IPython", "ipykernel"})


class OpenRun(NamedTuple):
    run: Run
    thread_id: int
    where: str  # "thread 'MainThread'" or "asyncio task 'Task-3' in thread 'MainThread'"


_local = threading.local()
_task_runs: ContextVar[tuple[int, tuple[Run, ...]] | None] = ContextVar(
    "mlops_jupyter_task_runs", default=None)
_open: dict[str, OpenRun] = {}  # started and not ended, in any thread (atexit, error messages)
_lock = threading.Lock()


def _user_task():
    """The running asyncio task, unless there is none or it is a cell of IPython/ipykernel."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:  # never imported: no loop can be running
        return None
    loop = asyncio._get_running_loop()
    if loop is None:
        return None
    task = asyncio.current_task(loop)
    if task is None:
        return None
    frame = getattr(task.get_coro(), "cr_frame", None)
    module = frame.f_globals.get("__name__", "") if frame is not None else ""
    if module.partition(".")[0] in _HOST_PACKAGES:
        return None
    return task


def _thread_runs() -> list[Run]:
    runs = getattr(_local, "runs", None)
    if runs is None:
        runs = _local.runs = []
    return runs


def _visible() -> tuple[Run, ...]:
    if _user_task() is not None:
        value = _task_runs.get()
        # A context copied into another thread (asyncio.to_thread) does not carry the run over.
        if value is not None and value[0] == threading.get_ident():
            return value[1]
    return tuple(_thread_runs())


def _here() -> str:
    thread = f"thread {threading.current_thread().name!r}"
    task = _user_task()
    return thread if task is None else f"asyncio task {task.get_name()!r} in {thread}"


def push(run: Run) -> None:
    with _lock:
        _open[run.id] = OpenRun(run, threading.get_ident(), _here())
    if _user_task() is not None:
        live = tuple(r for r in _visible() if r.id in _open)
        _task_runs.set((threading.get_ident(), (*live, run)))
    else:
        runs = _thread_runs()
        runs[:] = [r for r in runs if r.id in _open]
        runs.append(run)


def pop(run: Run) -> None:
    """``run`` ended (or gave up ending): it is no longer active anywhere."""
    with _lock:
        _open.pop(run.id, None)
    runs = _thread_runs()
    if run in runs:
        runs.remove(run)
    value = _task_runs.get()
    if value is not None and run in value[1]:
        _task_runs.set((value[0], tuple(r for r in value[1] if r is not run)))


def current() -> Run | None:
    for run in reversed(_visible()):
        if run.id in _open:
            return run
    return None


def open_runs() -> list[OpenRun]:
    """Every run started and not yet ended, in any thread, oldest first."""
    with _lock:
        return list(_open.values())


def require() -> Run:
    run = current()
    if run is not None:
        return run
    elsewhere = open_runs()
    if elsewhere:
        listed = ", ".join(f"{o.run.name!r} ({o.run.id[:8]}) in {o.where}" for o in elsewhere[-3:])
        raise NoActiveRunError(
            f"no active run in {_here()}: the active run is per thread and per asyncio task, "
            f"and the open runs belong elsewhere: {listed}. Pass the run object to this code "
            "and call run.log_metric(...) on it, or start a run here with "
            "`with mj.start_run(parent=run):`"
        )
    raise NoActiveRunError(
        "no active run: log inside `with mj.start_run():` or a `%%track` cell, "
        "or call run.log_metric(...) on a run object"
    )
