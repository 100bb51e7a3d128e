"""Drift and explanations over stored data: resolve what the user named (a frame, a
snapshot, a run), hand frames to ``analysis/``, store the result in the active run."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..tracking import active
from ._checks import check_str, renamed_keywords
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
          alert: Any = None, max_rows: int | tuple[int, int] | None = None,
          **deprecated: Any) -> DriftReport:
    """Compare ``current`` data against ``reference`` column by column.

    Numeric columns get Kolmogorov-Smirnov (plus Wasserstein and PSI), categorical ones
    chi-square (plus Jensen-Shannon), with sample-size aware thresholds; the report ranks
    columns by severity and gives a dataset-level verdict. Inside an active run the report
    is stored as the artifact ``drift_report.json`` and ``drift.share``,
    ``drift.n_columns`` and ``drift.n_drifted`` are logged.

    Parameters
    ----------
    reference : DataFrame, str or (str, int)
        A frame, a snapshot name (latest version) or id, ``(name, version)``, or a run id,
        meaning that run's ``train`` input; when that run has a stored explanation, columns
        are also ranked by drift weighted by feature importance.
    current : DataFrame, str or (str, int)
        A frame, a snapshot name/id or ``(name, version)`` (a run id: its ``current`` input).
    columns : list of str, optional
        Only these columns (default: those in both frames).
    categorical : list of str, optional
        Columns to test as categorical whatever their dtype.
    method : str, default "auto"
        ``"auto"``, ``"ks"``, ``"chisquare"``, ``"wasserstein"``, ``"jensenshannon"``,
        ``"psi"``.
    threshold : float, optional
        The p-value (tests) or distance above which a column drifted (default per method).
    correction : {"bonferroni", "bh"}, optional
        Multiple-testing correction of the p-values.
    alert : callable or str, optional
        Where to send an alert when a column drifted: a callback taking the report,
        ``"log"`` (a logging warning) or a webhook URL (:mod:`mlops_jupyter.alerts`).
    max_rows : int or (int, int), optional
        Compare a seeded random sample of at most this many rows per frame (or
        ``(rows, seed)``); default: all rows. Replaces ``sample=`` (deprecated).

    Returns
    -------
    DriftReport
        Displays as the drift view; ``.drifted_columns``, ``.dataset_drift``,
        ``.to_frame()``, ``.save_html(path)``.

    Raises
    ------
    NotFoundError
        A name is neither a snapshot nor a run.
    TypeError
        ``reference``/``current`` is not a frame, name or id.
    InvalidValueError, ValueError
        An option is not accepted (the message names it).

    Examples
    --------
    >>> report = mj.drift("3f2a1b", new_data)      # doctest: +SKIP
    >>> report.drifted_columns                      # doctest: +SKIP
    ['income', 'age']
    >>> report.save_html("drift.html")              # doctest: +SKIP
    """
    import json

    from ..analysis.drift import compute_drift
    from ..data.partitions import is_partitioned

    max_rows = renamed_keywords("drift", deprecated, {"sample": "max_rows"},
                                {"max_rows": max_rows})["max_rows"]
    if is_partitioned(reference) or is_partitioned(current):
        if max_rows is not None:
            raise ValueError("max_rows samples frames in memory; partitioned data is compared "
                             "whole (leave max_rows out)")
        report = partitioned_drift(reference, current, columns=columns,
                                   categorical=categorical, method=method,
                                   threshold=threshold, correction=correction)
    else:
        ref_frame, ref_run = resolve_data(reference, "train")
        cur_frame = resolve_frame(current, "current")
        importance = _stored_importance(ref_run) if ref_run is not None else None
        report = compute_drift(
            ref_frame, cur_frame, columns=columns, categorical=categorical, method=method,
            threshold=threshold, correction=correction, importance=importance,
            sample=max_rows,
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
            max_rows: int | None = 1000, run_id: str | None = None,
            class_index: int | None = None, group_features: bool = False,
            keep_rows: list[Any] | None = None, target: int | str | None = None,
            **deprecated: Any) -> Explanation:
    """SHAP explanation of ``model`` on ``X``.

    Tree, linear or model-agnostic SHAP for the model's kind, through scikit-learn
    Pipelines and ColumnTransformers with the real feature names; permutation importance
    with a note when SHAP cannot explain the model. Inside an active run (or with
    ``run_id``) the explanation is stored as ``explanation.json`` and the top features are
    set as the ``explain.top_features`` tag (``mj.drift`` then weighs drift by them).

    Parameters
    ----------
    model : estimator or str
        A fitted model, or a run id: then the run's model is loaded, and its ``train``
        input is the background and, when ``X`` is None, the data explained.
    X : DataFrame, Series, str or (str, int), optional
        The rows to explain: a frame, one row (a Series, ``X.iloc[5]``), a snapshot name
        (latest version) or id, ``(name, version)``, or a run id (its ``train`` input),
        resolved as :func:`drift` resolves its arguments.
    y : array-like, optional
        Targets, used only by the permutation-importance fallback.
    background : DataFrame, str or (str, int), optional
        Reference data of the linear and model-agnostic explainers (same forms as ``X``).
    max_rows : int or None, default 1000
        Explain a seeded sample of at most this many rows (None: all).
    run_id : str, optional
        Store the explanation with this run instead of the active one. Replaces ``run=``
        (deprecated).
    class_index : int, optional
        The class shown for a classifier (default: the positive or predicted class).
    group_features : bool, default False
        Sum one-hot columns back into their original feature.
    keep_rows : list, optional
        Index labels of ``X`` that must be among the explained rows when ``X`` is sampled.
    target : int or str, optional
        Which target of a multi-output regressor the views show (all are explained;
        ``Explanation.for_target`` switches).

    Returns
    -------
    Explanation
        Displays as the explanation view; ``.top_features(10)``, ``.to_frame()``,
        ``.save_html(path)``.

    Raises
    ------
    NotFoundError
        A run id or snapshot name that does not exist.
    ValueError, TypeError
        No data to explain, or data the model cannot take (the message says what).

    Examples
    --------
    >>> expl = mj.explain(model, "holdout")          # doctest: +SKIP
    >>> expl.top_features(3)                          # doctest: +SKIP
    [('income', 0.41), ('age', 0.22), ('tenure', 0.08)]
    """
    import json

    from ..analysis.explain import explain_model

    run_id = renamed_keywords("explain", deprecated, {"run": "run_id"},
                              {"run_id": run_id})["run_id"]
    check_str("run_id", run_id)
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
    if isinstance(X, (str, tuple)):  # a snapshot or a run; a Series stays one row
        X = resolve_frame(X, "train")
    if isinstance(background, (str, tuple)):
        background = resolve_frame(background, "train")
    into = get_run(run_id) if run_id is not None else None  # before the work: fail fast
    explanation = explain_model(model, X, y=y, background=background, max_rows=max_rows,
                                class_index=class_index, group_features=group_features,
                                keep_rows=keep_rows, target=target)
    live = active.current()
    stored_in = into.id if into is not None else live.id if live is not None else None
    if stored_in is not None:
        store = get_store()
        top = explanation.grouped().top_features(k=10)
        store.add_artifact(stored_in, "explanation.json", "report",
                           json.dumps(explanation.to_dict()).encode(),
                           {"type": "explanation", "top_features": top})
        store.set_tags(stored_in, {"explain.top_features": ", ".join(name for name, _ in top)})
    return explanation


# --------------------------------------------------------------------------- partitioned data

DRIFT_PROFILE_KEY = "drift_profile"  # in a snapshot's profile JSON: the stored blob


def partitioned_drift(reference: Any, current: Any, *, columns: list[str] | None = None,
                      categorical: list[str] | None = None, method: Any = "auto",
                      threshold: Any = None, correction: str | None = None) -> DriftReport:
    """``mj.drift`` where either side is a Parquet path/glob, a Dask or a Spark DataFrame:
    each partition is reduced to a mergeable profile where it lives (docs/drift.md)."""
    import time

    from ..analysis.drift import profiles as pr
    from ..data.partitions import is_partitioned, reduce_partitions

    started = time.perf_counter()
    forced = tuple(str(c) for c in ([categorical] if isinstance(categorical, str)
                                    else categorical or ()))
    wanted = None if columns is None else [str(c) for c in
                                           ([columns] if isinstance(columns, str) else columns)]
    importance = None

    def reduce(data: Any, fn: Any, merge: Any, *args: Any) -> Any:
        return reduce_partitions(data, fn, merge, pr.encode, pr.decode, *args, columns=wanted)

    if is_partitioned(reference):
        ref = reduce(reference, pr.profile_batch, pr.merge, forced)
        pr.with_edges(ref)
        estimated = {n: e for n, e in ref.edges.items()
                     if ref.columns[n].sketch.is_estimation_mode()}
        if estimated:  # second pass: the reference's counts on its sketch deciles
            kinds = {n: ref.columns[n].kind for n in estimated}
            counts = _reduce_bins(reference, estimated, kinds, wanted)
            for n, c in counts.items():
                ref.columns[n].bins = c
        for n in ref.edges:
            if n not in estimated:  # the sketch kept every value: exact deciles and counts
                values = pr.sketch_values(ref.columns[n].sketch)
                ref.columns[n].bins = _exact_bins(values, ref.edges[n])
        ref.exact_edges = not estimated
    else:
        ref_frame, ref_run = resolve_data(reference, "train")
        ref = reference_profile(reference, ref_frame, forced)
        importance = _stored_importance(ref_run) if ref_run is not None else None
    if is_partitioned(current):
        cur = reduce(current, pr.profile_batch, pr.merge, forced, ref.edges)
    else:
        cur = pr.profile_batch(resolve_frame(current, "current"), forced, ref.edges)
    return pr.compute_drift_profiles(ref, cur, columns=wanted, method=method,
                                     threshold=threshold, correction=correction,
                                     importance=importance, started=started)


def _exact_bins(values: Any, edges: list[float]) -> Any:
    import numpy as np

    from ..analysis.drift import statistics as st

    return st.counts_in_bins(values, np.asarray(edges), "right")


def _reduce_bins(data: Any, edges: dict, kinds: dict, wanted: list[str] | None) -> dict:
    from ..analysis.drift import profiles as pr
    from ..data.partitions import reduce_partitions

    def enc(d: dict) -> bytes:
        return json.dumps({k: [int(x) for x in v] for k, v in d.items()}).encode()

    def dec(b: bytes) -> dict:
        import numpy as np

        return {k: np.asarray(v, dtype=np.int64) for k, v in json.loads(b).items()}

    return reduce_partitions(data, pr.bin_counts_batch, pr.merge_bins, enc, dec, edges, kinds,
                             columns=wanted)


def reference_profile(ref: Any, frame: pd.DataFrame, categorical: tuple[str, ...] = ()) -> Any:
    """The drift profile of a reference held in memory. A snapshot's (named by name, id,
    (name, version)) is computed once and stored as a blob keyed by its fingerprint; later
    calls read it back (only with the default column kinds: ``categorical`` changes them)."""
    from ..analysis.drift import profiles as pr
    from ..errors import MlopsError

    row = None
    if isinstance(ref, (str, tuple)) and not categorical:
        try:
            store = get_store()
            row = store.snapshot_row(*ref) if isinstance(ref, tuple) else \
                store.snapshot_row(ref)
        except MlopsError:
            row = None  # a run id: profiled from its frame, not stored
    if row is not None:
        stored = (row.get("profile") or {}).get(DRIFT_PROFILE_KEY) or {}
        if stored.get("format") == pr.PROFILE_FORMAT:
            try:
                data = store.artifacts.get_bytes(stored["blob_hash"], size=stored["size"],
                                                 what=f"drift profile of snapshot "
                                                      f"{row['name']!r}")
                return pr.decode(data)
            except (MlopsError, ValueError, KeyError):
                pass  # missing or unreadable: computed and stored again below
    profile = pr.profile_frame(frame, categorical)
    if row is not None:
        blob = store.artifacts.put_bytes(pr.encode(profile))
        store.set_snapshot_extra(row["fingerprint"], DRIFT_PROFILE_KEY,
                                 {"format": pr.PROFILE_FORMAT, "blob_hash": blob.blob_hash,
                                  "size": blob.size})
    return profile
