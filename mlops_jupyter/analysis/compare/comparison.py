"""The comparison of runs: which run is best, and why.

``build_comparison(runs_frame, ...)`` takes the frame of :func:`mlops_jupyter.runs` and returns
a :class:`Comparison`: the runs, their param and metric columns, the best value of every
metric with its direction (``loss`` lower is better, ``accuracy`` higher...), the metric
histories loaded for the shown runs, and the initially selected runs. The table order
(child runs grouped under their parent) and sorting live here too; chart data is in
:mod:`.layouts`, the diff of two runs in :mod:`.diff`.

Pure: nothing here imports IPython, the store or the views. Whoever loads runs from the
store hands a :class:`RunSource` to the Comparison, so that records and histories of further
runs can be read on demand.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from ...formatting import format_value
from ...rendering import HtmlReport
from ..metric_names import metric_direction
from .diff import RunDiff, diff_runs

__all__ = [
    "DEFAULT_SELECTED", "Comparison", "MetricInfo", "RunSource", "TableRow", "build_comparison",
    "filter_runs", "run_label", "sort_frame", "table_rows",
]

DEFAULT_SELECTED = 5  # best runs selected at first, so curves and bars show something at once


# --------------------------------------------------------------------------- result types


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
class Comparison(HtmlReport):
    """Runs to compare and what is known about them; displays as the interactive view.

    Outside a live kernel it shows itself as static HTML (the table, the charts as SVG, the
    diff of the two best selected runs): ``to_html()``/``save_html(path)`` give one
    self-contained page to share.
    """

    _html_renderer: ClassVar[str] = "mlops_jupyter.views.compare_static:comparison_fragment"

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

    @property
    def directions(self) -> dict[str, str]:
        """``{metric column: "max" | "min"}`` of every numeric metric."""
        return {name: info.direction for name, info in self.metrics.items()}

    def best(self, metric: str | None = None) -> MetricInfo | None:
        """The best value of ``metric`` (default: the chosen metric) and the run holding it."""
        name = _metric_column(metric) if metric else self.metric
        return self.metrics.get(name) if name else None

    def best_in(self, runs: pd.DataFrame) -> MetricInfo | None:
        """The best value of the chosen metric among ``runs`` (some rows of :attr:`runs`, for
        example the ones a filter kept), and the run holding it."""
        info = self.best()
        if info is None or runs is self.runs:
            return info
        if runs.empty:
            return replace(info, best_run_id=None, best_value=None, n_values=0)
        return _metric_info(runs, info.name, info.direction, info.direction_known, info.has_steps)

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
        from ...run_ids import match_run_id

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
            lines.append(f"best {info.key} ({info.direction_text}): {format_value(info.best_value)} "
                         f"in {label}")
        lines.extend(self.messages)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Comparison: {self.summary().splitlines()[0]}>"

    def _html_title(self) -> str:
        return self.title


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
    from ..runs_query import apply_filter  # pure: parses, never evals

    return apply_filter(frame, expr.strip())


def _sort_values(series: pd.Series) -> pd.Series:
    """A sortable version of a column of typed JSON params (numbers, strings, bools mixed):
    the same total order as ``mj.runs(order_by=...)`` (numbers by value, then booleans, then
    text; missing last)."""
    if series.dtype != object:
        return series
    from ..runs_query import _ranks

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
