"""Data drift between a reference and a current frame: per-column tests and a dataset verdict.

Pure: pandas objects in, frozen dataclasses out. No IPython, no store, no views.

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

Speed: one sort per numeric column and side serves KS, Wasserstein, PSI and the histogram
(the reference and current sorted arrays are merged in O(n) instead of re-sorted or binary
searched per point as scipy does); columns run on a small thread pool (numpy releases the GIL
while sorting). Statistics equal scipy's ``ks_2samp``, ``wasserstein_distance``,
``chi2_contingency`` and ``jensenshannon`` on the same data.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

__all__ = [
    "ColumnDrift",
    "DriftReport",
    "Histogram",
    "compute_drift",
    "DEFAULT_THRESHOLDS",
    "METHODS",
]

METHODS = ("auto", "ks", "chisquare", "wasserstein", "jensenshannon", "psi")
HYPOTHESIS_TESTS = frozenset({"ks", "chisquare"})
# Evidently's defaults (p < 0.05; normalised Wasserstein / Jensen-Shannon >= 0.1; PSI >= 0.1).
DEFAULT_THRESHOLDS: dict[str, float] = {
    "ks": 0.05,
    "chisquare": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
}
SMALL_SAMPLE_MAX = 1000  # reference values up to which "auto" uses a hypothesis test
DISCRETE_MAX_UNIQUE = 5  # numeric columns with this few values are compared as categories
DATASET_DRIFT_SHARE = 0.5  # dataset drift when at least this share of tested columns drift
MISSING_SHARE_THRESHOLD = 0.05  # absolute change of the missing share that counts as drift
CORRECTIONS = (None, "bonferroni", "bh")
N_BINS = 30  # histogram bins kept for the view (aggregates only, never raw values)
MAX_CATEGORIES_SHOWN = 20
MAX_UNSEEN_LISTED = 50
PSI_DECILES = 10
PSI_EPS = 1e-4  # share floor for empty PSI bins, as Evidently does
_SCIPY_EXACT_KS_MAX_N = 10000  # ks_2samp "auto" is exact up to this size, asymptotic above
_PARALLEL_MIN_ROWS = 100_000

_NUMERIC_KINDS = frozenset({"numeric", "datetime", "timedelta"})
_CATEGORICAL_KINDS = frozenset({"categorical", "string", "boolean", "other"})
_NUMERIC_METHODS = frozenset({"ks", "wasserstein"})
_CATEGORICAL_METHODS = frozenset({"chisquare", "jensenshannon"})
# forcing a method on a column of the other family uses its counterpart (noted in the row)
_COUNTERPART = {"ks": "chisquare", "chisquare": "ks", "wasserstein": "jensenshannon",
                "jensenshannon": "wasserstein"}


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Histogram:
    """Aggregated distribution of one column in both frames (what the view draws).

    ``kind`` is "numeric", "datetime" or "categorical". Numeric: ``edges`` has one more entry
    than the counts; values below the first / above the last edge (the outer 0.5 % tails) are
    counted in the end bins. Datetime edges are nanoseconds since the epoch. Categorical:
    ``labels`` name the bars, the most frequent first, the rest summed as "(other)".
    """

    kind: str
    reference: tuple[int, ...]
    current: tuple[int, ...]
    edges: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnDrift:
    """The drift result of one column.

    ``test`` decided ``drifted`` with ``statistic`` against ``threshold`` (for "ks" and
    "chisquare" the p-value, after ``correction`` if any, is compared: drift when below; for
    distances drift when at or above). ``p_value`` (KS or chi-square) and ``distance``
    (normalised Wasserstein or Jensen-Shannon) are reported whatever the test, side by side.
    ``drift_score`` is the effect size relative to its default threshold (>= 1 is a notable
    shift); it orders the columns by severity.
    """

    column: str
    kind: str
    # "tested"; "missing only" (one side has no values); "broken" (the current values can no
    # longer be compared with the reference: counted as drifted); "not tested" (left out).
    status: str
    test: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    p_value_adjusted: float | None = None
    distance: float | None = None
    distance_name: str | None = None
    psi: float | None = None
    threshold: float | None = None
    drifted: bool = False
    drift_score: float = 0.0
    importance: float | None = None
    weighted_score: float | None = None
    reference_count: int = 0
    current_count: int = 0
    reference_missing: float = 0.0
    current_missing: float = 0.0
    missing_drifted: bool = False
    reference_infinite: float = 0.0
    current_infinite: float = 0.0
    infinite_drifted: bool = False
    unseen_categories: tuple[str, ...] = ()
    n_unseen: int = 0
    reason: str | None = None
    notes: tuple[str, ...] = ()
    histogram: Histogram | None = None

    @property
    def tested(self) -> bool:
        return self.status != "not tested"


_FRAME_COLUMNS = (
    "column", "kind", "test", "statistic", "p_value", "p_value_adjusted", "distance", "psi",
    "threshold", "drifted", "drift_score", "reference_missing", "current_missing",
    "missing_drifted", "unseen_categories", "status", "reason", "reference_infinite",
    "current_infinite", "infinite_drifted",
)


@dataclass(frozen=True)
class DriftReport:
    """Drift of every compared column, most severe first, and the dataset verdict."""

    columns: tuple[ColumnDrift, ...]
    n_reference: int
    n_current: int
    method: str | dict[str, str] = "auto"
    correction: str | None = None
    drift_share_threshold: float = DATASET_DRIFT_SHARE
    missing_in_reference: tuple[str, ...] = ()
    missing_in_current: tuple[str, ...] = ()
    sample: int | None = None
    sample_seed: int | None = None
    importance_given: bool = False
    elapsed_seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    # -- verdict
    @property
    def tested_columns(self) -> tuple[ColumnDrift, ...]:
        return tuple(c for c in self.columns if c.tested)

    @property
    def n_columns(self) -> int:
        """Number of columns that were compared (not-tested rows excluded)."""
        return len(self.tested_columns)

    @property
    def n_drifted(self) -> int:
        return sum(1 for c in self.columns if c.drifted)

    @property
    def share_drifted(self) -> float:
        return self.n_drifted / self.n_columns if self.n_columns else 0.0

    @property
    def dataset_drift(self) -> bool:
        return self.n_columns > 0 and self.share_drifted >= self.drift_share_threshold

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def broken(self) -> dict[str, str]:
        """Columns that can no longer be compared (counted as drifted) -> why."""
        return {c.column: c.reason or "" for c in self.columns if c.status == "broken"}

    @property
    def not_tested(self) -> dict[str, str]:
        """Columns that could not be compared -> why."""
        return {c.column: c.reason or "" for c in self.columns if not c.tested}

    def column(self, name: str) -> ColumnDrift:
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(f"no column {name!r} in this drift report")

    # -- conversions
    def to_frame(self) -> pd.DataFrame:
        rows = []
        for c in self.columns:
            row = {k: getattr(c, k) for k in _FRAME_COLUMNS}
            row["unseen_categories"] = list(c.unseen_categories)
            if self.importance_given:
                row["importance"] = c.importance
                row["weighted_drift"] = c.weighted_score
            rows.append(row)
        cols = list(_FRAME_COLUMNS) + (["importance", "weighted_drift"] if self.importance_given else [])
        frame = pd.DataFrame(rows, columns=cols)
        for name in ("statistic", "p_value", "p_value_adjusted", "distance", "psi", "threshold"):
            frame[name] = frame[name].astype("float64")
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable (no NaN/inf: they become None); ``from_dict`` reverses it."""
        d = asdict(self)
        d["format"] = "mlops_jupyter.drift/1"
        d["summary"] = {
            "n_columns": self.n_columns,
            "n_drifted": self.n_drifted,
            "share_drifted": self.share_drifted,
            "dataset_drift": self.dataset_drift,
            "drifted_columns": self.drifted_columns,
            "broken_columns": list(self.broken),
        }
        return _json_clean(d)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DriftReport:
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        col_names = {f.name for f in fields(ColumnDrift)}
        hist_names = {f.name for f in fields(Histogram)}
        columns = []
        for c in d.get("columns", ()):
            c = {k: v for k, v in c.items() if k in col_names}
            h = c.get("histogram")
            if h is not None:
                h = {k: tuple(v) if isinstance(v, list) else v for k, v in h.items() if k in hist_names}
                c["histogram"] = Histogram(**h)
            for k in ("unseen_categories", "notes"):
                c[k] = tuple(c.get(k) or ())
            columns.append(ColumnDrift(**c))
        kw["columns"] = tuple(columns)
        for k in ("missing_in_reference", "missing_in_current", "notes"):
            kw[k] = tuple(kw.get(k) or ())
        return cls(**kw)

    def summary(self) -> str:
        verdict = "DRIFT DETECTED" if self.dataset_drift else "no dataset drift"
        lines = [
            f"Dataset: {verdict} - {self.n_drifted} of {self.n_columns} columns drifted "
            f"({self.share_drifted:.0%}; dataset drift at >= {self.drift_share_threshold:.0%}). "
            f"Reference {self.n_reference:,} rows, current {self.n_current:,} rows.",
        ]
        if self.broken:
            lines[0] += (f" {len(self.broken)} of them can no longer be compared: "
                         f"{', '.join(self.broken)}.")
        for c in self.columns:
            if c.drifted:
                what = "BROKEN" if c.status == "broken" else "drifted"
                lines.append(f"  {what}: {c.column} ({describe_column(c)})")
        for name, why in self.not_tested.items():
            lines.append(f"  not tested: {name}: {why}")
        return "\n".join(lines)

    def __repr__(self) -> str:  # short: a report may have hundreds of columns and histograms
        return (f"DriftReport(n_columns={self.n_columns}, n_drifted={self.n_drifted}, "
                f"share_drifted={self.share_drifted:.3f}, dataset_drift={self.dataset_drift}, "
                f"drifted_columns={self.drifted_columns!r})")


