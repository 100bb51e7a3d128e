"""Run comparison: which run is best, and why (pure: frames in, frozen dataclasses out).

``build_comparison(runs_frame, ...)`` takes the frame of :func:`mlops_jupyter.runs` and returns
a :class:`Comparison`: the runs, their param and metric columns, the best value of every
metric with its direction (``loss`` lower is better, ``accuracy`` higher...), the metric
histories loaded for the shown runs, and the initially selected runs. Functions below turn a
Comparison into what a view draws (table order with child runs grouped under their parent,
parallel-coordinates axes, metric curves, final values) and :func:`diff_runs` compares two
runs in depth (params, metrics, cell code, packages, training data).

Nothing here imports IPython, the store or the views. Loading from the store is done by
``tracking.comparison_source``, which hands a :class:`RunSource` to the Comparison so that
records and histories of further runs can be read on demand.
"""

from __future__ import annotations

import difflib
import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

__all__ = [
    "Comparison", "MetricInfo", "TableRow", "Axis", "ParallelCoordinates", "Curve",
    "ValueChange", "PackageChange", "InputChange", "RunDiff", "RunSource",
    "build_comparison", "metric_direction", "filter_runs", "table_rows", "sort_frame",
    "parallel_coordinates", "metric_curves", "final_values", "diff_runs", "run_label",
]

# Lower is better when any word of the metric name is one of these (``val_loss``,
# ``mean_fit_time``, ``rank_test_score``, ``std_test_score``, ``drift.share``).
_LOWER = {
    "loss", "error", "err", "errors", "rmse", "mse", "mae", "mape", "smape", "rmsle", "msle",
    "logloss", "nll", "perplexity", "ppl", "wer", "cer", "fpr", "fnr", "brier", "deviance",
    "latency", "time", "seconds", "duration", "rank", "std", "distance", "drift", "cost",
    "regret", "hinge", "entropy", "mpe", "eer", "far", "frr", "miss", "bic", "aic",
}
_HIGHER = {
    "accuracy", "acc", "f1", "fbeta", "auc", "roc", "pr", "ap", "precision", "recall", "r2",
    "score", "map", "ndcg", "mrr", "iou", "dice", "bleu", "rouge", "meteor", "top1", "top5",
    "kappa", "mcc", "variance", "sensitivity", "specificity", "tpr", "tnr", "ppv", "npv",
    "jaccard", "gain", "lift", "reward", "return", "sharpe", "coverage", "hit", "hits",
    "silhouette", "likelihood", "elbo", "psnr", "ssim",
}
_WORD = re.compile(r"[A-Za-z]+\d*|\d+")

DEFAULT_SELECTED = 5  # best runs selected at first, so curves and bars show something at once


# --------------------------------------------------------------------------- directions


def metric_direction(name: str) -> tuple[str, bool]:
    """``("min" | "max", known)`` for a metric name; unknown names are assumed higher-better.

    sklearn's ``neg_*`` scorers (``neg_mean_squared_error``) are higher-better by design.
    """
    base = name.split(".", 1)[1] if name.startswith("metrics.") else name
    words = [w.lower() for w in _WORD.findall(base)]
    if "neg" in words:
        return "max", True
    if any(w in _LOWER for w in words):
        return "min", True
    if any(w in _HIGHER or w.startswith(("f1", "top", "acc")) for w in words):
        return "max", True
    return "max", False


# --------------------------------------------------------------------------- dataclasses


class RunSource(Protocol):
    """Reads what the comparison needs beyond the runs frame (implemented over the store)."""

    def histories(self, run_ids: Sequence[str]) -> Mapping[str, Mapping[str, Sequence[tuple]]]:
        """``{run_id: {key: [(step, value, ...), ...]}}`` for keys logged at several steps."""

    def record(self, run_id: str) -> Any:
        """A RunRecord-like object (or dict) of one run."""

    def snapshot_diff(self, a_id: str, b_id: str) -> Any:
        """A SnapshotDiff-like object (``summary()``) between two snapshot ids."""


@dataclass(frozen=True)
class MetricInfo:
    name: str  # column name, "metrics.<key>"
    key: str  # "<key>"
    direction: str  # "max" or "min"
    direction_known: bool  # False: guessed from nothing, shown as "assumed"
    best_run_id: str | None
    best_value: float | None
    n_values: int  # runs with a finite value
    has_steps: bool  # logged at several steps by at least one run (curves possible)

    @property
    def arrow(self) -> str:
        return "↑" if self.direction == "max" else "↓"

    @property
    def direction_text(self) -> str:
        text = "higher is better" if self.direction == "max" else "lower is better"
        return text if self.direction_known else text + " (assumed)"


