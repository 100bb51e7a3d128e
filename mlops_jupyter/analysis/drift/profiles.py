"""Mergeable drift profiles: drift over data that never sits in one process.

Pure: pandas batches in, profiles out; no engine is imported here (``data/partitions.py`` runs
:func:`profile_batch` on every partition where it lives and :func:`merge` on the results).

A profile holds per column, for any batch of rows:

- rows, missing and (numeric) non-finite counts;
- numeric (numbers, datetimes, durations): a KLL quantile sketch (Apache DataSketches, k =
  ``SKETCH_K``) of the finite values, their count, mean and sum of squared deviations (merged
  with Chan's formula), the exact value counts while there are at most ``TRACK_DISTINCT_MAX``
  distinct values, and the counts on the reference's PSI bins once those are known;
- categorical: the category counts.

Counts add, sketches merge, so ``merge`` is associative and the order of partitions does not
matter. :func:`compute_drift_profiles` then runs ``mj.drift``'s own code on the merged profiles:

- chi-square, Jensen-Shannon and PSI are computed from exact counts, so they EQUAL the
  in-memory answer on the same bins (categories; discrete numeric values; the reference's
  decile bins, exact when the reference profile was made from a frame in memory, the sketch's
  deciles when it was made from partitions);
- KS and Wasserstein come from the two sketches' CDFs. With eps = the sketch's double-sided
  normalised rank error (``kll_doubles_sketch.get_normalized_rank_error(k, True)``, 99 %
  confidence; 0 while a sketch has kept every value):
  ``|KS - KS_exact| <= eps_ref + eps_cur`` and
  ``|W - W_exact| <= eps_ref * range_ref + eps_cur * range_cur`` (range = max - min of the
  finite values; divide by the reference std for the normalised Wasserstein). While both
  sketches still hold every value (up to about ``SKETCH_K`` values), the result is exact.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from datasketches import kll_doubles_sketch

from . import compute as _c
from . import statistics as st

__all__ = ["SKETCH_K", "PROFILE_FORMAT", "ColumnProfile", "Profile", "profile_batch",
           "profile_frame", "merge", "with_edges", "bin_counts_batch", "merge_bins",
           "compute_drift_profiles", "sketch_values", "ks_bound", "wasserstein_bound", "encode", "decode"]

SKETCH_K = 4000  # rank error ~0.1 % (double-sided, 99 %); ~100 kB per numeric column
PROFILE_FORMAT = 1
TRACK_DISTINCT_MAX = 1000  # exact value counts of numeric columns kept up to this many values
_NUMERIC = frozenset({"numeric", "datetime", "timedelta"})


@dataclass
class ColumnProfile:
    kind: str | None = None  # None: only missing values seen so far
    rows: int = 0
    missing: int = 0
    infinite: int = 0
    count: int = 0  # finite values
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations from the mean
    sketch: Any = None  # kll_doubles_sketch of the finite values
    values: dict | None = field(default_factory=dict)  # exact value counts, None: too many
    bins: np.ndarray | None = None  # counts on the reference's PSI bins


@dataclass
class Profile:
    rows: int = 0
    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    edges: dict[str, list[float]] = field(default_factory=dict)  # PSI inner edges per column
    exact_edges: bool = False  # edges are the exact reference deciles (in-memory reference)

    def __getstate__(self) -> dict:  # pickled by Dask: the sketches as bytes
        return to_dict(self)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(from_dict(state).__dict__)


# --------------------------------------------------------------------------- building


def _kind(series: pd.Series, forced: bool) -> str | None:
    if series.isna().all():
        return None
    if forced:
        return "categorical"
    kind = _c._kind(series)
    return kind


def _finite(series: pd.Series, kind: str) -> tuple[np.ndarray, int, int]:
    vals = _c._numeric_values(series, kind)
    n_missing = int(np.count_nonzero(np.isnan(vals)))
    fin = vals[np.isfinite(vals)]
    return fin, len(vals) - n_missing - len(fin), n_missing


def _value_counts_numeric(fin: np.ndarray) -> dict | None:
    # Continuous columns leave at once: the first values already have too many distinct ones.
    if len(pd.unique(fin[:20_000])) > TRACK_DISTINCT_MAX:
        return None
    labels, counts = np.unique(fin, return_counts=True)
    if len(labels) > TRACK_DISTINCT_MAX:
        return None
    return {float(v): int(n) for v, n in zip(labels, counts, strict=True)}


def _numeric_column(series: pd.Series, kind: str, edges: list[float] | None) -> ColumnProfile:
    fin, n_inf, n_missing = _finite(series, kind)
    sk = kll_doubles_sketch(SKETCH_K)
    if len(fin):
        sk.update(fin)
    mean = float(fin.mean()) if len(fin) else 0.0
    m2 = float(np.sum((fin - mean) ** 2)) if len(fin) else 0.0
    bins = None
    if edges is not None:
        bins = np.bincount(np.searchsorted(np.asarray(edges), fin, side="left"),
                           minlength=len(edges) + 1).astype(np.int64)
    return ColumnProfile(kind=kind, rows=len(series), missing=n_missing, infinite=n_inf,
                         count=len(fin), mean=mean, m2=m2, sketch=sk,
                         values=_value_counts_numeric(fin), bins=bins)


def _categorical_column(series: pd.Series, kind: str) -> ColumnProfile:
    try:
        counts = _c._value_counts(series)
        values: dict | None = {k: int(v) for k, v in counts.items()}
    except TypeError:  # e.g. lists: not countable; the drift says so
        kind, values = "other", None
    return ColumnProfile(kind=kind, rows=len(series), missing=int(series.isna().sum()),
                         count=int(series.notna().sum()), values=values)


def profile_batch(df: pd.DataFrame, categorical: tuple[str, ...] = (),
                  edges: dict[str, list[float]] | None = None) -> Profile:
    """The profile of one batch of rows (a partition, a record batch, a whole frame)."""
    cols: dict[str, ColumnProfile] = {}
    for name in df.columns:
        series = df[name]
        key = str(name)
        kind = _kind(series, key in categorical)
        if kind is None:  # only missing values: counts only, the kind comes from elsewhere
            cols[key] = ColumnProfile(rows=len(series), missing=len(series), values={},
                                      bins=None if edges is None or key not in edges
                                      else np.zeros(len(edges[key]) + 1, np.int64))
            continue
        if kind in _NUMERIC and not pd.api.types.is_complex_dtype(series.dtype):
            cols[key] = _numeric_column(series, kind, (edges or {}).get(key))
        else:
            cols[key] = _categorical_column(series, kind)
    return Profile(rows=len(df), columns=cols, edges=dict(edges or {}))


def bin_counts_batch(df: pd.DataFrame, edges: dict[str, list[float]],
                     kinds: dict[str, str]) -> dict[str, np.ndarray]:
    """Counts of one batch on the PSI bins (the second pass over a partitioned reference)."""
    out = {}
    for name, e in edges.items():
        if name not in df.columns:
            out[name] = np.zeros(len(e) + 1, np.int64)
            continue
        fin, _, _ = _finite(df[name], kinds[name])
        out[name] = np.bincount(np.searchsorted(np.asarray(e), fin, side="left"),
                                minlength=len(e) + 1).astype(np.int64)
    return out


def merge_bins(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: a[k] + b[k] for k in a}


def _edges_from(sorted_fin: np.ndarray | None, sk: Any) -> list[float]:
    q = np.arange(1, st.PSI_DECILES) / st.PSI_DECILES
    if sorted_fin is not None:
        return np.unique(st._quantile_sorted(sorted_fin, q)).tolist()
    return np.unique(np.asarray(sk.get_quantiles(q.tolist()), dtype=np.float64)).tolist()


def with_edges(profile: Profile, sorted_values: dict[str, np.ndarray] | None = None) -> Profile:
    """The reference's PSI bins (its deciles) for every numeric column: exact from
    ``sorted_values`` when given, else from the sketch (then fill the bin counts with a second
    pass: :func:`bin_counts_batch`)."""
    edges = {}
    for name, col in profile.columns.items():
        if col.kind in _NUMERIC and col.count:
            exact = None if sorted_values is None else sorted_values.get(name)
            if exact is None and not col.sketch.is_estimation_mode():
                exact = sketch_values(col.sketch)
            edges[name] = _edges_from(exact, col.sketch)
    profile.edges = edges
    return profile


def profile_frame(df: pd.DataFrame, categorical: tuple[str, ...] = ()) -> Profile:
    """The reference profile of a frame in memory, with its exact decile bins and counts:
    the profile a training snapshot stores once."""
    prof = profile_batch(df, categorical)
    sorted_values = {}
    for name, col in prof.columns.items():
        if col.kind in _NUMERIC and col.count:
            fin, _, _ = _finite(df[name] if name in df.columns else df[_orig(df, name)], col.kind)
            sorted_values[name] = np.sort(fin)
    with_edges(prof, sorted_values)
    for name, e in prof.edges.items():
        prof.columns[name].bins = st.counts_in_bins(sorted_values[name], np.asarray(e), "right")
    prof.exact_edges = True
    return prof


def _orig(df: pd.DataFrame, name: str) -> Any:
    return next(c for c in df.columns if str(c) == name)


# --------------------------------------------------------------------------- merging


def _merge_kind(a: str | None, b: str | None) -> str | None:
    if a is None or a == b:
        return b
    if b is None:
        return a
    fa, fb = _c._family(a), _c._family(b)
    if fa == fb or {a, b} <= {"categorical", "string", "boolean"}:
        return a
    return "mixed"


def _merge_col(a: ColumnProfile, b: ColumnProfile) -> ColumnProfile:
    kind = _merge_kind(a.kind, b.kind)
    n = a.count + b.count
    if n:
        delta = b.mean - a.mean
        mean = a.mean + delta * b.count / n
        m2 = a.m2 + b.m2 + delta * delta * a.count * b.count / n  # Chan et al.
    else:
        mean, m2 = 0.0, 0.0
    sk = None
    if a.sketch is not None or b.sketch is not None:
        sk = kll_doubles_sketch(SKETCH_K)
        for s in (a.sketch, b.sketch):
            if s is not None and not s.is_empty():
                sk.merge(s)
    if a.values is None or b.values is None:
        values = None
    else:
        values = dict(a.values)
        for k, v in b.values.items():
            values[k] = values.get(k, 0) + v
        if kind in _NUMERIC and len(values) > TRACK_DISTINCT_MAX:
            values = None
    if a.bins is None or b.bins is None:
        bins = a.bins if b.bins is None else b.bins
    else:
        bins = a.bins + b.bins
    return ColumnProfile(kind=kind, rows=a.rows + b.rows, missing=a.missing + b.missing,
                         infinite=a.infinite + b.infinite, count=n, mean=mean, m2=m2,
                         sketch=sk, values=values, bins=bins)


def merge(a: Profile, b: Profile) -> Profile:
    """Two profiles as one (associative; a column absent from one side had no rows there)."""
    cols = {}
    for name in dict.fromkeys([*a.columns, *b.columns]):
        ca, cb = a.columns.get(name), b.columns.get(name)
        cols[name] = ca if cb is None else cb if ca is None else _merge_col(ca, cb)
    return Profile(rows=a.rows + b.rows, columns=cols, edges=a.edges or b.edges,
                   exact_edges=a.exact_edges and b.exact_edges)


# --------------------------------------------------------------------------- serialising
# JSON with the sketches as base64: no pickle, so a stored profile is data, never code.


def _key(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return ["b", bool(v)]
    if isinstance(v, (int, np.integer)):
        return ["i", int(v)]
    if isinstance(v, (float, np.floating)):
        return ["f", repr(float(v))]
    return ["s", str(v)]


def _unkey(k: list) -> Any:
    t, v = k
    return {"b": bool, "i": int, "f": float, "s": str}[t](v)


def to_dict(p: Profile) -> dict:
    cols = {}
    for name, c in p.columns.items():
        cols[name] = {
            "kind": c.kind, "rows": c.rows, "missing": c.missing, "infinite": c.infinite,
            "count": c.count, "mean": c.mean, "m2": c.m2,
            "sketch": None if c.sketch is None else
            base64.b64encode(c.sketch.serialize()).decode("ascii"),
            "values": None if c.values is None else [[_key(k), v] for k, v in c.values.items()],
            "bins": None if c.bins is None else [int(x) for x in c.bins],
        }
    return {"format": PROFILE_FORMAT, "rows": p.rows, "columns": cols, "edges": p.edges,
            "exact_edges": p.exact_edges}


def from_dict(d: dict) -> Profile:
    if d.get("format") != PROFILE_FORMAT:
        raise ValueError(f"drift profile format {d.get('format')!r} is not {PROFILE_FORMAT}")
    cols = {}
    for name, c in d["columns"].items():
        cols[name] = ColumnProfile(
            kind=c["kind"], rows=c["rows"], missing=c["missing"], infinite=c["infinite"],
            count=c["count"], mean=c["mean"], m2=c["m2"],
            sketch=None if c["sketch"] is None else
            kll_doubles_sketch.deserialize(base64.b64decode(c["sketch"])),
            values=None if c["values"] is None else {_unkey(k): v for k, v in c["values"]},
            bins=None if c["bins"] is None else np.asarray(c["bins"], dtype=np.int64))
    return Profile(rows=d["rows"], columns=cols, edges=d["edges"],
                   exact_edges=d["exact_edges"])


def encode(p: Profile) -> bytes:
    return json.dumps(to_dict(p), separators=(",", ":")).encode()


def decode(data: bytes) -> Profile:
    return from_dict(json.loads(data))


# --------------------------------------------------------------------------- statistics


def _eps(sk: Any) -> float:
    return kll_doubles_sketch.get_normalized_rank_error(sk.k, True) if sk.is_estimation_mode() \
        else 0.0


def ks_bound(ref_sketch: Any, cur_sketch: Any) -> float:
    """The bound on |KS from the sketches - exact KS| (99 % confidence)."""
    return _eps(ref_sketch) + _eps(cur_sketch)


def wasserstein_bound(ref_sketch: Any, cur_sketch: Any) -> float:
    """The bound on |Wasserstein-1 from the sketches - exact| in the data's units."""
    return (_eps(ref_sketch) * (ref_sketch.get_max_value() - ref_sketch.get_min_value())
            + _eps(cur_sketch) * (cur_sketch.get_max_value() - cur_sketch.get_min_value()))