def describe_column(c: ColumnDrift) -> str:
    """One-line human description of a column's result (used by summary, views, alerts)."""
    if not c.tested:
        return f"not tested: {c.reason}"
    if c.status == "broken":
        return f"cannot be compared any more: {c.reason}"
    parts = []
    if c.test:
        parts.append(c.test)
    if c.p_value is not None:
        p = c.p_value_adjusted if c.p_value_adjusted is not None else c.p_value
        parts.append(f"p={_fmt(p)}" + (" (adj.)" if c.p_value_adjusted is not None else ""))
    if c.distance is not None:
        parts.append(f"{_DIST_SHORT.get(c.distance_name, c.distance_name)}={_fmt(c.distance)}")
    if c.psi is not None:
        parts.append(f"PSI={_fmt(c.psi)}")
    if c.missing_drifted:
        parts.append(f"missing {c.reference_missing:.1%} -> {c.current_missing:.1%}")
    if c.infinite_drifted:
        parts.append(f"infinite {c.reference_infinite:.1%} -> {c.current_infinite:.1%}")
    if c.n_unseen:
        parts.append(f"{c.n_unseen} unseen categor{'y' if c.n_unseen == 1 else 'ies'}")
    return ", ".join(parts)


_DIST_SHORT = {"wasserstein_norm": "W/std", "jensenshannon": "JS"}


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if x == 0:
        return "0"
    if abs(x) < 1e-3 or abs(x) >= 1e4:
        return f"{x:.2e}"
    return f"{x:.3g}"