@dataclass(frozen=True, eq=False)
class Comparison:
    """Runs to compare and what is known about them; displays as the interactive view."""

    runs: pd.DataFrame  # one row per run (parents and child runs), columns as mj.runs()
    metric: str | None  # chosen metric column ("metrics.accuracy")
    param_columns: tuple[str, ...]
    metric_columns: tuple[str, ...]  # numeric metric columns
    metrics: Mapping[str, MetricInfo]
    histories: Mapping[str, Mapping[str, tuple[tuple[int, float], ...]]]  # run -> key -> steps
    selected: tuple[str, ...]  # run ids selected at first (best runs of the metric)
    filter: str | None = None  # filter expression the view starts with
    messages: tuple[str, ...] = ()  # shown above the view: unknown ids, bad filter, ...
    title: str = "Run comparison"
    source: RunSource | None = field(default=None, repr=False)

    # -- convenience ---------------------------------------------------------------------
    @property
    def empty(self) -> bool:
        return self.runs.empty

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(self.runs["run_id"]) if "run_id" in self.runs else ()

    @property
    def step_metrics(self) -> tuple[str, ...]:
        return tuple(m for m in self.metric_columns if self.metrics[m].has_steps)

    def best(self, metric: str | None = None) -> MetricInfo | None:
        """The best value of ``metric`` (default: the chosen metric) and the run holding it."""
        name = _metric_column(metric) if metric else self.metric
        return self.metrics.get(name) if name else None

    def with_metric(self, metric: str) -> Comparison:
        name = _metric_column(metric)
        if name not in self.metrics:
            raise KeyError(_unknown_metric_message(metric, self.metric_columns))
        return replace(self, metric=name)

    def with_direction(self, metric: str, direction: str) -> Comparison:
        """The same comparison with ``metric``'s direction set by hand ("min" or "max")."""
        if direction not in ("min", "max"):
            raise ValueError(f"direction must be 'min' or 'max', not {direction!r}")
        name = _metric_column(metric)
        if name not in self.metrics:
            raise KeyError(_unknown_metric_message(metric, self.metric_columns))
        infos = dict(self.metrics)
        infos[name] = _metric_info(self.runs, name, direction, True, infos[name].has_steps)
        return replace(self, metrics=infos)

    def with_histories(self, histories: Mapping[str, Mapping[str, Sequence[tuple]]]) -> Comparison:
        """The same comparison knowing more metric histories (``{run: {key: [(step, value..)]}}``)."""
        ids = set(self.run_ids)
        merged = {r: dict(h) for r, h in self.histories.items()}
        for run_id, per_key in histories.items():
            if run_id in ids:
                merged.setdefault(run_id, {}).update(_clean_history(per_key))
        steps = {k for per in merged.values() for k in per}
        infos = {name: (replace(info, has_steps=True) if info.key in steps and not info.has_steps
                        else info) for name, info in self.metrics.items()}
        return replace(self, histories=merged, metrics=infos)

    def resolve(self, run_id: str) -> str:
        """Full id of a run of this comparison from a unique prefix."""
        from ..run_ids import match_run_id

        return match_run_id(str(run_id), self.run_ids, where="in this comparison",
                            listed=f"{len(self.run_ids)} runs; ids are listed in the table")

    def diff(self, a: str, b: str) -> RunDiff:
        """Side-by-side diff of two runs of this comparison (ids or unique prefixes)."""
        if self.source is None:
            raise RuntimeError("this comparison was built without a run source: "
                               "use diff_runs(record_a, record_b)")
        a_id, b_id = self.resolve(a), self.resolve(b)
        rec_a, rec_b = self.source.record(a_id), self.source.record(b_id)
        return diff_runs(rec_a, rec_b, snapshot_diff=self.source.snapshot_diff)

    def summary(self) -> str:
        if self.empty:
            return "\n".join(self.messages) or "no runs to compare"
        lines = [f"{len(self.runs)} runs, {len(self.param_columns)} params, "
                 f"{len(self.metric_columns)} metrics"]
        info = self.best()
        if info is not None and info.best_run_id is not None:
            label = run_label(self.runs.loc[self.runs["run_id"] == info.best_run_id].iloc[0])
            lines.append(f"best {info.key} ({info.direction_text}): {_fmt(info.best_value)} "
                         f"in {label}")
        lines.extend(self.messages)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Comparison: {self.summary().splitlines()[0]}>"


# --------------------------------------------------------------------------- building


def _metric_column(metric: str) -> str:
    return metric if metric.startswith("metrics.") else f"metrics.{metric}"


