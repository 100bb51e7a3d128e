"""What the comparison's charts draw, as data: parallel-coordinates axes, metric curves and
the final value of each run (no plotting library here; ``views/`` turns these into figures).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .comparison import Comparison
from .diff import _is_number

__all__ = ["Axis", "Curve", "ParallelCoordinates", "final_values", "metric_curves",
           "parallel_coordinates"]


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
