"""The drift statistics: two-sample tests, distances, PSI, histogram bins, p-value corrections,
and the verdict rule that turns them into "drifted" and a drift score.

SELF-CONTAINED on purpose: this module imports only NumPy, SciPy and the standard library
(no pandas, nothing from ``mlops_jupyter``), because the deploy layer copies this one file
into served model packages, which run live drift checks without this project installed.
Keep it that way: a new import here breaks every exported package at start-up.

Everything works on NumPy arrays: numeric samples are float64 arrays, sorted and finite
(:func:`sorted_finite` makes them); categorical samples are aligned count arrays, one entry
per category in both frames. Results equal SciPy's ``ks_2samp``, ``wasserstein_distance``,
``chi2_contingency`` and ``jensenshannon`` on the same data.

Speed: one sort per numeric sample serves KS, Wasserstein, PSI and the histogram. The
reference and current sorted arrays are merged in O(n) instead of re-sorted or binary searched
per point as SciPy does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

__all__ = [
    "DEFAULT_THRESHOLDS",
    "HYPOTHESIS_TESTS",
    "CORRECTIONS",
    "SMALL_SAMPLE_MAX",
    "SHARE_CHANGE_THRESHOLD",
    "Verdict",
    "auto_test",
    "share_drifted",
    "column_verdict",
    "PSI_DECILES",
    "PSI_EPS",
    "NumericStatistics",
    "CategoricalStatistics",
    "sorted_finite",
    "n_distinct_sorted",
    "ks_wasserstein",
    "numeric_statistics",
    "categorical_statistics",
    "psi",
    "psi_numeric",
    "histogram_edges",
    "counts_in_bins",
    "top_categories",
    "unseen_order",
    "adjust_p_values",
]

# The decision thresholds of each test (Evidently's defaults): p < 0.05 for the hypothesis
# tests; normalised Wasserstein / Jensen-Shannon / PSI >= 0.1 for the distances.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "ks": 0.05,
    "chisquare": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
}
HYPOTHESIS_TESTS = frozenset({"ks", "chisquare"})  # drift when the p-value is below
# "auto" decides with a hypothesis test while the reference has at most this many values, with
# the effect size above: on large samples p-values flag shifts too small to matter.
SMALL_SAMPLE_MAX = 1000
# An absolute change of the share of missing (or infinite) values of this size is drift.
SHARE_CHANGE_THRESHOLD = 0.05
CORRECTIONS = (None, "bonferroni", "bh")
PSI_DECILES = 10
PSI_EPS = 1e-4  # share floor for empty PSI bins, as Evidently does
_SCIPY_EXACT_KS_MAX_N = 10000  # ks_2samp "auto" is exact up to this size, asymptotic above


class NumericStatistics(NamedTuple):
    """KS, normalised Wasserstein and PSI of two sorted finite samples."""

    ks_statistic: float
    ks_p_value: float
    wasserstein_norm: float  # Wasserstein-1 / std of the reference (pooled if it is constant)
    psi: float
    pooled_std: bool  # the reference is constant: normalised by the pooled std


class CategoricalStatistics(NamedTuple):
    """Chi-square test of homogeneity, Jensen-Shannon distance and PSI of two count arrays."""

    chi2_statistic: float
    chi2_p_value: float
    jensenshannon: float
    psi: float


# --------------------------------------------------------------------------- numeric


def sorted_finite(vals: np.ndarray) -> tuple[np.ndarray, int]:
    """Sorted finite values (a view into one sorted copy) and the count of +-inf dropped.

    NaN (missing) values are dropped and not counted.
    """
    s = np.sort(vals)  # NaN sort to the end
    n_valid = len(s) - int(np.count_nonzero(np.isnan(s[-1:]))) if len(s) else 0
    if n_valid and np.isnan(s[n_valid - 1]):
        n_valid = int(np.searchsorted(s, np.nan, side="left"))
    lo = int(np.searchsorted(s[:n_valid], -np.inf, side="right"))
    hi = int(np.searchsorted(s[:n_valid], np.inf, side="left"))
    return s[lo:hi], n_valid - (hi - lo)


def n_distinct_sorted(s: np.ndarray) -> int:
    """Number of distinct values of a sorted, non-empty array."""
    return 1 + int(np.count_nonzero(s[1:] != s[:-1]))


def ks_wasserstein(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
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


def numeric_statistics(a: np.ndarray, b: np.ndarray) -> NumericStatistics:
    """Every numeric statistic of two sorted, finite, non-empty samples (reference ``a``)."""
    ks_stat, ks_p, wass = ks_wasserstein(a, b)
    std = float(np.std(a))
    pooled = False
    if std > 0:
        wnorm = wass / std
    else:
        # constant reference: any spread in current is a shift; use the pooled spread
        pooled = True
        pooled_std = float(np.std(np.concatenate([a, b])))
        wnorm = wass / pooled_std if pooled_std > 0 else 0.0
    return NumericStatistics(ks_stat, ks_p, float(wnorm), psi_numeric(a, b), pooled)


def _quantile_sorted(s: np.ndarray, q: np.ndarray | float) -> np.ndarray:
    """Lower quantile of sorted values by position (no re-sort)."""
    idx = np.floor(np.asarray(q) * (len(s) - 1)).astype(np.int64)
    return s[idx]


def counts_in_bins(s: np.ndarray, inner_edges: np.ndarray, side: str) -> np.ndarray:
    """Counts of sorted ``s`` in the bins between ``inner_edges`` (open-ended first and last).

    ``side="right"``: a value equal to an edge counts in the bin left of it; "left": right.
    """
    pos = np.searchsorted(s, inner_edges, side=side)
    return np.diff(np.concatenate([[0], pos, [len(s)]]))


def psi_numeric(a: np.ndarray, b: np.ndarray) -> float:
    """PSI of sorted samples on the reference deciles."""
    # Bins at the reference deciles: each holds ~10 % of the reference by construction.
    edges = np.unique(_quantile_sorted(a, np.arange(1, PSI_DECILES) / PSI_DECILES))
    return psi(counts_in_bins(a, edges, "right"), counts_in_bins(b, edges, "right"))


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Population stability index of two count arrays over the same bins."""
    pr = np.maximum(ref_counts / ref_counts.sum(), PSI_EPS)
    pc = np.maximum(cur_counts / cur_counts.sum(), PSI_EPS)
    return float(np.sum((pc - pr) * np.log(pc / pr)))