def _unknown_metric_message(metric: str, available: Sequence[str]) -> str:
    keys = [m.removeprefix("metrics.") for m in available]
    close = difflib.get_close_matches(metric.removeprefix("metrics."), keys, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    listed = ", ".join(keys[:20]) or "none"
    return f"no numeric metric {metric!r} in these runs{hint} (metrics: {listed})"


def _metric_info(frame: pd.DataFrame, name: str, direction: str, known: bool,
                 has_steps: bool) -> MetricInfo:
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(values)
    best_id = best_value = None
    if finite.any():
        masked = np.where(finite, values, -np.inf if direction == "max" else np.inf)
        i = int(np.argmax(masked) if direction == "max" else np.argmin(masked))
        best_id, best_value = str(frame["run_id"].iat[i]), float(values[i])
    return MetricInfo(name, name.removeprefix("metrics."), direction, known, best_id, best_value,
                      int(finite.sum()), has_steps)


def build_comparison(
    runs: pd.DataFrame,
    *,
    metric: str | None = None,
    histories: Mapping[str, Mapping[str, Sequence[tuple]]] | None = None,
    step_keys: Iterable[str] | None = None,
    selected: Sequence[str] | None = None,
    filter: str | None = None,
    messages: Sequence[str] = (),
    directions: Mapping[str, str] | None = None,
    title: str = "Run comparison",
    source: RunSource | None = None,
) -> Comparison:
    """A Comparison of the runs in ``runs`` (a frame shaped like ``mj.runs()``).

    ``metric``: the metric to rank on (``"accuracy"`` or ``"metrics.accuracy"``); default
    the first of a well-known name (accuracy, f1, auc, ..., loss) or else the first metric.
    ``histories``: ``{run_id: {key: [(step, value, ...)]}}``; ``step_keys``: metric keys
    known to have several steps in some run (even if their histories are not loaded yet).
    Problems that still allow a comparison (unknown metric, non-numeric metric columns)
    become ``messages``; nothing here raises for bad data.
    """
    messages = list(messages)
    frame = runs.copy() if runs is not None else pd.DataFrame()
    if "run_id" not in frame.columns:
        frame["run_id"] = pd.Series(dtype=object)
    frame = frame.reset_index(drop=True)
    if "name" not in frame.columns:
        frame["name"] = frame["run_id"]
    for col in ("status", "parent_run_id", "experiment"):
        if col not in frame.columns:
            frame[col] = None
    param_cols = tuple(c for c in frame.columns if str(c).startswith("params.")
                       and frame[c].notna().any())
    metric_cols: list[str] = []
    for col in [c for c in frame.columns if str(c).startswith("metrics.")]:
        numeric = pd.to_numeric(frame[col], errors="coerce")
        has_text = bool((frame[col].notna() & numeric.isna()).any())
        if has_text:
            messages.append(f"metric {col.removeprefix('metrics.')!r} holds non-numeric values: "
                            "they are left out of rankings and charts")
        if numeric.notna().any():
            frame[col] = numeric.astype(float)
            metric_cols.append(col)
        # all-missing columns (runs frame of a wider experiment) are simply dropped
    hist: dict[str, dict[str, tuple[tuple[int, float], ...]]] = {}
    ids = set(frame["run_id"])
    for run_id, per_key in (histories or {}).items():
        if run_id not in ids:
            continue
        hist[run_id] = _clean_history(per_key)
    steps = set(step_keys or ()) | {k for per in hist.values() for k in per}
    infos = {}
    for col in metric_cols:
        key = col.removeprefix("metrics.")
        given = (directions or {}).get(key) or (directions or {}).get(col)
        direction, known = (given, True) if given in ("min", "max") else metric_direction(key)
        infos[col] = _metric_info(frame, col, direction, known, key in steps)

    chosen = None
    if metric:
        name = _metric_column(metric)
        if name in infos:
            chosen = name
        elif not frame.empty:
            messages.append(_unknown_metric_message(metric, metric_cols))
    if chosen is None and metric_cols:
        chosen = _default_metric(metric_cols, infos)

    if selected is None:
        selected = _best_runs(frame, infos.get(chosen) if chosen else None, DEFAULT_SELECTED)
    else:
        selected = [r for r in selected if r in ids]
    return Comparison(
        runs=frame, metric=chosen, param_columns=param_cols, metric_columns=tuple(metric_cols),
        metrics=infos, histories=hist, selected=tuple(selected), filter=filter or None,
        messages=tuple(dict.fromkeys(messages)), title=title, source=source,
    )


def _clean_history(per_key: Mapping[str, Sequence[tuple]]) -> dict[str, tuple[tuple[int, float], ...]]:
    return {k: tuple((int(p[0]), float(p[1])) for p in points)
            for k, points in per_key.items() if len(points) > 1}


_PREFERRED = ("accuracy", "f1", "roc_auc", "auc", "r2", "mean_test_score", "best_cv_score",
              "score", "rmse", "mae", "loss")


def _default_metric(cols: Sequence[str], infos: Mapping[str, MetricInfo]) -> str:
    with_values = [c for c in cols if infos[c].n_values] or list(cols)
    keys = {c.removeprefix("metrics."): c for c in with_values}
    for wanted in _PREFERRED:
        for key, col in keys.items():
            if key == wanted or key.endswith(("." + wanted, "_" + wanted)):
                return col
    known = [c for c in with_values if infos[c].direction_known]
    # the metric most runs have: a sweep's score rather than one run's extra diagnostics
    return max(known or with_values, key=lambda c: infos[c].n_values)


def _best_runs(frame: pd.DataFrame, info: MetricInfo | None, k: int) -> list[str]:
    if frame.empty:
        return []
    top = frame
    if "parent_run_id" in frame:
        # candidates of a search stay folded: pick among top-level runs when there are any
        roots = frame[frame["parent_run_id"].isna() | ~frame["parent_run_id"].isin(frame["run_id"])]
        top = roots if not roots.empty else frame
    if info is None:
        return list(top["run_id"].head(k))
    order = sort_frame(top, info.name, ascending=info.direction == "min")
    values = pd.to_numeric(order[info.name], errors="coerce")
    return list(order.loc[values.notna(), "run_id"].head(k)) or list(top["run_id"].head(k))


# --------------------------------------------------------------------------- table


def run_label(row: Mapping[str, Any] | pd.Series) -> str:
    """``name (ab12cd34)``: the short id users copy into ``%compare``."""
    return f"{row.get('name') or '?'} ({str(row.get('run_id'))[:8]})"


def filter_runs(frame: pd.DataFrame, expr: str | None) -> pd.DataFrame:
    """Rows of ``frame`` matching ``expr`` (the ``mj.runs`` filter language).

    Raises :class:`~mlops_jupyter.errors.FilterSyntaxError` with a position on bad input.
    """
    if not expr or not expr.strip():
        return frame
    from .runs_query import apply_filter  # pure: parses, never evals

    return apply_filter(frame, expr.strip())


def _sort_values(series: pd.Series) -> pd.Series:
    """A sortable version of a column of typed JSON params (numbers, strings, bools mixed):
    the same total order as ``mj.runs(order_by=...)`` (numbers by value, then booleans, then
    text; missing last)."""
    if series.dtype != object:
        return series
    from .runs_query import _ranks

    ranks = _ranks(series, "params", ascending=True)
    return pd.Series(np.where(np.isinf(ranks), np.nan, ranks), index=series.index)


def sort_frame(frame: pd.DataFrame, column: str | None, ascending: bool = True) -> pd.DataFrame:
    """``frame`` sorted by ``column`` (missing values last); mixed-type params in a total order."""
    if column is None or column not in frame.columns or frame.empty:
        return frame
    return frame.sort_values(column, ascending=ascending, na_position="last", kind="stable",
                             key=_sort_values)


@dataclass(frozen=True)
class TableRow:
    run_id: str
    depth: int  # 0 top-level, 1 candidate under its parent
    n_children: int  # candidates of this run present in the frame
    position: int  # row position in the frame given to table_rows


def table_rows(frame: pd.DataFrame, *, sort_by: str | None = None, ascending: bool = True,
               show_children: bool = False) -> tuple[TableRow, ...]:
    """Table order: top-level runs sorted, each followed (when ``show_children``) by its
    child runs sorted the same way. A child whose parent is not in ``frame`` is top-level."""
    if frame.empty:
        return ()
    ordered = sort_frame(frame.reset_index(drop=True), sort_by, ascending)
    ids = ordered["run_id"].tolist()
    positions = ordered.index.tolist()
    parents = ordered["parent_run_id"].tolist() if "parent_run_id" in ordered else [None] * len(ids)
    present = set(ids)
    children: dict[str, list[int]] = {}
    roots: list[int] = []
    for i, parent in enumerate(parents):
        if isinstance(parent, str) and parent in present and parent != ids[i]:
            children.setdefault(parent, []).append(i)
        else:
            roots.append(i)
    out: list[TableRow] = []
    for i in roots:
        kids = children.get(ids[i], [])
        out.append(TableRow(ids[i], 0, len(kids), positions[i]))
        if show_children:
            out.extend(TableRow(ids[j], 1, 0, positions[j]) for j in kids)
    return tuple(out)


# --------------------------------------------------------------------------- parallel coords


@dataclass(frozen=True)
class Axis:
    label: str
    column: str
    kind: str  # "numeric" or "categorical"
    values: tuple[float, ...]  # one per run (categorical: integer code; missing mapped too)
    tickvals: tuple[float, ...] | None = None
    ticktext: tuple[str, ...] | None = None
    range: tuple[float, float] | None = None


@dataclass(frozen=True)
class ParallelCoordinates:
    run_ids: tuple[str, ...]
    axes: tuple[Axis, ...]  # params first, the metric last
    color: tuple[float, ...]  # the metric value of each run
    metric: str | None
    direction: str
    notes: tuple[str, ...] = ()
    message: str | None = None  # set when there is nothing to draw, and why


MAX_CATEGORIES = 30
MISSING = "(missing)"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not np.isfinite(lo) or not np.isfinite(hi):
        return []
    if hi == lo:
        return [lo]
    return [float(f"{v:.4g}") for v in np.linspace(lo, hi, n)]


def _axis(column: str, series: pd.Series) -> tuple[Axis | None, str | None]:
    values = series.tolist()
    present = [v for v in values if not _is_missing(v)]
    label = column.removeprefix("params.")
    if not present:
        return None, None
    n_missing = len(values) - len(present)
    if all(_is_number(v) for v in present):
        arr = np.array([np.nan if _is_missing(v) else float(v) for v in values], dtype=float)
        finite = arr[np.isfinite(arr)]
        if finite.size == 0:
            return None, None
        lo, hi = float(finite.min()), float(finite.max())
        ticks = _nice_ticks(lo, hi)
        if n_missing == 0 and np.isfinite(arr).all():
            return Axis(label, column, "numeric", tuple(arr.tolist())), None
        # missing values (runs without this param) get their own tick below the minimum:
        # parcoords cannot draw a line through NaN
        span = (hi - lo) or (abs(hi) or 1.0)
        slot = lo - span * 0.15
        arr = np.where(np.isfinite(arr), arr, slot)
        return Axis(label, column, "numeric", tuple(arr.tolist()),
                    tickvals=(slot, *ticks), ticktext=(MISSING, *(f"{t:.4g}" for t in ticks)),
                    range=(slot, hi if hi > lo else hi + span * 0.15)), None
    text = ["" if _is_missing(v) else _category(v) for v in values]
    cats = sorted({t for t in text if t != ""}, key=_natural_key)
    note = None
    if len(cats) > MAX_CATEGORIES:
        keep = pd.Series([t for t in text if t]).value_counts().index[:MAX_CATEGORIES - 1].tolist()
        kept = set(keep)
        note = f"{label}: {len(cats)} distinct values, the {len(keep)} most frequent shown, others as '(other)'"
        text = [t if t == "" or t in kept else "(other)" for t in text]
        cats = sorted(kept, key=_natural_key) + ["(other)"]
    if n_missing:
        cats = [MISSING, *cats]
    codes = {c: i for i, c in enumerate(cats)}
    vals = tuple(float(codes[t if t else MISSING]) for t in text)
    return Axis(label, column, "categorical", vals, tickvals=tuple(float(i) for i in range(len(cats))),
                ticktext=tuple(cats), range=(-0.5, len(cats) - 0.5) if len(cats) == 1 else None), note


def _category(v: Any) -> str:
    if isinstance(v, (list, tuple, dict)):
        return repr(v)
    return str(v)


def _natural_key(s: str) -> tuple:
    try:
        return (0, float(s), s)
    except ValueError:
        return (1, 0.0, s.lower())


def parallel_coordinates(frame: pd.DataFrame, params: Sequence[str], metric: str | None,
                         direction: str = "max", *, only_varying: bool = True) -> ParallelCoordinates:
    """Axes for a parallel-coordinates plot of ``params`` against ``metric``.

    Numeric params are numeric axes; anything else (strings, bools, mixed) is categorical,
    mapped to integer ticks with the category labels. Runs without the metric are left out
    (a note says how many); runs without a param sit on that axis' ``(missing)`` tick.
    """
    if frame.empty:
        return ParallelCoordinates((), (), (), metric, direction, message="no runs to draw")
    if metric is None or metric not in frame.columns:
        return ParallelCoordinates((), (), (), metric, direction,
                                   message="no numeric metric to color the runs by")
    values = pd.to_numeric(frame[metric], errors="coerce")
    keep = values.notna() & np.isfinite(values.astype(float))
    notes = []
    dropped = int((~keep).sum())
    if dropped:
        notes.append(f"{dropped} run(s) without a value of {metric.removeprefix('metrics.')} not drawn")
    rows = frame[keep]
    if rows.empty:
        return ParallelCoordinates((), (), (), metric, direction, tuple(notes),
                                   message=f"no run has a numeric value of {metric.removeprefix('metrics.')}")
    axes: list[Axis] = []
    constant: list[str] = []
    for col in params:
        if col not in rows.columns:
            continue
        axis, note = _axis(col, rows[col])
        if axis is None:
            continue
        if note:
            notes.append(note)
        if only_varying and len(set(axis.values)) <= 1 and len(rows) > 1:
            constant.append(axis.label)
            continue
        axes.append(axis)
    if constant:
        notes.append(f"same in every run (not drawn): {', '.join(constant[:8])}"
                     + (f" +{len(constant) - 8}" if len(constant) > 8 else ""))
    metric_values = tuple(rows[metric].astype(float).tolist())
    axes.append(Axis(metric.removeprefix("metrics."), metric, "numeric", metric_values))
    message = None
    if len(axes) == 1:
        message = ("no param differs between these runs: nothing to relate "
                   f"{metric.removeprefix('metrics.')} to" if params else "these runs have no params")
    return ParallelCoordinates(tuple(rows["run_id"]), tuple(axes), metric_values, metric, direction,
                               tuple(notes), message)


# --------------------------------------------------------------------------- curves and bars


@dataclass(frozen=True)
class Curve:
    run_id: str
    label: str
    steps: tuple[int, ...]
    values: tuple[float, ...]


def metric_curves(comparison: Comparison, run_ids: Sequence[str], metric: str | None,
                  histories: Mapping[str, Mapping[str, Sequence[tuple]]] | None = None
                  ) -> tuple[tuple[Curve, ...], str | None]:
    """One curve per run of ``run_ids`` having a step series of ``metric``, and a message
    when there is nothing to draw."""
    if not run_ids:
        return (), "select runs in the table to see their curves"
    if metric is None:
        return (), "no metric chosen"
    key = metric.removeprefix("metrics.")
    hist = histories if histories is not None else comparison.histories
    labels = _labels(comparison.runs)
    curves = []
    for run_id in run_ids:
        points = (hist.get(run_id) or {}).get(key)
        if not points or len(points) < 2:
            continue
        steps = tuple(int(p[0]) for p in points)
        values = tuple(float(p[1]) for p in points)
        curves.append(Curve(run_id, labels.get(run_id, run_id[:8]), steps, values))
    if not curves:
        with_steps = [m.removeprefix("metrics.") for m in comparison.step_metrics]
        if key not in with_steps:
            hint = (f"; metrics with steps: {', '.join(with_steps)}" if with_steps
                    else "; log with steps (run.log_metric(key, value, step=i)) to get curves")
            return (), f"{key} was logged once per run, so there is no curve{hint}"
        return (), f"none of the {len(run_ids)} selected run(s) logged {key} at several steps"
    return tuple(curves), None


def _labels(frame: pd.DataFrame) -> dict[str, str]:
    if frame.empty:
        return {}
    return {rid: f"{name} ({rid[:8]})" for rid, name in zip(frame["run_id"], frame["name"], strict=True)}


def final_values(comparison: Comparison, run_ids: Sequence[str], metric: str | None
                 ) -> tuple[tuple[tuple[str, str, float], ...], str | None]:
    """``((run_id, label, value), ...)`` best first, and a message when nothing to draw."""
    if not run_ids:
        return (), "select runs in the table to compare their values"
    if metric is None or metric not in comparison.metrics:
        return (), "no numeric metric to compare"
    info = comparison.metrics[metric]
    rows = comparison.runs.set_index("run_id", drop=False)
    labels = _labels(comparison.runs)
    out = []
    for run_id in run_ids:
        if run_id not in rows.index:
            continue
        value = rows.at[run_id, metric]
        if value is not None and np.isfinite(float(value)):
            out.append((run_id, labels[run_id], float(value)))
    if not out:
        return (), f"none of the selected runs has a value of {info.key}"
    out.sort(key=lambda t: t[2], reverse=info.direction == "max")
    return tuple(out), None


# --------------------------------------------------------------------------- run diff


@dataclass(frozen=True)
class ValueChange:
    key: str
    a: Any
    b: Any
    status: str  # "same", "changed", "only in A", "only in B"

    @property
    def changed(self) -> bool:
        return self.status != "same"


@dataclass(frozen=True)
class PackageChange:
    package: str
    a: str | None
    b: str | None


@dataclass(frozen=True)
class InputChange:
    role: str
    a: Mapping[str, Any] | None  # {name, version, fingerprint, rows, n_columns}
    b: Mapping[str, Any] | None
    same_content: bool
    details: str  # what changed, from the snapshot diff when it could be computed


@dataclass(frozen=True)
class RunDiff:
    a_id: str
    b_id: str
    a_name: str
    b_name: str
    params: tuple[ValueChange, ...]
    metrics: tuple[ValueChange, ...]
    code_diff: tuple[str, ...]  # unified diff lines of the cell source ("" when same)
    code_a: str | None
    code_b: str | None
    packages: tuple[PackageChange, ...]  # changed, added or removed package versions
    python: tuple[str | None, str | None] | None  # (a, b) when the Python version differs
    inputs: tuple[InputChange, ...]

    @property
    def changed_params(self) -> tuple[ValueChange, ...]:
        return tuple(p for p in self.params if p.changed)

    @property
    def same_code(self) -> bool:
        return not self.code_diff

    def summary(self) -> str:
        lines = [f"A = {self.a_name} ({self.a_id[:8]}), B = {self.b_name} ({self.b_id[:8]})"]
        changed = self.changed_params
        lines.append("params: " + (", ".join(f"{p.key}: {_fmt(p.a)} -> {_fmt(p.b)}" for p in changed)
                                   if changed else "same"))
        lines.append("metrics: " + (", ".join(f"{m.key}: {_fmt(m.a)} -> {_fmt(m.b)}"
                                              for m in self.metrics if m.changed) or "same"))
        if self.code_a is None and self.code_b is None:
            lines.append("code: not recorded")
        else:
            added = sum(1 for line in self.code_diff if line.startswith("+") and not line.startswith("+++"))
            removed = sum(1 for line in self.code_diff if line.startswith("-") and not line.startswith("---"))
            lines.append("code: same" if self.same_code else f"code: +{added} -{removed} lines")
        if self.python:
            lines.append(f"python: {self.python[0]} -> {self.python[1]}")
        lines.append("packages: " + (", ".join(f"{p.package} {p.a or '-'} -> {p.b or '-'}"
                                               for p in self.packages) or "same"))
        for item in self.inputs:
            lines.append(f"data ({item.role}): {item.details}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<RunDiff {self.a_name} ({self.a_id[:8]}) vs {self.b_name} ({self.b_id[:8]}): "
                f"{len(self.changed_params)} params changed, code {'same' if self.same_code else 'changed'}, "
                f"{len(self.packages)} package versions changed>")

    def to_html(self) -> str:
        """Self-contained HTML (no JavaScript): changed values marked, code diff colored."""
        return run_diff_html(self)

    def _repr_html_(self) -> str:
        return self.to_html()


def _get(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b) and type(a) is type(b) or (_is_number(a) and _is_number(b) and a == b)
    except Exception:  # noqa: BLE001 - exotic values: compare as text
        return repr(a) == repr(b)


def _side_by_side(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[ValueChange, ...]:
    out = []
    for key in sorted(set(a) | set(b), key=str):
        if key not in b:
            out.append(ValueChange(key, a[key], None, "only in A"))
        elif key not in a:
            out.append(ValueChange(key, None, b[key], "only in B"))
        else:
            out.append(ValueChange(key, a[key], b[key], "same" if _same(a[key], b[key]) else "changed"))
    # changed first, so the reason two runs differ is at the top
    return tuple(sorted(out, key=lambda c: (c.status == "same",)))


def diff_runs(a: Any, b: Any, *, snapshot_diff: Any = None) -> RunDiff:
    """Compare two runs (RunRecord objects or dicts with the same fields).

    ``snapshot_diff(a_snapshot_id, b_snapshot_id)`` (optional) describes how two training
    snapshots differ; without it only fingerprint, rows and column counts are compared.
    """
    a_id, b_id = str(_get(a, "id") or _get(a, "run_id") or "A"), str(_get(b, "id") or _get(b, "run_id") or "B")
    code_a, code_b = _get(a, "cell_source"), _get(b, "cell_source")
    code_diff: tuple[str, ...] = ()
    if (code_a or "") != (code_b or ""):
        code_diff = tuple(line.rstrip("\n") for line in difflib.unified_diff(
            (code_a or "").splitlines(), (code_b or "").splitlines(),
            fromfile=f"A {a_id[:8]}", tofile=f"B {b_id[:8]}", lineterm="", n=2))
    env_a, env_b = _get(a, "environment") or {}, _get(b, "environment") or {}
    pk_a, pk_b = env_a.get("packages") or {}, env_b.get("packages") or {}
    packages = tuple(PackageChange(p, pk_a.get(p), pk_b.get(p)) for p in sorted(set(pk_a) | set(pk_b))
                     if pk_a.get(p) != pk_b.get(p))
    py_a, py_b = env_a.get("python"), env_b.get("python")
    python = (py_a, py_b) if py_a != py_b and (py_a or py_b) else None
    return RunDiff(
        a_id, b_id, str(_get(a, "name") or a_id[:8]), str(_get(b, "name") or b_id[:8]),
        _side_by_side(_get(a, "params") or {}, _get(b, "params") or {}),
        _side_by_side(_get(a, "metrics") or {}, _get(b, "metrics") or {}),
        code_diff, code_a, code_b, packages, python,
        _input_changes(_get(a, "inputs") or [], _get(b, "inputs") or [], snapshot_diff),
    )


def _input_changes(a: Sequence[Mapping], b: Sequence[Mapping], snapshot_diff: Any) -> tuple[InputChange, ...]:
    by_a = {i["role"]: i for i in a}
    by_b = {i["role"]: i for i in b}
    out = []
    for role in sorted(set(by_a) | set(by_b)):
        ia, ib = by_a.get(role), by_b.get(role)
        if ia is None or ib is None:
            present = ia or ib
            side = "A" if ia else "B"
            out.append(InputChange(role, ia, ib, False,
                                   f"only {side} has one: {present.get('name')} v{present.get('version')}"))
            continue
        same = ia.get("fingerprint") == ib.get("fingerprint") and ia.get("fingerprint") is not None
        if same:
            details = f"same data ({ia.get('name')} v{ia.get('version')}, {_rows(ia)})"
        else:
            details = (f"{ia.get('name')} v{ia.get('version')} -> {ib.get('name')} v{ib.get('version')}; "
                       f"rows {_rows(ia)} -> {_rows(ib)}, columns {ia.get('n_columns')} -> {ib.get('n_columns')}")
            if snapshot_diff is not None and ia.get("id") and ib.get("id"):
                try:
                    found = snapshot_diff(ia["id"], ib["id"])
                    details += "; " + "; ".join(found.summary().splitlines())
                except Exception as exc:  # noqa: BLE001 - a missing profile must not hide the rest
                    details += f"; (snapshot diff unavailable: {exc})"
        out.append(InputChange(role, ia, ib, same, details))
    return tuple(out)


def _rows(item: Mapping[str, Any]) -> str:
    rows = item.get("rows")
    return f"{rows:,}" if isinstance(rows, int) else "?"


# --------------------------------------------------------------------------- formatting


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return "NaN"
        if v == 0:
            return "0"
        if abs(v) < 1e-3 or abs(v) >= 1e6:
            return f"{v:.3e}"
        return f"{v:.4g}"
    return str(v)


_CHANGED_BG = "#fff3cd"
_ADD_BG, _DEL_BG = "#e6ffed", "#ffeef0"


def run_diff_html(diff: RunDiff) -> str:
    e = html.escape
    cell = 'style="padding:2px 8px;border-bottom:1px solid #eee;vertical-align:top"'

    def table(title: str, changes: Sequence[ValueChange]) -> str:
        if not changes:
            return f"<div><b>{e(title)}</b>: none</div>"
        n = sum(c.changed for c in changes)
        rows = []
        for c in changes:
            bg = f"background:{_CHANGED_BG};" if c.changed else ""
            mark = "&#9679; " if c.changed else ""
            rows.append(f'<tr style="{bg}"><td {cell}>{mark}{e(str(c.key))}</td>'
                        f"<td {cell}>{e(_fmt(c.a))}</td><td {cell}>{e(_fmt(c.b))}</td>"
                        f'<td {cell} style="color:#666">{e(c.status if c.changed else "")}</td></tr>')
        return (f'<div style="margin-top:6px"><b>{e(title)}</b> ({n} of {len(changes)} differ)'
                f'<table style="border-collapse:collapse;font-size:12px"><thead><tr>'
                f'<th {cell}></th><th {cell}>A</th><th {cell}>B</th><th {cell}></th></tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table></div>')

    out = [
        '<div class="mlops-run-diff" style="font-family:sans-serif;font-size:13px">',
        f"<div><b>A</b> = {e(diff.a_name)} <code>{e(diff.a_id[:8])}</code> &nbsp; "
        f"<b>B</b> = {e(diff.b_name)} <code>{e(diff.b_id[:8])}</code></div>",
        table("params", diff.params),
        table("metrics", diff.metrics),
    ]
    if diff.code_a is None and diff.code_b is None:
        out.append('<div style="margin-top:6px"><b>code</b>: not recorded for these runs</div>')
    elif diff.same_code:
        out.append('<div style="margin-top:6px"><b>code</b>: identical cell source</div>')
    else:
        lines = []
        for line in diff.code_diff:
            if line.startswith(("+++", "---")):
                style = "color:#666"
            elif line.startswith("+"):
                style = f"background:{_ADD_BG}"
            elif line.startswith("-"):
                style = f"background:{_DEL_BG}"
            elif line.startswith("@@"):
                style = "color:#6f42c1"
            else:
                style = ""
            lines.append(f'<div style="{style};white-space:pre">{e(line) or "&nbsp;"}</div>')
        out.append('<div style="margin-top:6px"><b>code</b> (cell source, A &rarr; B)'
                   '<div style="font-family:monospace;font-size:12px;border:1px solid #ddd;'
                   f'padding:4px;max-height:320px;overflow:auto">{"".join(lines)}</div></div>')
    env = []
    if diff.python:
        env.append(f"<li>python: {e(str(diff.python[0]))} &rarr; {e(str(diff.python[1]))}</li>")
    env.extend(f"<li>{e(p.package)}: {e(p.a or '(not imported)')} &rarr; {e(p.b or '(not imported)')}</li>"
               for p in diff.packages)
    out.append('<div style="margin-top:6px"><b>environment</b>: '
               + (f"<ul style='margin:2px 0'>{''.join(env)}</ul>" if env else "same package versions")
               + "</div>")
    if diff.inputs:
        items = "".join(
            f"<li>{e(i.role)}: "
            + (f'<span style="color:#2e7d32">{e(i.details)}</span>' if i.same_content
               else f'<span style="background:{_CHANGED_BG}">{e(i.details)}</span>')
            + "</li>" for i in diff.inputs)
        out.append(f'<div style="margin-top:6px"><b>data</b><ul style="margin:2px 0">{items}</ul></div>')
    else:
        out.append('<div style="margin-top:6px"><b>data</b>: no snapshots recorded</div>')
    out.append("</div>")
    return "".join(out)