def _json_clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


# --------------------------------------------------------------------------- public entry


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
        raise ValueError(f"sample must be a positive number of rows (or (rows, seed)), got {sample!r}")
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
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "") if names else "none"


# --------------------------------------------------------------------------- per column


def _kind(series: pd.Series) -> str:
    # The data layer's kinds, plus "timedelta", which drift compares as numbers.
    if pd.api.types.is_timedelta64_dtype(series.dtype):
        return "timedelta"
    from ..data.schema import column_kind

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
            "missing_drifted": abs(cur_missing - ref_missing) >= MISSING_SHARE_THRESHOLD}
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
    small = n_ref <= SMALL_SAMPLE_MAX
    if method == "auto":
        if family == "numeric":
            return ("ks" if small else "wasserstein"), ()
        return ("chisquare" if small else "jensenshannon"), ()
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


def _sorted_finite(vals: np.ndarray) -> tuple[np.ndarray, int]:
    """Sorted finite values (a view into one sorted copy) and the count of +-inf dropped."""
    s = np.sort(vals)  # NaN sort to the end
    n_valid = len(s) - int(np.count_nonzero(np.isnan(s[-1:]))) if len(s) else 0
    if n_valid and np.isnan(s[n_valid - 1]):
        n_valid = int(np.searchsorted(s, np.nan, side="left"))
    lo = int(np.searchsorted(s[:n_valid], -np.inf, side="right"))
    hi = int(np.searchsorted(s[:n_valid], np.inf, side="left"))
    return s[lo:hi], n_valid - (hi - lo)


