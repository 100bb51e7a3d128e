"""The public Python API: ``import mlops_jupyter as mj``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .tracking import active
from .tracking.run import Run

if TYPE_CHECKING:
    import pandas as pd

    from .store import Store
    from .tracking.records import RunRecord
    from .tracking.snapshots import Snapshot

__all__ = [
    "set_store", "get_store", "start_run", "active_run", "log_param", "log_params", "log_metric",
    "log_metrics", "set_tag", "set_tags", "log_artifact", "log_model", "runs", "get_run",
    "load_model", "snapshot", "load_snapshot", "snapshots", "diff_snapshots", "drift", "explain",
    "compare",
    "Run",
]

_store_spec: str | None = None


def set_store(spec: str | os.PathLike[str] | None) -> Store | None:
    """Use the store at ``spec`` (a folder or SQLAlchemy URL) for this process, opening it
    now so a wrong URL fails here; ``None`` goes back to ``MLOPS_STORE`` / the nearest ``.mlops``.

    A store that fails to open is not kept: the previous setting stays in use.
    """
    global _store_spec
    if spec is None:
        _store_spec = None
        return None
    if not isinstance(spec, (str, os.PathLike)):
        raise _invalid("spec", spec, "a folder path or a SQLAlchemy URL (str or os.PathLike), "
                       "or None")
    from .store import open_store

    text = os.fspath(spec)
    store = open_store(text)
    _store_spec = text
    return store


def get_store() -> Store:
    """The store in use: ``set_store`` -> ``MLOPS_STORE`` -> nearest ``.mlops/`` -> ``./.mlops/``."""
    from .store import open_store

    return open_store(_store_spec)


def _invalid(argument: str, value: Any, accepted: str):
    from .errors import InvalidValueError

    return InvalidValueError(f"{argument} must be {accepted}; got {type(value).__name__} "
                             f"{value!r:.80}")


def _check_str(argument: str, value: Any, optional: bool = True) -> None:
    if not (isinstance(value, str) or (optional and value is None)):
        raise _invalid(argument, value, "a string" + (" or None" if optional else ""))


def _check_count(argument: str, value: Any, minimum: int) -> None:
    """``value`` is None or an int (not a bool) of at least ``minimum``."""
    import numbers

    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise _invalid(argument, value, f"an int >= {minimum} or None")


# -- runs --------------------------------------------------------------------------------------
def start_run(name: str | None = None, experiment: str = "default",
              tags: Mapping[str, str] | None = None, *, parent: Run | str | None = None) -> Run:
    """Start a run; use it as a context manager.

    Examples
    --------
    >>> with mj.start_run("baseline", experiment="churn") as run:  # doctest: +SKIP
    ...     run.log_param("C", 1.0)
    ...     run.log_metric("accuracy", 0.91)
    """
    from .tracking.run import start_run as _start

    if tags is not None and not isinstance(tags, Mapping):
        raise _invalid("tags", tags, "a mapping of tag names to values, or None")
    if parent is not None and not isinstance(parent, (Run, str)):
        raise _invalid("parent", parent, "a Run, a run id (str) or None")
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
    from .tracking.notebook import current_cell_id, notebook_path

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


def _reap_crashed_runs(store: Store) -> None:
    """Mark RUNNING runs of dead processes on this host as CRASHED."""
    from .tracking.process import host_name, is_alive

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
    return _runs_frame(experiment, filter, order_by, limit)[0]


def _runs_frame(experiment: str | None = None, filter: str | None = None,
                order_by: str | list[str] | None = None, limit: int | None = None
                ) -> tuple[pd.DataFrame, frozenset[str]]:
    """``runs(...)`` and the columns some run in the store has (for filters on the frame)."""
    from .analysis.runs_query import (
        apply_filter,
        is_empty,
        parse_filter,
        parse_order_by,
        prefilter_conditions,
        sort_runs,
    )
    from .tracking.runs_frame import build_runs_frame

    _check_str("experiment", experiment)
    _check_str("filter", filter)
    if not (order_by is None or isinstance(order_by, str) or (
            isinstance(order_by, (list, tuple)) and all(isinstance(o, str) for o in order_by))):
        raise _invalid("order_by", order_by,
                       'a column name with optional "asc"/"desc" ("metrics.f1 desc"), a list '
                       "of them, or None")
    _check_count("limit", limit, 0)
    # Both are parsed before the store is touched: a typo costs no query.
    tree = None if is_empty(filter) else parse_filter(filter)
    parse_order_by(order_by)
    store = get_store()
    _reap_crashed_runs(store)
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
    from .tracking.records import RunRecord

    _check_str("run_id", run_id, optional=False)
    store = get_store()
    _reap_crashed_runs(store)
    return RunRecord.from_record(store.run_record(store.resolve_run_id(run_id)), store)


def load_model(run_id: str, name: str | None = None, trusted: list[str] | None = None) -> Any:
    """Load a model saved by a run (skops; see tracking.models for the trust policy)."""
    from .tracking.models import load_model as _load

    _check_str("run_id", run_id, optional=False)
    _check_str("name", name)
    store = get_store()
    return _load(store, store.resolve_run_id(run_id), name, trusted)


# -- snapshots ---------------------------------------------------------------------------------
def snapshot(frame: pd.DataFrame | pd.Series, name: str, role: str = "input") -> Snapshot:
    """Store ``frame`` as a versioned snapshot; unchanged content gets no new version.

    Inside an active run the snapshot is linked to it as an input with ``role``
    (``"train"``, ``"test"``, ``"reference"``, ``"current"``, ...).

    Examples
    --------
    >>> snap = mj.snapshot(df, "customers")          # doctest: +SKIP
    >>> snap.version, snap.fingerprint[:8]           # doctest: +SKIP
    (1, '9f3c2a1b')
    """
    run = active.current()
    if run is not None:
        return run.log_input(frame, name, role=role)
    from .tracking.snapshots import take_snapshot

    return take_snapshot(get_store(), frame, name)


def load_snapshot(name_or_id: str, version: int | None = None) -> pd.DataFrame | pd.Series:
    """The frame stored as ``name_or_id`` (latest version unless ``version``)."""
    from .tracking.snapshots import load_snapshot_frame

    _check_str("name_or_id", name_or_id, optional=False)
    _check_count("version", version, 1)
    return load_snapshot_frame(get_store(), name_or_id, version)


def snapshots() -> pd.DataFrame:
    """All snapshots: name, version, fingerprint, rows, columns, size, created."""
    import pandas as pd

    frame = pd.DataFrame(get_store().snapshot_rows(),
                         columns=["id", "name", "version", "fingerprint", "rows", "n_columns",
                                  "size", "created_at"])
    frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
    return frame


def _snapshot_ref(ref: Any):
    from .tracking.snapshots import Snapshot

    if isinstance(ref, Snapshot):
        return ref
    store = get_store()
    if isinstance(ref, tuple):
        return Snapshot.from_row(store.snapshot_row(ref[0], ref[1]))
    return Snapshot.from_row(store.snapshot_row(str(ref)))


def diff_snapshots(a: Any, b: Any):
    """Schema, row-count and per-column statistic changes from snapshot ``a`` to ``b``.

    Each of ``a``/``b`` is a Snapshot, a name (latest version), an id or ``(name, version)``.
    """
    from .data.diff import diff_profiles

    return diff_profiles(_snapshot_ref(a).meta, _snapshot_ref(b).meta)


# -- analysis ----------------------------------------------------------------------------------
def _resolve_frame(ref: Any, role: str = "train") -> pd.DataFrame:
    """A DataFrame from a frame, a snapshot name/id, ``(name, version)`` or a run id."""
    return _resolve_data(ref, role)[0]


def _resolve_data(ref: Any, role: str) -> tuple[pd.DataFrame, RunRecord | None]:
    """(frame, the run it came from if ``ref`` named a run)."""
    import pandas as pd

    from .errors import NotFoundError

    if isinstance(ref, pd.DataFrame):
        return ref, None
    if isinstance(ref, pd.Series):
        return ref.to_frame(), None
    if not isinstance(ref, (str, tuple)):
        raise TypeError(
            f"expected a DataFrame, a snapshot name or id, or a run id; got {type(ref).__name__}"
        )
    record = None
    try:
        frame = load_snapshot(*ref) if isinstance(ref, tuple) else load_snapshot(ref)
    except NotFoundError:
        if not isinstance(ref, str):
            raise
        try:
            record = get_run(ref)
        except NotFoundError:
            raise NotFoundError(f"{ref!r} is neither a snapshot name/id nor a run id") from None
        frame = record.load_input(role)
    return (frame.to_frame() if isinstance(frame, pd.Series) else frame), record


def drift(reference: Any, current: Any, *, columns: list[str] | None = None,
          categorical: list[str] | None = None, method: str = "auto",
          threshold: float | None = None, correction: str | None = None,
          alert: Any = None, sample: int | None = None):
    """Compare ``current`` data against ``reference`` column by column; returns a DriftReport.

    ``reference``/``current``: DataFrames, snapshot names/ids, or (for reference) a run id,
    meaning that run's training snapshot; when that run has a stored explanation, columns
    are also ranked by drift weighted by feature importance. Inside an active run the report
    is stored as an artifact and ``drift.share``/``drift.n_columns`` are logged.

    Examples
    --------
    >>> report = mj.drift("3f2a1b", new_data)      # doctest: +SKIP
    >>> report.drifted_columns                      # doctest: +SKIP
    ['income', 'age']
    """
    import json

    from .analysis.drift import compute_drift

    ref_frame, ref_run = _resolve_data(reference, "train")
    cur_frame = _resolve_frame(current, "current")
    importance = _stored_importance(ref_run) if ref_run is not None else None
    report = compute_drift(
        ref_frame, cur_frame, columns=columns, categorical=categorical, method=method,
        threshold=threshold, correction=correction, importance=importance, sample=sample,
    )
    run = active.current()
    if run is not None:
        run.log_metrics({"drift.share": report.share_drifted,
                         "drift.n_columns": report.n_columns,
                         "drift.n_drifted": report.n_drifted})
        run.log_artifact(json.dumps(report.to_dict()).encode(), "drift_report.json",
                         kind="report", meta={"type": "drift"})
    if alert is not None:
        from .alerts import send_drift_alert

        send_drift_alert(report, alert)
    return report


def _stored_importance(record: RunRecord) -> dict[str, float] | None:
    """Mean |SHAP| per original feature of a run's stored explanation, if it has one."""
    import json

    if not any(a["name"] == "explanation.json" for a in record.artifacts):
        return None
    from .analysis.explain import Explanation

    expl = Explanation.from_dict(json.loads(record.artifact_bytes("explanation.json")))
    return dict(expl.grouped().top_features(k=len(expl.feature_names)))


