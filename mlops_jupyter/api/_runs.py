"""Runs: start one, log to the active one, list them, read one back, load its model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..tracking import active
from ..tracking.run import Run
from ._checks import check_count, check_str, invalid
from ._store import get_store

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store
    from ..tracking.records import RunRecord


def start_run(name: str | None = None, experiment: str = "default",
              tags: Mapping[str, str] | None = None, *, parent: Run | str | None = None) -> Run:
    """Start a run; use it as a context manager.

    Examples
    --------
    >>> with mj.start_run("baseline", experiment="churn") as run:  # doctest: +SKIP
    ...     run.log_param("C", 1.0)
    ...     run.log_metric("accuracy", 0.91)
    """
    from ..tracking.run import start_run as _start

    if tags is not None and not isinstance(tags, Mapping):
        raise invalid("tags", tags, "a mapping of tag names to values, or None")
    if parent is not None and not isinstance(parent, (Run, str)):
        raise invalid("parent", parent, "a Run, a run id (str) or None")
    return _start(get_store(), name=name, experiment=experiment, tags=tags, parent=parent,
                  source=_current_cell_source())


def _current_cell_source() -> dict[str, Any] | None:
    """Where ``start_run`` was called from, when that is a notebook cell."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if not history:
        return None
    from ..tracking.notebook import current_cell_id, notebook_path

    return {"cell_source": history[-1], "notebook_path": notebook_path(shell),
            "cell_id": current_cell_id(shell),
            "execution_count": getattr(shell, "execution_count", None)}


def active_run() -> Run | None:
    """The run that module-level logging goes to here, or None.

    It is per thread, and per asyncio task for tasks you create: a worker thread sees none
    (hand it the run object). In a notebook, a run started in one cell stays active in the
    next until it ends.
    """
    return active.current()


def log_param(key: str, value: Any) -> None:
    active.require().log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    active.require().log_params(params)


def log_metric(key: str, value: float, step: int | None = None) -> None:
    active.require().log_metric(key, value, step)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    active.require().log_metrics(metrics, step)


def set_tag(key: str, value: Any) -> None:
    active.require().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    active.require().set_tags(tags)


def log_artifact(path_or_bytes: Any, name: str | None = None, kind: str = "file") -> str:
    return active.require().log_artifact(path_or_bytes, name, kind)


def log_model(estimator: Any, name: str = "model", X_example: Any = None) -> str:
    return active.require().log_model(estimator, name, X_example)


def reap_crashed_runs(store: Store) -> None:
    """Mark RUNNING runs of dead processes on this host as CRASHED."""
    from ..tracking.process import host_name, is_alive

    me = host_name()
    dead = [r["id"] for r in store.running_runs()
            if r["host"] == me and r["pid"] is not None and not is_alive(r["pid"], r["process_start"])]
    store.mark_crashed(dead, "the process running this run died before it ended")


def runs(experiment: str | None = None, filter: str | None = None,
         order_by: str | list[str] | None = None, limit: int | None = None) -> pd.DataFrame:
    """One row per run: ``run_id, name, experiment, status, start_time, duration, params.*,
    metrics.*`` (latest value) and ``tags.*``; with ``experiment``, only the keys its runs have.

    ``filter`` is MLflow's search syntax plus ``or``, ``not``, parentheses and numeric
    params (``"metrics.accuracy > 0.9 and params.model = 'rf'"``; docs/query.md and
    :mod:`mlops_jupyter.analysis.runs_query`); ``order_by`` like ``"metrics.`f1 score` DESC"``;
    newest first by default and for ties. Raises FilterSyntaxError naming the position.
    """
    return runs_frame(experiment, filter, order_by, limit)[0]


def runs_frame(experiment: str | None = None, filter: str | None = None,
               order_by: str | list[str] | None = None, limit: int | None = None
               ) -> tuple[pd.DataFrame, frozenset[str]]:
    """``runs(...)`` and the columns some run in the store has (for filters on the frame)."""
    from ..analysis.runs_query import (
        apply_filter,
        is_empty,
        parse_filter,
        parse_order_by,
        prefilter_conditions,
        sort_runs,
    )
    from ..tracking.runs_frame import build_runs_frame

    check_str("experiment", experiment)
    check_str("filter", filter)
    if not (order_by is None or isinstance(order_by, str) or (
            isinstance(order_by, (list, tuple)) and all(isinstance(o, str) for o in order_by))):
        raise invalid("order_by", order_by,
                      'a column name with optional "asc"/"desc" ("metrics.f1 desc"), a list '
                      "of them, or None")
    check_count("limit", limit, 0)
    # Both are parsed before the store is touched: a typo costs no query.
    tree = None if is_empty(filter) else parse_filter(filter)
    parse_order_by(order_by)
    store = get_store()
    reap_crashed_runs(store)
    conditions = prefilter_conditions(tree) if tree is not None else []
    tables = store.runs_tables(experiment, conditions)
    frame = build_runs_frame(tables)
    known = frozenset(map(str, frame.columns)) | frozenset(
        f"{kind}.{key}" for kind, keys in tables.get("store_keys", {}).items() for key in keys)
    if tree is not None:
        frame = apply_filter(frame, tree, known_columns=known)
    frame = sort_runs(frame, order_by, known_columns=known)
    if limit is not None:
        frame = frame.head(int(limit))
    return frame, known


def get_run(run_id: str) -> RunRecord:
    """Everything about a run (a unique prefix of its id is enough)."""
    from ..tracking.records import RunRecord

    check_str("run_id", run_id, optional=False)
    store = get_store()
    reap_crashed_runs(store)
    return RunRecord.from_record(store.run_record(store.resolve_run_id(run_id)), store)


def load_model(run_id: str, name: str | None = None, trusted: list[str] | None = None) -> Any:
    """Load a model saved by a run (skops; see tracking.models for the trust policy)."""
    from ..tracking.models import load_model as _load

    check_str("run_id", run_id, optional=False)
    check_str("name", name)
    store = get_store()
    return _load(store, store.resolve_run_id(run_id), name, trusted)