def _numeric_column(name: str, kind: str, ref: pd.Series, cur: pd.Series, method: str,
                    base: dict[str, Any]) -> dict[str, Any]:
    a, inf_a = _sorted_finite(_numeric_values(ref, kind))
    b, inf_b = _sorted_finite(_numeric_values(cur, kind))
    notes: list[str] = []
    if inf_a or inf_b:
        notes.append(f"infinite values left out of the tests: {inf_a} in reference, {inf_b} in current")
    # +-inf are values no test can place: like missing values, a change of their share is drift.
    ref_inf, cur_inf = inf_a / len(ref), inf_b / len(cur)
    base = {**base, "reference_infinite": ref_inf, "current_infinite": cur_inf,
            "infinite_drifted": abs(cur_inf - ref_inf) >= MISSING_SHARE_THRESHOLD}
    if len(a) == 0 and len(b) == 0:
        return _not_tested(name, kind, "no finite values in either frame", **base)
    if len(a) == 0 or len(b) == 0:
        side = "reference" if len(a) == 0 else "current"
        return _broken(name, kind, f"no finite values in the {side} frame "
                       f"({ref_inf if side == 'reference' else cur_inf:.0%} infinite)", **base)

    if method == "auto" and kind == "numeric":
        n_unique = 1 + int(np.count_nonzero(a[1:] != a[:-1]))
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
    ks_stat, ks_p, wass = _ks_wasserstein(a, b)
    std = float(np.std(a))
    if std > 0:
        wnorm = wass / std
    else:
        # constant reference: any spread in current is a shift; use the pooled spread
        pooled = float(np.std(np.concatenate([a, b])))
        wnorm = wass / pooled if pooled > 0 else 0.0
        notes.append("the reference is constant: Wasserstein normalised by the pooled std")
    psi = _psi_numeric(a, b)
    statistic = {"ks": ks_stat, "wasserstein": wnorm, "psi": psi}[test]
    return {
        "column": name, "kind": kind, "status": "tested", "test": test,
        "statistic": float(statistic), "p_value": float(ks_p), "distance": float(wnorm),
        "distance_name": "wasserstein_norm", "psi": float(psi),
        "reference_count": len(a), "current_count": len(b),
        "histogram": _numeric_histogram(a, b, kind), "notes": tuple(notes), **base,
    }