def histogram_edges(a: np.ndarray, b: np.ndarray, n_bins: int) -> np.ndarray:
    """``n_bins + 1`` shared edges over the central 99 % of both sorted samples.

    One outlier must not squash the picture: the outer 0.5 % tails are counted in the end bins
    (use :func:`counts_in_bins` with ``edges[1:-1]``).
    """
    lo = float(min(_quantile_sorted(a, 0.005), _quantile_sorted(b, 0.005)))
    hi = float(max(_quantile_sorted(a, 0.995), _quantile_sorted(b, 0.995)))
    if not hi > lo:
        lo, hi = float(min(a[0], b[0])), float(max(a[-1], b[-1]))
    if not hi > lo:
        lo, hi = lo - 0.5, lo + 0.5
    return np.linspace(lo, hi, n_bins + 1)


# --------------------------------------------------------------------------- categorical


def categorical_statistics(r: np.ndarray, c: np.ndarray) -> CategoricalStatistics:
    """Chi-square, Jensen-Shannon and PSI of aligned reference/current category counts."""
    chi = stats.chi2_contingency(np.vstack([r, c]))
    return CategoricalStatistics(float(chi.statistic), float(chi.pvalue),
                                 float(jensenshannon(r, c)), psi(r, c))


def top_categories(labels: Sequence[str], r: np.ndarray, c: np.ndarray,
                   max_shown: int) -> tuple[list[str], list[int], list[int]]:
    """The ``max_shown`` most frequent categories (by mean share), the rest summed as
    "(other N)": (labels, reference counts, current counts)."""
    order = np.argsort(-(r / max(r.sum(), 1) + c / max(c.sum(), 1)), kind="stable")
    keep = order[:max_shown]
    rest = order[max_shown:]
    names = [labels[i] for i in keep]
    ref_counts = [int(r[i]) for i in keep]
    cur_counts = [int(c[i]) for i in keep]
    if len(rest):
        names.append(f"(other {len(rest)})")
        ref_counts.append(int(r[rest].sum()))
        cur_counts.append(int(c[rest].sum()))
    return names, ref_counts, cur_counts