def _sketch_items(sk: Any) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.asarray(list(sk), dtype=np.float64).reshape(-1, 2)
    order = np.argsort(pairs[:, 0], kind="stable")
    return pairs[order, 0], pairs[order, 1]


def sketch_values(sk: Any) -> np.ndarray:
    """Every value of a sketch that kept them all (not in estimation mode), sorted."""
    items, weights = _sketch_items(sk)
    return np.repeat(items, weights.astype(np.int64))


def _sketch_ks_wasserstein(ra: Any, rb: Any) -> tuple[float, float, float]:
    """KS statistic and p-value and Wasserstein-1 of the two sketches' weighted CDFs."""
    xa, wa = _sketch_items(ra)
    xb, wb = _sketch_items(rb)
    n1, n2 = ra.n, rb.n
    both = np.concatenate([xa, xb])
    order = np.argsort(both, kind="stable")
    merged = both[order]
    wa_all = np.concatenate([wa, np.zeros_like(wb)])[order]
    wb_all = np.concatenate([np.zeros_like(wa), wb])[order]
    diff = np.cumsum(wa_all) / wa.sum() - np.cumsum(wb_all) / wb.sum()
    steps = np.diff(merged)
    ends = np.append(steps != 0, True)  # the CDFs count at the end of each run of equal values
    d = float(np.max(np.abs(diff[ends])))
    m, k = sorted([float(n1), float(n2)], reverse=True)
    from scipy import stats

    p = float(np.clip(stats.distributions.kstwo.sf(d, np.round(m * k / (m + k))), 0, 1))
    return d, p, float(np.dot(np.abs(diff[:-1]), steps))