def explain(model: Any, X: Any = None, *, y: Any = None, background: Any = None,
            max_rows: int | None = 1000, run: str | None = None, class_index: int | None = None,
            group_features: bool = False, keep_rows: list[Any] | None = None,
            target: int | str | None = None):
    """SHAP explanation of ``model`` on ``X``; returns an Explanation.

    ``model`` may be a fitted estimator or a run id (then the run's model is loaded, and its
    training snapshot is the background and, when ``X`` is None, the data explained).
    Inside an active run (or with ``run=``) the explanation is stored and the top features
    are logged as the ``explain.top_features`` tag. ``keep_rows``: index labels of ``X``
    that must be among the explained rows when ``X`` is sampled (to show them one by one).
    ``target``: which target of a multi-output regressor the views show (default the first;
    all are explained, ``Explanation.for_target`` switches).
    """
    import json

    from .analysis.explain import explain_model

    if isinstance(model, str):
        record = get_run(model)
        model = record.load_model()
        train = None
        if any(i["role"] == "train" for i in record.inputs):
            train = record.load_input("train")
        if X is None:
            if train is None:
                raise ValueError(f"run {record.id[:8]} has no training snapshot: pass X")
            X = train
        if background is None and train is not None:
            background = train
    if X is None:
        raise ValueError("explain() needs the data to explain: pass X")
    # A Series is one row (``X.iloc[5]``), as in explain_model.
    explanation = explain_model(model, X, y=y, background=background, max_rows=max_rows,
                                class_index=class_index, group_features=group_features,
                                keep_rows=keep_rows, target=target)
    into = get_run(run) if run is not None else None
    live = active.current()
    if into is not None or live is not None:
        store = get_store()
        run_id = into.id if into is not None else live.id
        top = explanation.grouped().top_features(k=10)
        store.add_artifact(run_id, "explanation.json", "report",
                           json.dumps(explanation.to_dict()).encode(),
                           {"type": "explanation", "top_features": top})
        store.set_tags(run_id, {"explain.top_features": ", ".join(name for name, _ in top)})
    return explanation


def compare(runs: list[str] | None = None, *, experiment: str | None = None,
            last: int | None = None, metric: str | None = None, filter: str | None = None):
    """Interactive comparison of runs (table, parallel coordinates, curves, two-run diff).

    ``runs``: run ids (unique prefixes); else the runs of ``experiment`` / ``filter``,
    the ``last`` N most recent. Returns a Comparison that displays itself.
    """
    from .tracking.comparison_source import load_comparison

    _check_str("experiment", experiment)
    _check_str("metric", metric)
    _check_str("filter", filter)
    _check_count("last", last, 1)
    return load_comparison(runs, experiment=experiment, last=last, metric=metric, filter=filter)