def unseen_order(r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Indices of the categories absent from the reference, most frequent in current first."""
    idx = np.flatnonzero((r == 0) & (c > 0))
    return idx[np.argsort(-c[idx], kind="stable")]


# --------------------------------------------------------------------------- corrections


def adjust_p_values(p: np.ndarray, correction: str | None) -> np.ndarray:
    """p-values adjusted for multiple testing: "bonferroni", "bh" (Benjamini-Hochberg) or None."""
    if correction == "bonferroni":
        return np.minimum(p * len(p), 1.0)
    if correction == "bh":
        return stats.false_discovery_control(p, method="bh")
    if correction is None:
        return p
    raise ValueError(f"correction must be None, 'bonferroni' or 'bh', not {correction!r}")


# --------------------------------------------------------------------------- verdicts
# The one copy of the rule, used by mj.drift (compute.py) and the served packages' live
# monitor (drift_monitor.py), so the two always give the same answer on the same data.


class Verdict(NamedTuple):
    drifted: bool
    drift_score: float  # comparable across columns: >= 1 is at or past a threshold
    threshold: float | None  # the one the deciding value was compared with


def auto_test(family: str, n_reference: int) -> str:
    """The test "auto" decides with: KS / chi-square on small references, the normalised
    Wasserstein / Jensen-Shannon distance above ``SMALL_SAMPLE_MAX`` values.

    family: "numeric" (numbers, dates, durations) or "categorical" (everything counted).
    """
    small = n_reference <= SMALL_SAMPLE_MAX
    if family == "numeric":
        return "ks" if small else "wasserstein"
    return "chisquare" if small else "jensenshannon"


def share_drifted(reference_share: float, current_share: float) -> bool:
    """Whether a share (of missing or of infinite values) changed enough to be drift."""
    return abs(current_share - reference_share) >= SHARE_CHANGE_THRESHOLD


def column_verdict(status: str, test: str | None = None, *, statistic: float | None = None,
                   p_value: float | None = None, distance: float | None = None,
                   distance_name: str | None = None, threshold: float | None = None,
                   missing: tuple[float, float] = (0.0, 0.0),
                   infinite: tuple[float, float] = (0.0, 0.0)) -> Verdict:
    """The verdict on one column.

    status: "tested" (decided by ``test``), "missing only" (all values missing on one side:
        decided by the missing share), "broken" (the current values cannot be compared:
        drifted) or anything else (not tested: not drifted).
    statistic, p_value: of ``test``; a hypothesis test drifts when ``p_value`` (adjusted, if
        the caller corrects for multiple tests) is below the threshold, a distance when
        ``statistic`` is at or above it.
    distance, distance_name: the effect size behind the score ("wasserstein_norm" or
        "jensenshannon"), reported whichever test decides.
    threshold: default ``DEFAULT_THRESHOLDS[test]``.
    missing, infinite: (reference share, current share); a change of
        ``SHARE_CHANGE_THRESHOLD`` or more in either is drift whatever the test says.

    The score is the largest of the effect size over its default threshold and each share
    change over ``SHARE_CHANGE_THRESHOLD``.
    """
    missing_change = abs(missing[1] - missing[0])
    infinite_change = abs(infinite[1] - infinite[0])
    shares = share_drifted(*missing) or share_drifted(*infinite)
    share_score = max(missing_change, infinite_change) / SHARE_CHANGE_THRESHOLD
    if status == "tested":
        if test is None:
            raise ValueError("a tested column needs the test that decides it")
        if threshold is None:
            threshold = DEFAULT_THRESHOLDS[test]
        if test in HYPOTHESIS_TESTS:
            distribution = p_value is not None and p_value < threshold
        else:
            distribution = statistic is not None and statistic >= threshold
        effect_test = "wasserstein" if distance_name == "wasserstein_norm" else "jensenshannon"
        effect = (distance or 0.0) / DEFAULT_THRESHOLDS[effect_test]
        return Verdict(bool(distribution or shares), float(max(effect, share_score)), threshold)
    if status == "missing only":
        return Verdict(share_drifted(*missing), float(missing_change / SHARE_CHANGE_THRESHOLD),
                       SHARE_CHANGE_THRESHOLD)
    if status == "broken":
        return Verdict(True, float(max(1.0, share_score)), None)
    return Verdict(False, 0.0, None)
