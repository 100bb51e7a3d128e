"""Compact statistical profile of a frame, small enough to store next to every snapshot.

``profile_frame(df)`` returns plain JSON-ready dicts (no NaN: missing numbers are ``None``)::

    {"rows": n, "columns": {name: {"dtype", "kind", "nulls", "null_share", ...}}}

Per kind:

- numeric: ``mean``, ``std`` (ddof=1), ``min``, ``max``, ``infinite`` (count of +-inf, which
  the other statistics leave out), ``quantiles`` {"0.01": ..., ..., "0.99": ...} and
  ``histogram`` {"edges": [21 floats], "counts": [20 ints]};
- categorical, string, boolean: ``distinct`` (non-null values seen) and ``top``:
  ``[[value, count], ...]``, the 20 most frequent, most frequent first (ties by first-seen order
  for strings, category order for categoricals); categoricals also list ``categories`` count;
- datetime: ``min``/``max`` as ISO 8601 strings and ``histogram`` with ISO edges;
- other (timedelta, complex, mixed objects): ``nulls`` and, when it can be computed, ``distinct``.

Numeric statistics come from one sort per column (quantiles, min/max and histogram counts are
then lookups), and columns are profiled in a thread pool: numpy sorting and Arrow's
``value_counts`` release the GIL.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .schema import column_kind

__all__ = ["HISTOGRAM_BINS", "QUANTILES", "TOP_VALUES", "profile_column", "profile_frame"]

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
HISTOGRAM_BINS = 20
TOP_VALUES = 20


def profile_frame(df: pd.DataFrame | pd.Series) -> dict[str, Any]:
    """Profile every column of ``df`` (a Series is one column). See the module docstring.

    Column keys are ``str(label)``; a label seen twice gets ``" #<position>"`` appended so no
    column is silently lost.
    """
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"expected a pandas DataFrame or Series, got {type(df).__module__}.{type(df).__qualname__}"
        )
    keys: list[str] = []
    seen: set[str] = set()
    for position, label in enumerate(df.columns):
        key = label if isinstance(label, str) else str(label)
        if key in seen:
            key = f"{key} #{position}"
        seen.add(key)
        keys.append(key)
    columns = [df.iloc[:, i] for i in range(df.shape[1])]
    workers = min(len(columns), os.cpu_count() or 1)
    if workers > 1 and len(df) >= 50_000:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            profiles = list(pool.map(profile_column, columns))
    else:
        profiles = [profile_column(c) for c in columns]
    return {"rows": int(len(df)), "columns": dict(zip(keys, profiles, strict=True))}


def profile_column(series: pd.Series) -> dict[str, Any]:
    """Profile of one column (see the module docstring for the keys per kind)."""
    kind = column_kind(series)
    n = len(series)
    out: dict[str, Any] = {"dtype": str(series.dtype), "kind": kind}
    if kind == "numeric":
        out.update(_numeric(series))
    elif kind == "datetime":
        out.update(_datetime(series))
    elif kind == "categorical":
        out.update(_categorical(series))
    elif kind == "boolean" and series.dtype != object:
        out.update(_boolean(series))
    elif kind in ("string", "boolean"):
        out.update(_counted(series))
    else:
        out.update(_other(series))
    out["null_share"] = out["nulls"] / n if n else 0.0
    return out


# -- kinds --------------------------------------------------------------------------------------


def _numeric(series: pd.Series) -> dict[str, Any]:
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    nan = np.isnan(values)
    nulls = int(nan.sum())
    finite = values[np.isfinite(values)] if nulls or not np.isfinite(values).all() else values
    infinite = len(values) - nulls - len(finite)
    out: dict[str, Any] = {"nulls": nulls, "infinite": infinite}
    if not len(finite):
        out.update(
            mean=None,
            std=None,
            min=None,
            max=None,
            quantiles=dict.fromkeys(map(str, QUANTILES)),
            histogram={"edges": [], "counts": []},
        )
        return out
    ordered = np.sort(finite)
    lo, hi = float(ordered[0]), float(ordered[-1])
    quantiles = _sorted_quantiles(ordered)
    out.update(
        mean=_num(finite.mean()),
        std=_num(finite.std(ddof=1)) if len(finite) > 1 else None,
        min=lo,
        max=hi,
        quantiles={str(q): _num(v) for q, v in zip(QUANTILES, quantiles, strict=True)},
        histogram=_sorted_histogram(ordered, lo, hi),
    )
    return out


def _sorted_quantiles(ordered: np.ndarray) -> np.ndarray:
    """numpy's default ("linear") quantiles, read off already sorted values (no partition)."""
    position = np.asarray(QUANTILES) * (len(ordered) - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, len(ordered) - 1)
    frac = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * frac