def _ks_wasserstein(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """KS statistic and p-value (as ``ks_2samp`` "auto") and Wasserstein-1, from sorted a, b.

    The two sorted arrays are merged in O(n) (a stable argsort of their concatenation is a
    single Timsort merge). The running count of reference values along the merged order then
    gives both empirical CDFs at every point: exactly the values scipy computes with two binary
    searches per point, at a fraction of the cost.
    """
    n1, n2 = len(a), len(b)
    if max(n1, n2) <= _SCIPY_EXACT_KS_MAX_N:
        # scipy's exact p-value path (also rounds the statistic to the lattice): call it as is.
        res = stats.ks_2samp(a, b)
        ks_stat, ks_p = float(res.statistic), float(res.pvalue)
        return ks_stat, ks_p, float(stats.wasserstein_distance(a, b))
    n = n1 + n2
    both = np.concatenate([a, b])
    # Timsort finds the two sorted runs and merges them in O(n); stable, so on ties the
    # reference value comes first, as scipy's side="right" counting expects.
    order = np.argsort(both, kind="stable")
    merged = both[order]
    del both
    count_a = np.cumsum(order < n1, dtype=np.int64)
    del order
    count_b = np.arange(1, n + 1, dtype=np.int64)
    count_b -= count_a
    # the same IEEE operations as scipy (count / n1 - count / n2): identical values
    diff = np.divide(count_a, n1)
    diff -= np.divide(count_b, n2)
    del count_a, count_b
    steps = np.diff(merged)
    del merged
    # KS: the CDFs only count at the end of each run of equal values (scipy's side="right"),
    # i.e. where the next merged value differs, and at the last point.
    ends = steps != 0
    max_s = max(float(np.max(diff[:-1], where=ends, initial=-np.inf)), float(diff[-1]))
    min_s = min(float(np.min(diff[:-1], where=ends, initial=np.inf)), float(diff[-1]))
    min_s = float(np.clip(-min_s, 0, 1))
    d = min_s if min_s > max_s else max_s
    m, k = sorted([float(n1), float(n2)], reverse=True)
    en = m * k / (m + k)
    p = float(np.clip(stats.distributions.kstwo.sf(d, np.round(en)), 0, 1))
    # Wasserstein-1 = integral of |F_a - F_b| dx; inside runs of equal values the step is 0.
    np.abs(diff, out=diff)
    wass = float(np.vecdot(diff[:-1], steps))
    return d, p, wass


def _quantile_sorted(s: np.ndarray, q: np.ndarray | float) -> np.ndarray:
    """Lower quantile of sorted values by position (no re-sort)."""
    idx = np.floor(np.asarray(q) * (len(s) - 1)).astype(np.int64)
    return s[idx]


def _counts_in_bins(s: np.ndarray, inner_edges: np.ndarray, side: str) -> np.ndarray:
    pos = np.searchsorted(s, inner_edges, side=side)
    return np.diff(np.concatenate([[0], pos, [len(s)]]))


def _psi_numeric(a: np.ndarray, b: np.ndarray) -> float:
    # Bins at the reference deciles: each holds ~10 % of the reference by construction.
    edges = np.unique(_quantile_sorted(a, np.arange(1, PSI_DECILES) / PSI_DECILES))
    return _psi(_counts_in_bins(a, edges, "right"), _counts_in_bins(b, edges, "right"))


def _psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    pr = np.maximum(ref_counts / ref_counts.sum(), PSI_EPS)
    pc = np.maximum(cur_counts / cur_counts.sum(), PSI_EPS)
    return float(np.sum((pc - pr) * np.log(pc / pr)))


def _numeric_histogram(a: np.ndarray, b: np.ndarray, kind: str) -> Histogram:
    # Shared edges over the central 99 % of both samples so one outlier does not squash
    # the picture; the tails land in the end bins.
    lo = float(min(_quantile_sorted(a, 0.005), _quantile_sorted(b, 0.005)))
    hi = float(max(_quantile_sorted(a, 0.995), _quantile_sorted(b, 0.995)))
    if not hi > lo:
        lo, hi = float(min(a[0], b[0])), float(max(a[-1], b[-1]))
    if not hi > lo:
        lo, hi = lo - 0.5, lo + 0.5
    edges = np.linspace(lo, hi, N_BINS + 1)
    return Histogram(
        kind="datetime" if kind == "datetime" else "numeric",
        reference=tuple(int(x) for x in _counts_in_bins(a, edges[1:-1], "left")),
        current=tuple(int(x) for x in _counts_in_bins(b, edges[1:-1], "left")),
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
    r = aligned["r"].to_numpy(dtype=np.int64)
    c = aligned["c"].to_numpy(dtype=np.int64)
    labels = [_label(x) for x in aligned.index]
    n_ref, n_cur = int(r.sum()), int(c.sum())
    test, notes = _resolve_method(method, "categorical", n_ref)
    chi = stats.chi2_contingency(np.vstack([r, c]))
    chi_p = float(chi.pvalue)
    js = float(jensenshannon(r, c))
    psi = _psi(r, c)
    statistic = {"chisquare": float(chi.statistic), "jensenshannon": js, "psi": psi}[test]
    unseen_idx = np.flatnonzero((r == 0) & (c > 0))
    unseen_idx = unseen_idx[np.argsort(-c[unseen_idx], kind="stable")]
    return {
        "column": name, "kind": kind, "status": "tested", "test": test,
        "statistic": statistic, "p_value": chi_p, "distance": js,
        "distance_name": "jensenshannon", "psi": psi,
        "reference_count": n_ref, "current_count": n_cur,
        "unseen_categories": tuple(labels[i] for i in unseen_idx[:MAX_UNSEEN_LISTED]),
        "n_unseen": len(unseen_idx),
        "histogram": _categorical_histogram(labels, r, c), "notes": tuple(notes), **base,
    }


def _label(x: Any) -> str:
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))  # discrete numeric values: "1", not "1.0"
    return str(x)


