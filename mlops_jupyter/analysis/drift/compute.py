"""Drift between a reference and a current frame: the orchestration and the verdict.

Pure: pandas objects in, frozen dataclasses out (:mod:`.report`). No IPython, no store, no
views. The statistics themselves live in :mod:`.statistics` (NumPy/SciPy only); this module
decides what to compare and how, and turns the numbers into verdicts.

Per column (see docs/drift.md for the reasoning behind every default):

- numeric / datetime / timedelta: two-sample Kolmogorov-Smirnov (statistic + p-value),
  Wasserstein-1 distance normalised by the reference standard deviation, PSI on reference
  deciles;
- categorical / string / boolean (and numeric columns with <= 5 distinct values in "auto"
  mode): chi-square test of homogeneity on the 2 x k contingency table, Jensen-Shannon
  distance, PSI on category shares, unseen categories listed;
- every column: change of the missing-value share; numeric columns: change of the share of
  infinite values (both count as drift at an absolute change of 5 points).

A column that can no longer be compared is a finding, not a footnote: when the reference
could be compared but the current cannot (numbers became strings, no finite value is left,
values that cannot be counted), its status is "broken" and it counts as drifted, so the
verdict counts it and an alert fires, as a column whose values all went missing ("missing
only") does. "not tested" is kept for what never could be compared (all missing in both
frames, a duplicated name, a column absent from one frame).

``method="auto"`` decides with a hypothesis test (KS / chi-square, p < 0.05) while the
reference has at most 1,000 values, and with an effect size (normalised Wasserstein /
Jensen-Shannon >= 0.1) above, because on large samples p-values flag shifts too small to matter.
The p-value and the effect size are always both computed and reported side by side.

Speed: one sort per numeric column and side serves every statistic and the histogram; columns
run on a small thread pool (NumPy releases the GIL while sorting).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from . import statistics as st
from .report import ColumnDrift, DriftReport, Histogram
from .statistics import CORRECTIONS, DEFAULT_THRESHOLDS, HYPOTHESIS_TESTS

__all__ = ["compute_drift", "DEFAULT_THRESHOLDS", "METHODS"]

METHODS = ("auto", "ks", "chisquare", "wasserstein", "jensenshannon", "psi")
# The verdict rule (the test "auto" picks by reference size, the thresholds, the score) is
# statistics.py's column_verdict, shared with the served packages' live monitor.
DISCRETE_MAX_UNIQUE = 5  # numeric columns with this few values are compared as categories
N_BINS = 30  # histogram bins kept for the view (aggregates only, never raw values)
MAX_CATEGORIES_SHOWN = 20
MAX_UNSEEN_LISTED = 50
_PARALLEL_MIN_ROWS = 100_000

_NUMERIC_KINDS = frozenset({"numeric", "datetime", "timedelta"})
_NUMERIC_METHODS = frozenset({"ks", "wasserstein"})
_CATEGORICAL_METHODS = frozenset({"chisquare", "jensenshannon"})
# forcing a method on a column of the other family uses its counterpart (noted in the row)
_COUNTERPART = {"ks": "chisquare", "chisquare": "ks", "wasserstein": "jensenshannon",
                "jensenshannon": "wasserstein"}


def compute_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: Iterable[str] | None = None,
    categorical: Iterable[str] | None = None,
    method: str | Mapping[str, str] = "auto",
    threshold: float | Mapping[str, float] | None = None,
    correction: str | None = None,
    importance: Mapping[str, float] | None = None,
    sample: int | tuple[int, int] | None = None,
) -> DriftReport:
    """Compare ``current`` with ``reference`` column by column.

    columns: the columns to compare (default: those present in both frames; the others are
        listed in ``missing_in_reference`` / ``missing_in_current``).
    categorical: columns to compare as categories whatever their dtype (e.g. integer codes).
    method: "auto" or one of "ks", "chisquare", "wasserstein", "jensenshannon", "psi", for all
        columns or as a ``{column: method}`` mapping. A hypothesis test forced on a column of
        the other family uses its counterpart (ks <-> chisquare, wasserstein <-> jensenshannon).
    threshold: a number for every column's deciding test, or a mapping whose keys are column
        names or method names. Default: ``DEFAULT_THRESHOLDS``.
    correction: "bonferroni" or "bh" (Benjamini-Hochberg) adjusts the p-values of the columns
        decided by a hypothesis test before comparing them with the threshold.
    importance: ``{column: feature importance}``; columns are then ordered by drift score x
        normalised importance ("drift that matters").
    sample: compare at most this many rows per frame, drawn without replacement with a fixed
        seed (``(n, seed)`` to choose it). Default: exact, every row.
    """
    started = time.perf_counter()
    reference = _as_frame(reference, "reference")
    current = _as_frame(current, "current")
    if len(reference) == 0:
        raise ValueError("the reference frame has no rows: nothing to compare against")
    if len(current) == 0:
        raise ValueError("the current frame has no rows: nothing to compare")
    _check_method(method)
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be None, 'bonferroni' or 'bh', not {correction!r}")
    if threshold is not None and not isinstance(threshold, Mapping):
        threshold = _check_threshold(threshold, "threshold")

    ref_names = {str(c): c for c in reference.columns}
    cur_names = {str(c): c for c in current.columns}
    missing_in_current = tuple(n for n in ref_names if n not in cur_names)
    missing_in_reference = tuple(n for n in cur_names if n not in ref_names)
    if columns is None:
        wanted = [n for n in ref_names if n in cur_names]
        if not wanted:
            raise ValueError(
                "reference and current have no column in common "
                f"(reference: {_short_list(ref_names)}; current: {_short_list(cur_names)})"
            )
    else:
        if isinstance(columns, str):
            columns = [columns]
        wanted = list(dict.fromkeys(str(c) for c in columns))
        if not wanted:
            raise ValueError("columns is empty: name at least one column to compare")
        if not any(n in ref_names and n in cur_names for n in wanted):
            raise ValueError(
                f"none of the requested columns {_short_list(wanted)} is in both frames "
                f"(reference: {_short_list(ref_names)}; current: {_short_list(cur_names)})"
            )
    if isinstance(categorical, str):
        categorical = [categorical]
    forced_categorical = {str(c) for c in (categorical or ())}

    sample_n, sample_seed = _parse_sample(sample)
    notes: list[str] = []
    if sample_n is not None:
        if len(reference) > sample_n or len(current) > sample_n:
            notes.append(f"compared a random sample of at most {sample_n:,} rows per frame "
                         f"(seed {sample_seed})")
        reference = _sample(reference, sample_n, sample_seed)
        current = _sample(current, sample_n, sample_seed + 1)

    dup_ref = _duplicates(reference.columns)
    dup_cur = _duplicates(current.columns)

    def job(name: str) -> dict[str, Any]:
        if name not in ref_names:
            return _not_tested(name, "other", "not in the reference frame")
        if name not in cur_names:
            return _not_tested(name, "other", "not in the current frame")
        if name in dup_ref or name in dup_cur:
            return _not_tested(name, "other", "duplicate column name")
        col_method = method.get(name, "auto") if isinstance(method, Mapping) else method
        ref_col, cur_col = reference[ref_names[name]], current[cur_names[name]]
        forced = name in forced_categorical
        try:
            return _column_drift(name, ref_col, cur_col, col_method, forced)
        except Exception as exc:  # one odd column must never sink the whole report
            why = f"{type(exc).__name__}: {exc}"
        try:  # the reference against itself: could this column ever be compared?
            _column_drift(name, ref_col, ref_col, col_method, forced)
        except Exception:
            return _not_tested(name, "other", f"values cannot be compared ({why})")
        return _broken(name, "other", f"the current values cannot be compared ({why})")

    n_rows = len(reference) + len(current)
    workers = min(len(wanted), os.cpu_count() or 1, 4)
    if workers > 1 and n_rows >= _PARALLEL_MIN_ROWS:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            raw = list(pool.map(job, wanted))
    else:
        raw = [job(n) for n in wanted]

    results = _finalize(raw, threshold, correction, importance)
    return DriftReport(
        columns=results,
        n_reference=len(reference),
        n_current=len(current),
        method=dict(method) if isinstance(method, Mapping) else method,
        correction=correction,
        missing_in_reference=missing_in_reference if columns is None else (),
        missing_in_current=missing_in_current if columns is None else (),
        sample=sample_n,
        sample_seed=sample_seed if sample_n is not None else None,
        importance_given=importance is not None,
        elapsed_seconds=time.perf_counter() - started,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- input checks


def _as_frame(obj: Any, role: str) -> pd.DataFrame:
    if isinstance(obj, pd.Series):
        return obj.to_frame()
    if not isinstance(obj, pd.DataFrame):
        raise TypeError(f"{role} must be a pandas DataFrame, got {type(obj).__name__}")
    return obj


def _check_method(method: Any) -> None:
    values = method.values() if isinstance(method, Mapping) else [method]
    for m in values:
        if m not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {m!r}")


def _check_threshold(value: Any, what: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{what} must be a positive number, got {value!r}")
    return value


def _parse_sample(sample: Any) -> tuple[int | None, int]:
    if sample is None:
        return None, 0
    if isinstance(sample, tuple):
        n, seed = sample
    else:
        n, seed = sample, 0
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(
            f"sample must be a positive number of rows (or (rows, seed)), got {sample!r}")
    return int(n), int(seed)


def _sample(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    if len(df) <= n:
        return df
    rows = np.sort(np.random.default_rng(seed).choice(len(df), size=n, replace=False))
    return df.iloc[rows]


def _duplicates(index: pd.Index) -> set[str]:
    names = [str(c) for c in index]
    return {n for n in names if names.count(n) > 1} if len(set(names)) != len(names) else set()


def _short_list(names: Iterable[str], limit: int = 8) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    if not names:
        return "none"
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# --------------------------------------------------------------------------- per column


def _kind(series: pd.Series) -> str:
    # The data layer's kinds, plus "timedelta", which drift compares as numbers.
    if pd.api.types.is_timedelta64_dtype(series.dtype):
        return "timedelta"
    from ...data.schema import column_kind

    kind = column_kind(series)
    if kind == "other" and series.dtype == object:
        # numbers held in an object column (e.g. read from JSON, Decimals) are still numbers
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
            return "numeric"
    return kind


def _not_tested(name: str, kind: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {"column": name, "kind": kind, "status": "not tested", "reason": reason, **extra}


def _broken(name: str, kind: str, reason: str, **extra: Any) -> dict[str, Any]:
    """The reference could be compared, the current cannot: a finding, counted as drifted."""
    return {"column": name, "kind": kind, "status": "broken", "reason": reason, **extra}


def _family(kind: str) -> str:
    if kind in ("categorical", "string"):
        return "categorical"
    return kind


def _column_drift(name: str, ref: pd.Series, cur: pd.Series, method: str,
                  force_categorical: bool) -> dict[str, Any]:
    ref_missing = float(ref.isna().mean())
    cur_missing = float(cur.isna().mean())
    base = {"reference_missing": ref_missing, "current_missing": cur_missing,
            "missing_drifted": st.share_drifted(ref_missing, cur_missing)}
    ref_empty, cur_empty = ref_missing == 1.0, cur_missing == 1.0
    kind_ref = "categorical" if force_categorical else _kind(ref)
    kind_cur = "categorical" if force_categorical else _kind(cur)
    kind = kind_cur if ref_empty else kind_ref

    if ref_empty and cur_empty:
        return _not_tested(name, kind, "all values are missing in both frames", **base)
    if ref_empty or cur_empty:
        side = "reference" if ref_empty else "current"
        return {"column": name, "kind": kind, "status": "missing only", "test": "missing share",
                "reason": f"all values are missing in the {side} frame", **base}
    if _family(kind_ref) != _family(kind_cur):
        return _broken(
            name, kind_ref,
            f"{kind_ref} in reference but {kind_cur} in current "
            f"(pass categorical=[{name!r}] to compare the values as labels)", **base)
    complex_ref = pd.api.types.is_complex_dtype(ref.dtype)
    if complex_ref or pd.api.types.is_complex_dtype(cur.dtype):
        why = "complex numbers cannot be compared"
        if complex_ref:
            return _not_tested(name, kind, why, **base)
        return _broken(name, kind, f"{why} (the current values are complex)", **base)

    if kind in _NUMERIC_KINDS:
        return _numeric_column(name, kind, ref, cur, method, base)
    return _categorical_column(name, kind, ref, cur, method, base)


def _resolve_method(method: str, family: str, n_ref: int) -> tuple[str, tuple[str, ...]]:
    """The test that decides a column: (test, notes)."""
    if method == "auto":
        return st.auto_test(family, n_ref), ()
    if method == "psi":
        return "psi", ()
    allowed = _NUMERIC_METHODS if family == "numeric" else _CATEGORICAL_METHODS
    if method in allowed:
        return method, ()
    other = _COUNTERPART[method]
    return other, (f"method={method!r} does not apply to {family} values; used {other!r}",)


# ---- numeric


def _numeric_values(series: pd.Series, kind: str) -> np.ndarray:
    """float64 values with NaN for missing (datetimes/timedeltas as nanoseconds)."""
    if kind == "datetime":
        s = series
        if getattr(s.dtype, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)  # compare instants, not wall times
        mask = s.isna().to_numpy()
        vals = s.to_numpy(dtype="datetime64[ns]").view("i8").astype(np.float64)
        vals[mask] = np.nan
        return vals
    if kind == "timedelta":
        mask = series.isna().to_numpy()
        vals = series.to_numpy(dtype="timedelta64[ns]").view("i8").astype(np.float64)
        vals[mask] = np.nan
        return vals
    if isinstance(series.dtype, np.dtype):
        return np.asarray(series.to_numpy(), dtype=np.float64)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)  # nullable / arrow dtypes


def _numeric_column(name: str, kind: str, ref: pd.Series, cur: pd.Series, method: str,
                    base: dict[str, Any]) -> dict[str, Any]:
    a, inf_a = st.sorted_finite(_numeric_values(ref, kind))
    b, inf_b = st.sorted_finite(_numeric_values(cur, kind))
    notes: list[str] = []
    if inf_a or inf_b:
        notes.append(f"infinite values left out of the tests: {inf_a} in reference, "
                     f"{inf_b} in current")
    # +-inf are values no test can place: like missing values, a change of their share is drift.
    ref_inf, cur_inf = inf_a / len(ref), inf_b / len(cur)
    base = {**base, "reference_infinite": ref_inf, "current_infinite": cur_inf,
            "infinite_drifted": st.share_drifted(ref_inf, cur_inf)}
    if len(a) == 0 and len(b) == 0:
        return _not_tested(name, kind, "no finite values in either frame", **base)
    if len(a) == 0 or len(b) == 0:
        side = "reference" if len(a) == 0 else "current"
        return _broken(name, kind, f"no finite values in the {side} frame "
                       f"({ref_inf if side == 'reference' else cur_inf:.0%} infinite)", **base)

    if method == "auto" and kind == "numeric":
        n_unique = st.n_distinct_sorted(a)
        if n_unique <= DISCRETE_MAX_UNIQUE:
            # few distinct values: a frequency test fits better than a CDF distance (as Evidently)
            labels_a, counts_a = np.unique(a, return_counts=True)
            labels_b, counts_b = np.unique(b, return_counts=True)
            ref_counts = pd.Series(counts_a, index=labels_a)
            cur_counts = pd.Series(counts_b, index=labels_b)
            out = _categorical_from_counts(name, kind, ref_counts, cur_counts, method, base)
            out["notes"] = tuple(notes) + (
                f"{n_unique} distinct values in the reference: compared as categories",)
            return out

    test, method_notes = _resolve_method(method, "numeric", len(a))
    notes.extend(method_notes)
    num = st.numeric_statistics(a, b)
    if num.pooled_std:
        notes.append("the reference is constant: Wasserstein normalised by the pooled std")
    statistic = {"ks": num.ks_statistic, "wasserstein": num.wasserstein_norm, "psi": num.psi}[test]
    return {
        "column": name, "kind": kind, "status": "tested", "test": test,
        "statistic": float(statistic), "p_value": num.ks_p_value,
        "distance": num.wasserstein_norm, "distance_name": "wasserstein_norm", "psi": num.psi,
        "reference_count": len(a), "current_count": len(b),
        "histogram": _numeric_histogram(a, b, kind), "notes": tuple(notes), **base,
    }


def _numeric_histogram(a: np.ndarray, b: np.ndarray, kind: str) -> Histogram:
    edges = st.histogram_edges(a, b, N_BINS)
    return Histogram(
        kind="datetime" if kind == "datetime" else "numeric",
        reference=tuple(int(x) for x in st.counts_in_bins(a, edges[1:-1], "left")),
        current=tuple(int(x) for x in st.counts_in_bins(b, edges[1:-1], "left")),
        edges=tuple(float(x) for x in edges),
    )


# ---- categorical


def _value_counts(series: pd.Series) -> pd.Series:
    if series.dtype == object:
        # pandas counts lists/dicts only sometimes (then fails aligning them): refuse them always
        set(series.dropna())  # TypeError: unhashable type
    vc = series.value_counts(dropna=True, sort=False)
    return vc[vc > 0]  # unused categories of a Categorical dtype are not observations


def _categorical_column(name: str, kind: str, ref: pd.Series, cur: pd.Series, method: str,
                        base: dict[str, Any]) -> dict[str, Any]:
    try:
        ref_counts = _value_counts(ref)
    except TypeError as exc:  # e.g. lists: never comparable, in the reference already
        return _not_tested(name, kind, f"values cannot be counted as categories ({exc})", **base)
    try:
        cur_counts = _value_counts(cur)
    except TypeError as exc:
        return _broken(name, kind, f"the current values cannot be counted as categories "
                       f"({exc})", **base)
    if ref_counts.index.dtype != cur_counts.index.dtype:
        # e.g. categorical=[...] on an int column in one frame and a string one in the other
        ref_counts.index = ref_counts.index.map(str)
        cur_counts.index = cur_counts.index.map(str)
        ref_counts = ref_counts.groupby(level=0).sum()
        cur_counts = cur_counts.groupby(level=0).sum()
    return _categorical_from_counts(name, kind, ref_counts, cur_counts, method, base)


def _categorical_from_counts(name: str, kind: str, ref_counts: pd.Series, cur_counts: pd.Series,
                             method: str, base: dict[str, Any]) -> dict[str, Any]:
    aligned = pd.concat([ref_counts.rename("r"), cur_counts.rename("c")], axis=1).fillna(0)
    try:  # one order whatever the rows' order: the sums (and so the statistics) are the same
        aligned = aligned.sort_index()
    except TypeError:  # labels of mixed types
        pass
    r = aligned["r"].to_numpy(dtype=np.int64)
    c = aligned["c"].to_numpy(dtype=np.int64)
    labels = [_label(x) for x in aligned.index]
    n_ref, n_cur = int(r.sum()), int(c.sum())
    test, notes = _resolve_method(method, "categorical", n_ref)
    cat = st.categorical_statistics(r, c)
    statistic = {"chisquare": cat.chi2_statistic, "jensenshannon": cat.jensenshannon,
                 "psi": cat.psi}[test]
    unseen_idx = st.unseen_order(r, c)
    return {
        "column": name, "kind": kind, "status": "tested", "test": test,
        "statistic": statistic, "p_value": cat.chi2_p_value, "distance": cat.jensenshannon,
        "distance_name": "jensenshannon", "psi": cat.psi,
        "reference_count": n_ref, "current_count": n_cur,
        "unseen_categories": tuple(labels[i] for i in unseen_idx[:MAX_UNSEEN_LISTED]),
        "n_unseen": len(unseen_idx),
        "histogram": _categorical_histogram(labels, r, c), "notes": tuple(notes), **base,
    }


def _label(x: Any) -> str:
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))  # discrete numeric values: "1", not "1.0"
    return str(x)


def _categorical_histogram(labels: list[str], r: np.ndarray, c: np.ndarray) -> Histogram:
    names, ref_counts, cur_counts = st.top_categories(labels, r, c, MAX_CATEGORIES_SHOWN)
    return Histogram(kind="categorical", reference=tuple(ref_counts), current=tuple(cur_counts),
                     labels=tuple(names))


# --------------------------------------------------------------------------- verdicts


def _threshold_for(name: str, test: str, threshold: Any) -> float:
    if threshold is None:
        return DEFAULT_THRESHOLDS[test]
    if isinstance(threshold, Mapping):
        if name in threshold:
            return _check_threshold(threshold[name], f"threshold[{name!r}]")
        if test in threshold:
            return _check_threshold(threshold[test], f"threshold[{test!r}]")
        return DEFAULT_THRESHOLDS[test]
    return threshold


def _finalize(raw: list[dict[str, Any]], threshold: Any, correction: str | None,
              importance: Mapping[str, float] | None) -> tuple[ColumnDrift, ...]:
    # Multiple-testing family: the columns whose verdict comes from a p-value.
    family = [i for i, r in enumerate(raw)
              if r.get("status") == "tested" and r["test"] in HYPOTHESIS_TESTS]
    adjusted: dict[int, float] = {}
    if correction and family:
        p_values = np.array([raw[i]["p_value"] for i in family], dtype=float)
        adj = st.adjust_p_values(p_values, correction)
        adjusted = {i: float(x) for i, x in zip(family, adj, strict=True)}

    weights: dict[str, float] = {}
    if importance is not None:
        vals = {str(k): abs(float(v)) if math.isfinite(float(v)) else 0.0
                for k, v in importance.items()}
        top = max(vals.values(), default=0.0)
        weights = {k: (v / top if top > 0 else 0.0) for k, v in vals.items()}

    out = []
    for i, r in enumerate(raw):
        r = dict(r)
        status = r["status"]
        p_value = r.get("p_value")
        if status == "tested":
            thr = _threshold_for(r["column"], r["test"], threshold)
            if r["test"] in HYPOTHESIS_TESTS and i in adjusted:
                r["p_value_adjusted"] = p_value = adjusted[i]
        else:
            thr = None
        verdict = st.column_verdict(
            status, r.get("test"), statistic=r.get("statistic"), p_value=p_value,
            distance=r.get("distance"), distance_name=r.get("distance_name"), threshold=thr,
            missing=(r.get("reference_missing", 0.0), r.get("current_missing", 0.0)),
            infinite=(r.get("reference_infinite", 0.0), r.get("current_infinite", 0.0)))
        if verdict.threshold is not None:
            r["threshold"] = verdict.threshold
        r["drifted"] = verdict.drifted
        r["drift_score"] = verdict.drift_score
        if importance is not None:
            w = weights.get(r["column"])
            r["importance"] = (None if w is None
                               else float(importance[_orig_key(importance, r["column"])]))
            r["weighted_score"] = r["drift_score"] * (w or 0.0)
        out.append(ColumnDrift(**r))

    def severity(c: ColumnDrift) -> tuple:
        broken = c.status != "broken"  # False sorts first: what cannot be compared leads
        if importance is not None:
            return (not c.tested, broken, -(c.weighted_score or 0.0), not c.drifted, -c.drift_score)
        return (not c.tested, broken, not c.drifted, -c.drift_score)

    return tuple(sorted(out, key=severity))


def _orig_key(mapping: Mapping[str, float], name: str) -> Any:
    for k in mapping:
        if str(k) == name:
            return k
    return name