def _histogram(ra: Any, rb: Any, kind: str) -> Any:
    lo = min(ra.get_quantile(0.005), rb.get_quantile(0.005))
    hi = max(ra.get_quantile(0.995), rb.get_quantile(0.995))
    if not hi > lo:
        lo, hi = min(ra.get_min_value(), rb.get_min_value()), max(ra.get_max_value(),
                                                                  rb.get_max_value())
    if not hi > lo:
        lo, hi = lo - 0.5, lo + 0.5
    edges = np.linspace(lo, hi, _c.N_BINS + 1)

    def counts(sk: Any) -> tuple[int, ...]:
        # "left" bins as the in-memory histogram: approximate counts from the sketch's ranks
        ranks = np.array([0.0] + [sk.get_rank(float(e), False) for e in edges[1:-1]] + [1.0])
        return tuple(int(x) for x in np.round(np.diff(ranks) * sk.n))

    return _c.Histogram(kind="datetime" if kind == "datetime" else "numeric",
                        reference=counts(ra), current=counts(rb),
                        edges=tuple(float(x) for x in edges))


def _numeric(name: str, kind: str, r: ColumnProfile, c: ColumnProfile, method: str,
             base: dict[str, Any], ref_prof: Profile) -> dict[str, Any]:
    notes: list[str] = []
    if r.infinite or c.infinite:
        notes.append(f"infinite values left out of the tests: {r.infinite} in reference, "
                     f"{c.infinite} in current")
    ref_inf, cur_inf = r.infinite / r.rows, c.infinite / c.rows
    base = {**base, "reference_infinite": ref_inf, "current_infinite": cur_inf,
            "infinite_drifted": st.share_drifted(ref_inf, cur_inf)}
    if r.count == 0 and c.count == 0:
        return _c._not_tested(name, kind, "no finite values in either frame", **base)
    if r.count == 0 or c.count == 0:
        side = "reference" if r.count == 0 else "current"
        return _c._broken(name, kind, f"no finite values in the {side} frame "
                          f"({ref_inf if side == 'reference' else cur_inf:.0%} infinite)", **base)
    if (method == "auto" and kind == "numeric" and r.values is not None
            and len(r.values) <= _c.DISCRETE_MAX_UNIQUE):
        if c.values is not None:
            ref_counts = pd.Series(r.values).sort_index()
            cur_counts = pd.Series(c.values).sort_index()
            out = _c._categorical_from_counts(name, kind, ref_counts, cur_counts, method, base)
            out["notes"] = tuple(notes) + (f"{len(r.values)} distinct values in the reference: "
                                           "compared as categories",)
            return out
        notes.append(f"{len(r.values)} distinct values in the reference but more than "
                     f"{TRACK_DISTINCT_MAX:,} in current: compared as numbers")

    test, method_notes = _c._resolve_method(method, "numeric", r.count)
    notes.extend(method_notes)
    exact = not r.sketch.is_estimation_mode() and not c.sketch.is_estimation_mode()
    if exact:  # both sketches kept every value: the in-memory statistics themselves
        a, b = sketch_values(r.sketch), sketch_values(c.sketch)
        num = st.numeric_statistics(a, b)
        ks_stat, ks_p, wnorm, pooled = (num.ks_statistic, num.ks_p_value, num.wasserstein_norm,
                                        num.pooled_std)
        histogram = _c._numeric_histogram(a, b, kind)
    else:
        ks_stat, ks_p, wass = _sketch_ks_wasserstein(r.sketch, c.sketch)
        std = math.sqrt(r.m2 / r.count)
        pooled = not std > 0
        if pooled:
            n = r.count + c.count
            delta = c.mean - r.mean
            m2 = r.m2 + c.m2 + delta * delta * r.count * c.count / n
            std = math.sqrt(m2 / n)
        wnorm = wass / std if std > 0 else 0.0
        histogram = _histogram(r.sketch, c.sketch, kind)
        std_ref = math.sqrt(r.m2 / r.count) if r.m2 > 0 else std
        notes.append(
            f"KS and Wasserstein from quantile sketches (k={SKETCH_K}): KS within "
            f"{ks_bound(r.sketch, c.sketch):.2g}, normalised Wasserstein within "
            f"{wasserstein_bound(r.sketch, c.sketch) / std_ref if std_ref else 0:.2g} "
            "of the exact values")
    if pooled:
        notes.append("the reference is constant: Wasserstein normalised by the pooled std")
    if r.bins is not None and c.bins is not None and len(r.bins) == len(c.bins):
        psi = st.psi(r.bins, c.bins)
        if not ref_prof.exact_edges:
            notes.append("PSI on the reference deciles from its quantile sketch")
    else:
        psi = math.nan
    statistic = {"ks": ks_stat, "wasserstein": wnorm, "psi": psi}[test]
    return {
        "column": name, "kind": kind, "status": "tested", "test": test,
        "statistic": float(statistic), "p_value": ks_p, "distance": float(wnorm),
        "distance_name": "wasserstein_norm", "psi": float(psi),
        "reference_count": r.count, "current_count": c.count,
        "histogram": histogram, "notes": tuple(notes), **base,
    }