def _sorted_histogram(ordered: np.ndarray, lo: float, hi: float) -> dict[str, list]:
    """np.histogram's bins and counts, read off sorted values with one searchsorted."""
    if lo == hi:  # np.histogram's convention for a constant column
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1)
    # Inner edges split left-closed bins; the last bin is closed on both ends, like numpy's.
    cuts = np.searchsorted(ordered, edges[1:-1], side="left")
    bounds = np.concatenate(([0], cuts, [len(ordered)]))
    return {"edges": [float(e) for e in edges], "counts": np.diff(bounds).tolist()}


def _datetime(series: pd.Series) -> dict[str, Any]:
    nat = series.isna().to_numpy()
    nulls = int(nat.sum())
    out: dict[str, Any] = {"nulls": nulls}
    dtype = series.dtype
    ints = (
        series.array.asi8
        if isinstance(dtype, pd.DatetimeTZDtype)
        else series.to_numpy().view(np.int64)
    )
    ints = ints[~nat] if nulls else ints
    if not len(ints):
        out.update(min=None, max=None, histogram={"edges": [], "counts": []})
        return out
    ordered = np.sort(ints)
    lo, hi = int(ordered[0]), int(ordered[-1])
    hist = _sorted_histogram(ordered.astype(np.float64), float(lo), float(hi))
    unit = dtype.unit if isinstance(dtype, pd.DatetimeTZDtype) else np.datetime_data(dtype)[0]
    tz = getattr(dtype, "tz", None)

    def iso(value: float) -> str:
        return pd.Timestamp(int(round(value)), unit=unit, tz=tz).isoformat()

    hist["edges"] = [iso(e) for e in hist["edges"]]
    out.update(min=iso(lo), max=iso(hi), histogram=hist)
    return out


def _categorical(series: pd.Series) -> dict[str, Any]:
    cat = series.array
    codes = cat.codes
    categories = cat.categories
    counts = (
        np.bincount(codes[codes >= 0], minlength=len(categories))
        if len(codes)
        else np.zeros(len(categories), dtype=np.int64)
    )
    nulls = int((codes < 0).sum())
    order = np.argsort(-counts, kind="stable")[:TOP_VALUES]
    top = [[_json_value(categories[i]), int(counts[i])] for i in order if counts[i] > 0]
    return {
        "nulls": nulls,
        "distinct": int((counts > 0).sum()),
        "categories": len(categories),
        "ordered": bool(cat.ordered),
        "top": top,
    }


def _boolean(series: pd.Series) -> dict[str, Any]:
    missing = series.isna().to_numpy()
    nulls = int(missing.sum())
    values = series.to_numpy(dtype=bool, na_value=False)
    true = int(np.count_nonzero(values & ~missing if nulls else values))
    false = len(values) - nulls - true
    counts = sorted([[True, true], [False, false]], key=lambda item: -item[1])
    top = [item for item in counts if item[1] > 0]
    return {"nulls": nulls, "distinct": len(top), "top": top}


def _counted(series: pd.Series) -> dict[str, Any]:
    """Strings and booleans: Arrow's hash-based value_counts, nulls excluded."""
    nulls = int(series.isna().sum())
    try:
        arr = (
            pa.array(series.array)
            if hasattr(series.array, "__arrow_array__")
            else pa.array(series.to_numpy(dtype=object), from_pandas=True)
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return {"nulls": nulls, **_python_counts(series)}
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    counted = pc.value_counts(arr.drop_null() if arr.null_count else arr)
    values, counts = counted.field("values"), counted.field("counts").to_numpy()
    order = np.argsort(-counts, kind="stable")[:TOP_VALUES]
    top_values = values.take(pa.array(order, type=pa.int64())).to_pylist()
    return {
        "nulls": nulls,
        "distinct": len(counts),
        "top": [[_json_value(v), int(counts[i])] for v, i in zip(top_values, order, strict=True)],
    }


def _python_counts(series: pd.Series) -> dict[str, Any]:
    counts = series.value_counts(dropna=True, sort=True)
    return {
        "distinct": int(len(counts)),
        "top": [[_json_value(v), int(c)] for v, c in counts.iloc[:TOP_VALUES].items()],
    }


def _other(series: pd.Series) -> dict[str, Any]:
    out: dict[str, Any] = {"nulls": int(series.isna().sum())}
    if pd.api.types.is_timedelta64_dtype(series.dtype):
        # Durations: range and mean as ISO 8601 durations; a distinct count would cost a hash pass.
        valid = series.dropna()
        for stat in ("min", "max", "mean"):
            out[stat] = getattr(valid, stat)().isoformat() if len(valid) else None
        return out
    try:
        out["distinct"] = int(series.nunique(dropna=True))
    except TypeError:  # unhashable values (lists, dicts): no distinct count
        pass
    return out


# -- JSON helpers -------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _json_value(value: Any) -> Any:
    """A JSON-safe rendering of a category/top value (numbers stay numbers)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, pd.Timedelta)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
