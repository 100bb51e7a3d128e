"""Drift and explanations over stored data: resolve what the user named (a frame, a
snapshot, a run), hand frames to ``analysis/``, store the result in the active run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..tracking import active
from ._runs import get_run
from ._snapshots import load_snapshot
from ._store import get_store

if TYPE_CHECKING:
    import pandas as pd

    from ..analysis.drift import DriftReport
    from ..analysis.explain import Explanation
    from ..tracking.records import RunRecord


def resolve_frame(ref: Any, role: str = "train") -> pd.DataFrame:
    """A DataFrame from a frame, a snapshot name/id, ``(name, version)`` or a run id."""
    return resolve_data(ref, role)[0]


def resolve_data(ref: Any, role: str) -> tuple[pd.DataFrame, RunRecord | None]:
    """(frame, the run it came from if ``ref`` named a run)."""
    import pandas as pd

    from ..errors import NotFoundError

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
          alert: Any = None, sample: int | None = None) -> DriftReport:
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

    from ..analysis.drift import compute_drift

    ref_frame, ref_run = resolve_data(reference, "train")
    cur_frame = resolve_frame(current, "current")
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
        from ..alerts import send_drift_alert

        send_drift_alert(report, alert)
    return report


def _stored_importance(record: RunRecord) -> dict[str, float] | None:
    """Mean |SHAP| per original feature of a run's stored explanation, if it has one."""
    import json

    if not any(a["name"] == "explanation.json" for a in record.artifacts):
        return None
    from ..analysis.explain import Explanation

    expl = Explanation.from_dict(json.loads(record.artifact_bytes("explanation.json")))
    return dict(expl.grouped().top_features(k=len(expl.feature_names)))


def explain(model: Any, X: Any = None, *, y: Any = None, background: Any = None,
            max_rows: int | None = 1000, run: str | None = None, class_index: int | None = None,
            group_features: bool = False, keep_rows: list[Any] | None = None,
            target: int | str | None = None) -> Explanation:
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

    from ..analysis.explain import explain_model

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