def _categorical(name: str, kind: str, r: ColumnProfile, c: ColumnProfile, method: str,
                 base: dict[str, Any]) -> dict[str, Any]:
    if r.values is None:
        return _c._not_tested(name, kind, "values cannot be counted as categories", **base)
    if c.values is None:
        return _c._broken(name, kind, "the current values cannot be counted as categories",
                          **base)
    ref_counts, cur_counts = pd.Series(r.values, dtype=object), pd.Series(c.values, dtype=object)
    ref_counts = ref_counts.astype(np.int64)
    cur_counts = cur_counts.astype(np.int64)
    ref_counts.index = pd.Index(list(r.values))
    cur_counts.index = pd.Index(list(c.values))
    if ref_counts.index.dtype != cur_counts.index.dtype:
        ref_counts.index = ref_counts.index.map(str)
        cur_counts.index = cur_counts.index.map(str)
        ref_counts = ref_counts.groupby(level=0).sum()
        cur_counts = cur_counts.groupby(level=0).sum()
    return _c._categorical_from_counts(name, kind, ref_counts, cur_counts, method, base)


def _column(name: str, r: ColumnProfile, c: ColumnProfile, method: str,
            ref_prof: Profile) -> dict[str, Any]:
    ref_missing, cur_missing = r.missing / r.rows, c.missing / c.rows
    base = {"reference_missing": ref_missing, "current_missing": cur_missing,
            "missing_drifted": st.share_drifted(ref_missing, cur_missing)}
    ref_empty, cur_empty = r.kind is None, c.kind is None
    kind = (c.kind if ref_empty else r.kind) or "other"
    if ref_empty and cur_empty:
        return _c._not_tested(name, kind, "all values are missing in both frames", **base)
    if ref_empty or cur_empty:
        side = "reference" if ref_empty else "current"
        return {"column": name, "kind": kind, "status": "missing only", "test": "missing share",
                "reason": f"all values are missing in the {side} frame", **base}
    if "mixed" in (r.kind, c.kind):
        side = "reference" if r.kind == "mixed" else "current"
        return (_c._not_tested if side == "reference" else _c._broken)(
            name, "other", f"the partitions of the {side} disagree on the column's type", **base)
    if r.kind == "other":
        return _c._not_tested(name, kind, "values cannot be compared", **base)
    if _c._family(r.kind) != _c._family(c.kind):
        return _c._broken(
            name, r.kind, f"{r.kind} in reference but {c.kind} in current "
            f"(pass categorical=[{name!r}] to compare the values as labels)", **base)
    if r.kind in _NUMERIC:
        return _numeric(name, r.kind, r, c, method, base, ref_prof)
    return _categorical(name, r.kind, r, c, method, base)


