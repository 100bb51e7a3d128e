"""The stack of active runs in this process (innermost last)."""

from __future__ import annotations

import atexit
from typing import TYPE_CHECKING

from ..errors import NoActiveRunError

if TYPE_CHECKING:
    from .run import Run

_stack: list[Run] = []


def push(run: Run) -> None:
    _stack.append(run)


def pop(run: Run) -> None:
    if run in _stack:
        _stack.remove(run)


def current() -> Run | None:
    return _stack[-1] if _stack else None


def require() -> Run:
    run = current()
    if run is None:
        raise NoActiveRunError(
            "no active run: log inside `with mj.start_run():` or a `%%track` cell, "
            "or call run.log_metric(...) on a run object"
        )
    return run


@atexit.register
def _finish_open_runs() -> None:
    # A script that called start_run() without `with` ends its runs as MLflow does.
    for run in reversed(list(_stack)):
        try:
            run.end("FINISHED")
        except Exception:  # noqa: BLE001 - never raise at interpreter exit
            pass