def _categorical_histogram(labels: Sequence[str], r: np.ndarray, c: np.ndarray) -> Histogram:
    order = np.argsort(-(r / max(r.sum(), 1) + c / max(c.sum(), 1)), kind="stable")
    keep = order[:MAX_CATEGORIES_SHOWN]
    rest = order[MAX_CATEGORIES_SHOWN:]
    names = [labels[i] for i in keep]
    ref_counts = [int(r[i]) for i in keep]
    cur_counts = [int(c[i]) for i in keep]
    if len(rest):
        names.append(f"(other {len(rest)})")
        ref_counts.append(int(r[rest].sum()))
        cur_counts.append(int(c[rest].sum()))
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


def _adjust(p: np.ndarray, correction: str | None) -> np.ndarray:
    if correction == "bonferroni":
        return np.minimum(p * len(p), 1.0)
    if correction == "bh":
        return stats.false_discovery_control(p, method="bh")
    return p


def _finalize(raw: list[dict[str, Any]], threshold: Any, correction: str | None,
              importance: Mapping[str, float] | None) -> tuple[ColumnDrift, ...]:
    # Multiple-testing family: the columns whose verdict comes from a p-value.
    family = [i for i, r in enumerate(raw) if r.get("status") == "tested" and r["test"] in HYPOTHESIS_TESTS]
    adjusted: dict[int, float] = {}
    if correction and family:
        adj = _adjust(np.array([raw[i]["p_value"] for i in family], dtype=float), correction)
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
        missing_score = (abs(r.get("current_missing", 0.0) - r.get("reference_missing", 0.0))
                         / MISSING_SHARE_THRESHOLD)
        infinite_score = (abs(r.get("current_infinite", 0.0) - r.get("reference_infinite", 0.0))
                          / MISSING_SHARE_THRESHOLD)
        if status == "tested":
            test = r["test"]
            thr = _threshold_for(r["column"], test, threshold)
            if test in HYPOTHESIS_TESTS:
                if i in adjusted:
                    r["p_value_adjusted"] = adjusted[i]
                dist_drift = adjusted.get(i, r["p_value"]) < thr
            else:
                dist_drift = r["statistic"] >= thr
            r["threshold"] = thr
            r["drifted"] = bool(dist_drift or r.get("missing_drifted", False)
                                or r.get("infinite_drifted", False))
            effect = (r["distance"] or 0.0) / DEFAULT_THRESHOLDS[
                "wasserstein" if r["distance_name"] == "wasserstein_norm" else "jensenshannon"]
            r["drift_score"] = float(max(effect, missing_score, infinite_score))
        elif status == "missing only":
            r["threshold"] = MISSING_SHARE_THRESHOLD
            r["drifted"] = bool(r.get("missing_drifted", False))
            r["drift_score"] = float(missing_score)
        elif status == "broken":
            r["drifted"] = True
            r["drift_score"] = float(max(1.0, missing_score, infinite_score))
        else:
            r["drifted"] = False
            r["drift_score"] = 0.0
        if importance is not None:
            w = weights.get(r["column"])
            r["importance"] = None if w is None else float(importance[_orig_key(importance, r["column"])])
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


def alert_payload(report: DriftReport) -> dict[str, Any]:
    """The JSON an alert sends: verdict plus the drifted columns' numbers."""
    return {
        "event": "drift",
        "dataset_drift": report.dataset_drift,
        "share_drifted": report.share_drifted,
        "n_drifted": report.n_drifted,
        "n_columns": report.n_columns,
        "drifted_columns": report.drifted_columns,
        "broken_columns": report.broken,
        "columns": [
            _json_clean({
                "column": c.column, "kind": c.kind, "status": c.status, "reason": c.reason,
                "test": c.test, "statistic": c.statistic,
                "p_value": c.p_value, "p_value_adjusted": c.p_value_adjusted,
                "distance": c.distance, "psi": c.psi, "threshold": c.threshold,
                "reference_missing": c.reference_missing, "current_missing": c.current_missing,
                "reference_infinite": c.reference_infinite,
                "current_infinite": c.current_infinite,
                "unseen_categories": list(c.unseen_categories),
            })
            for c in report.columns if c.drifted
        ],
    }