def compute_drift_profiles(reference: Profile, current: Profile, *,
                           columns: list[str] | None = None, method: Any = "auto",
                           threshold: Any = None, correction: str | None = None,
                           importance: Any = None, started: float | None = None,
                           notes: tuple[str, ...] = ()) -> Any:
    """``compute_drift`` on two merged profiles: the same tests, verdicts and report."""
    import time

    started = time.perf_counter() if started is None else started
    if reference.rows == 0:
        raise ValueError("the reference has no rows: nothing to compare against")
    if current.rows == 0:
        raise ValueError("the current data has no rows: nothing to compare")
    _c._check_method(method)
    if correction not in st.CORRECTIONS:
        raise ValueError(f"correction must be None, 'bonferroni' or 'bh', not {correction!r}")
    if threshold is not None and not isinstance(threshold, dict):
        threshold = _c._check_threshold(threshold, "threshold")
    ref_names, cur_names = list(reference.columns), list(current.columns)
    if columns is None:
        wanted = [n for n in ref_names if n in current.columns]
        if not wanted:
            raise ValueError(
                "reference and current have no column in common "
                f"(reference: {_c._short_list(ref_names)}; current: {_c._short_list(cur_names)})")
    else:
        wanted = list(dict.fromkeys(str(x) for x in ([columns] if isinstance(columns, str)
                                                     else columns)))
    raw = []
    for name in wanted:
        if name not in reference.columns:
            raw.append(_c._not_tested(name, "other", "not in the reference frame"))
        elif name not in current.columns:
            raw.append(_c._not_tested(name, "other", "not in the current frame"))
        else:
            col_method = method.get(name, "auto") if isinstance(method, dict) else method
            r, c = reference.columns[name], current.columns[name]
            # a column absent from some partitions/files: those rows are missing values
            r = _pad(r, reference.rows)
            c = _pad(c, current.rows)
            raw.append(_column(name, r, c, col_method, reference))
    results = _c._finalize(raw, threshold, correction, importance)
    return _c.DriftReport(
        columns=results, n_reference=reference.rows, n_current=current.rows,
        method=dict(method) if isinstance(method, dict) else method, correction=correction,
        missing_in_reference=tuple(n for n in cur_names if n not in reference.columns)
        if columns is None else (),
        missing_in_current=tuple(n for n in ref_names if n not in current.columns)
        if columns is None else (),
        sample=None, sample_seed=None, importance_given=importance is not None,
        elapsed_seconds=time.perf_counter() - started, notes=tuple(notes))


def _pad(col: ColumnProfile, rows: int) -> ColumnProfile:
    if col.rows >= rows:
        return col
    extra = rows - col.rows
    return ColumnProfile(kind=col.kind, rows=rows, missing=col.missing + extra,
                         infinite=col.infinite, count=col.count, mean=col.mean, m2=col.m2,
                         sketch=col.sketch, values=col.values, bins=col.bins)
