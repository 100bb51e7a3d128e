"""Drift statistics: equal to scipy, sample-size aware defaults, corrections, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlops_jupyter.analysis.drift import DriftReport, compute_drift, describe_column


def frames(n_ref: int, n_cur: int, *, shift: float = 0.0, seed: int = 0, decimals: int | None = None):
    rng = np.random.default_rng(seed)
    x_ref = rng.normal(size=n_ref)
    x_cur = rng.normal(shift, 1, size=n_cur)
    if decimals is not None:  # ties, as real data has
        x_ref, x_cur = np.round(x_ref, decimals), np.round(x_cur, decimals)
    cats = np.array(["red", "green", "blue", "black"])
    ref = pd.DataFrame({"x": x_ref, "c": cats[rng.integers(0, 3, n_ref)]})
    cur = pd.DataFrame({"x": x_cur, "c": cats[rng.integers(0, 4 if shift else 3, n_cur)]})
    return ref, cur


# ---------------------------------------------------------------- equality with scipy


@pytest.mark.parametrize(
    "n_ref,n_cur,decimals",
    [(300, 450, None), (800, 800, 1), (25_000, 18_000, None), (30_000, 20_000, 2)],
)
def test_numeric_statistics_equal_scipy(n_ref, n_cur, decimals):
    # Both the small (scipy exact p-value) and the large (own O(n) merge) code paths.
    ref, cur = frames(n_ref, n_cur, shift=0.03, seed=n_ref, decimals=decimals)
    col = compute_drift(ref, cur, columns=["x"]).column("x")
    ks = stats.ks_2samp(ref["x"], cur["x"])
    assert col.test == ("ks" if n_ref <= 1000 else "wasserstein")
    assert col.p_value == pytest.approx(ks.pvalue, abs=1e-9, rel=1e-9)
    wass = stats.wasserstein_distance(ref["x"], cur["x"])
    assert col.distance == pytest.approx(wass / np.std(ref["x"]), abs=1e-9, rel=1e-9)
    if col.test == "ks":
        assert col.statistic == pytest.approx(ks.statistic, abs=1e-9)
    forced = compute_drift(ref, cur, columns=["x"], method="ks").column("x")
    assert forced.statistic == pytest.approx(ks.statistic, abs=1e-9)


def test_categorical_statistics_equal_scipy():
    ref, cur = frames(700, 900, shift=0.2, seed=3)
    col = compute_drift(ref, cur, columns=["c"]).column("c")
    labels = sorted(set(ref["c"]) | set(cur["c"]))
    r = ref["c"].value_counts().reindex(labels, fill_value=0).to_numpy()
    c = cur["c"].value_counts().reindex(labels, fill_value=0).to_numpy()
    chi = stats.chi2_contingency(np.vstack([r, c]))
    assert col.test == "chisquare"
    assert col.statistic == pytest.approx(chi.statistic, abs=1e-9, rel=1e-12)
    assert col.p_value == pytest.approx(chi.pvalue, abs=1e-9)
    assert col.distance == pytest.approx(jensenshannon(r, c), abs=1e-9)


def test_datetime_compared_as_numbers():
    ref = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=500, freq="h")})
    cur = pd.DataFrame({"t": pd.date_range("2024-01-10", periods=400, freq="h")})
    col = compute_drift(ref, cur).column("t")
    a = ref["t"].to_numpy("datetime64[ns]").view("i8").astype(float)
    b = cur["t"].to_numpy("datetime64[ns]").view("i8").astype(float)
    assert col.kind == "datetime" and col.drifted
    assert col.statistic == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-9)
    assert col.histogram.kind == "datetime"


# ---------------------------------------------------------------- defaults by sample size


def test_auto_uses_hypothesis_test_on_small_and_distance_on_large_samples():
    small = compute_drift(*frames(1000, 1000, seed=1))
    large = compute_drift(*frames(1001, 1000, seed=1))
    assert {c.column: c.test for c in small.columns} == {"x": "ks", "c": "chisquare"}
    assert {c.column: c.test for c in large.columns} == {"x": "wasserstein", "c": "jensenshannon"}
    assert small.column("x").threshold == 0.05 and large.column("x").threshold == 0.1


def test_trivial_shift_on_large_data_is_significant_but_not_drift():
    # The Evidently complaint (#50, #20): on 200k rows a 0.03-std shift has p ~ 0, yet it
    # does not matter. The effect size decides; the p-value is still shown next to it.
    ref, cur = frames(200_000, 200_000, shift=0.03, seed=2)
    col = compute_drift(ref, cur, columns=["x"]).column("x")
    assert col.p_value < 1e-6
    assert col.distance < 0.1
    assert not col.drifted
    assert compute_drift(ref, cur, columns=["x"], method="ks").column("x").drifted


def test_real_shift_is_drift_and_sorted_first():
    ref, cur = frames(5000, 5000, shift=0.5, seed=4)
    ref["y"] = np.arange(5000.0)
    cur["y"] = np.arange(5000.0)
    report = compute_drift(ref, cur)
    assert report.drifted_columns == ["x", "c"]
    assert [c.column for c in report.columns][-1] == "y"
    assert report.share_drifted == pytest.approx(2 / 3)
    assert report.dataset_drift
    frame = report.to_frame()
    for name in ("column", "kind", "test", "statistic", "p_value", "distance", "threshold", "drifted"):
        assert name in frame.columns
    assert list(frame["column"]) == ["x", "c", "y"]


def test_dataset_drift_needs_half_of_the_columns():
    ref, cur = frames(3000, 3000, shift=0.0, seed=5)
    for i in range(3):
        ref[f"same{i}"] = np.arange(3000.0)
        cur[f"same{i}"] = np.arange(3000.0)
    cur["x"] = cur["x"] + 2
    report = compute_drift(ref, cur)
    assert report.drifted_columns == ["x"]
    assert not report.dataset_drift
    assert "no dataset drift" in report.summary()


def test_low_cardinality_numeric_is_compared_as_categories():
    rng = np.random.default_rng(6)
    ref = pd.DataFrame({"k": rng.integers(0, 3, 2000)})
    cur = pd.DataFrame({"k": rng.choice(3, 2000, p=[0.6, 0.2, 0.2])})
    col = compute_drift(ref, cur).column("k")
    assert col.test == "jensenshannon" and col.drifted
    assert set(col.histogram.labels) == {"0", "1", "2"}  # labels "0", not "0.0"


# ---------------------------------------------------------------- corrections, thresholds, importance


def _many_small_columns(n_cols=20, n=200, seed=7):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({f"f{i}": rng.normal(size=n) for i in range(n_cols)})
    cur = pd.DataFrame({f"f{i}": rng.normal(size=n) for i in range(n_cols)})
    cur["f0"] += 0.35  # one real, moderate shift
    return ref, cur


def test_correction_changes_verdicts_as_expected():
    ref, cur = _many_small_columns()
    raw = compute_drift(ref, cur)
    bonf = compute_drift(ref, cur, correction="bonferroni")
    bh = compute_drift(ref, cur, correction="bh")
    p = {c.column: c.p_value for c in raw.columns}
    # Bonferroni: p * m, capped at 1
    for c in bonf.columns:
        assert c.p_value_adjusted == pytest.approx(min(1.0, p[c.column] * 20))
        assert c.p_value == p[c.column]  # the raw p-value is kept next to the adjusted one
    expected_bh = stats.false_discovery_control([p[f"f{i}"] for i in range(20)], method="bh")
    for i in range(20):
        assert bh.column(f"f{i}").p_value_adjusted == pytest.approx(expected_bh[i])
    # Uncorrected, a few null columns fall under 0.05 by chance; corrected, fewer do.
    assert set(bonf.drifted_columns) <= set(bh.drifted_columns) <= set(raw.drifted_columns)
    assert len(bonf.drifted_columns) < len(raw.drifted_columns)


def test_threshold_number_and_mapping():
    ref, cur = frames(5000, 5000, shift=0.15, seed=8)
    default = compute_drift(ref, cur, columns=["x"]).column("x")
    assert default.drifted  # W/std ~ 0.15 >= 0.1
    strict = compute_drift(ref, cur, columns=["x"], threshold=0.5).column("x")
    assert strict.threshold == 0.5 and not strict.drifted
    by_col = compute_drift(ref, cur, threshold={"x": 0.5, "jensenshannon": 0.9})
    assert by_col.column("x").threshold == 0.5
    assert by_col.column("c").threshold == 0.9
    with pytest.raises(ValueError, match="threshold"):
        compute_drift(ref, cur, threshold=-1)


def test_forced_methods_and_counterparts():
    ref, cur = frames(3000, 3000, shift=0.3, seed=9)
    psi = compute_drift(ref, cur, method="psi")
    assert {c.test for c in psi.columns} == {"psi"}
    assert all(c.threshold == 0.1 for c in psi.columns)
    ks = compute_drift(ref, cur, method="ks")
    assert ks.column("x").test == "ks" and ks.column("c").test == "chisquare"
    assert any("chisquare" in n for n in ks.column("c").notes)
    per_col = compute_drift(ref, cur, method={"x": "psi"})
    assert per_col.column("x").test == "psi" and per_col.column("c").test == "jensenshannon"
    with pytest.raises(ValueError, match="method"):
        compute_drift(ref, cur, method="t-test")


def test_importance_orders_by_drift_that_matters():
    rng = np.random.default_rng(10)
    ref = pd.DataFrame({"a": rng.normal(size=4000), "b": rng.normal(size=4000)})
    cur = pd.DataFrame({"a": rng.normal(1.0, 1, 4000), "b": rng.normal(0.4, 1, 4000)})
    plain = compute_drift(ref, cur)
    assert [c.column for c in plain.columns] == ["a", "b"]  # a shifted more
    weighted = compute_drift(ref, cur, importance={"a": 0.01, "b": 0.9})
    assert [c.column for c in weighted.columns] == ["b", "a"]  # but b matters to the model
    frame = weighted.to_frame()
    assert "weighted_drift" in frame.columns and "importance" in frame.columns
    assert frame.loc[frame.column == "b", "importance"].item() == 0.9


def test_unseen_categories_listed():
    ref = pd.DataFrame({"city": ["Paris", "Lyon", "Nice"] * 100})
    cur = pd.DataFrame({"city": ["Paris", "Lyon", "Nice"] * 80 + ["Lille"] * 50 + ["Metz"] * 10})
    col = compute_drift(ref, cur).column("city")
    assert col.unseen_categories == ("Lille", "Metz")
    assert col.n_unseen == 2 and col.drifted
    assert "Lille" in col.histogram.labels


def test_boolean_and_categorical_dtypes():
    rng = np.random.default_rng(11)
    ref = pd.DataFrame({"flag": rng.random(3000) < 0.5,
                        "cat": pd.Categorical(rng.choice(["x", "y"], 3000), categories=["x", "y", "z"])})
    cur = pd.DataFrame({"flag": rng.random(3000) < 0.8,
                        "cat": pd.Categorical(rng.choice(["x", "y"], 3000), categories=["x", "y", "z"])})
    report = compute_drift(ref, cur)
    assert report.column("flag").kind == "boolean" and report.column("flag").drifted
    assert not report.column("cat").drifted
    assert report.column("cat").unseen_categories == ()  # unused category "z" is no observation


def test_sampling_is_seeded_and_only_on_request():
    ref, cur = frames(20_000, 20_000, shift=0.1, seed=12)
    exact = compute_drift(ref, cur)
    assert exact.sample is None and exact.n_reference == 20_000
    s1 = compute_drift(ref, cur, sample=2000)
    s2 = compute_drift(ref, cur, sample=2000)
    s3 = compute_drift(ref, cur, sample=(2000, 99))
    assert s1.n_reference == 2000 and s1.sample == 2000
    assert s1.column("x").distance == s2.column("x").distance
    assert s1.column("x").distance != s3.column("x").distance
    assert s1.notes and "sample" in s1.notes[0]


# ---------------------------------------------------------------- missing values and bad input


def test_missing_share_change_is_reported_for_every_column():
    ref, cur = frames(2000, 2000, seed=13)
    cur.loc[:399, "x"] = np.nan  # 20 % missing now
    cur.loc[:9, "c"] = None  # 0.5 %: noted, not drift
    report = compute_drift(ref, cur)
    x, c = report.column("x"), report.column("c")
    assert x.reference_missing == 0 and x.current_missing == pytest.approx(0.2)
    assert x.missing_drifted and x.drifted
    assert c.current_missing == pytest.approx(0.005) and not c.missing_drifted
    assert x.current_count == 1600


def test_all_nan_columns():
    ref = pd.DataFrame({"a": np.arange(100.0), "gone": np.arange(100.0), "never": [np.nan] * 100})
    cur = pd.DataFrame({"a": np.arange(100.0), "gone": [np.nan] * 100, "never": [None] * 100})
    report = compute_drift(ref, cur)
    gone, never = report.column("gone"), report.column("never")
    assert gone.status == "missing only" and gone.drifted
    assert "all values are missing in the current frame" in gone.reason
    assert never.status == "not tested" and "both frames" in never.reason
    assert report.n_columns == 2  # "never" is not counted


def test_numeric_in_one_frame_string_in_the_other():
    ref = pd.DataFrame({"a": np.arange(50.0), "zip": np.arange(50)})
    cur = pd.DataFrame({"a": np.arange(50.0), "zip": [str(i) for i in range(50)]})
    report = compute_drift(ref, cur)
    row = report.column("zip")
    assert row.status == "broken" and row.drifted  # a finding, not a footnote
    assert "numeric in reference but string in current" in row.reason
    assert "categorical=['zip']" in row.reason
    as_labels = compute_drift(ref, cur, categorical=["zip"]).column("zip")
    assert as_labels.tested and not as_labels.drifted  # same labels on both sides


def test_mismatched_columns_are_listed():
    ref = pd.DataFrame({"a": range(10), "old": range(10)})
    cur = pd.DataFrame({"a": range(10), "new": range(10)})
    report = compute_drift(ref, cur)
    assert [c.column for c in report.columns] == ["a"]
    assert report.missing_in_current == ("old",) and report.missing_in_reference == ("new",)
    asked = compute_drift(ref, cur, columns=["a", "new"])
    assert asked.column("new").reason == "not in the reference frame"


def test_nothing_in_common_is_a_clear_error():
    with pytest.raises(ValueError, match="no column in common"):
        compute_drift(pd.DataFrame({"a": [1]}), pd.DataFrame({"b": [1]}))
    with pytest.raises(ValueError, match="none of the requested columns"):
        compute_drift(pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [1]}), columns=["zz"])


def test_empty_frames_are_a_clear_error():
    with pytest.raises(ValueError, match="reference frame has no rows"):
        compute_drift(pd.DataFrame({"a": []}), pd.DataFrame({"a": [1.0]}))
    with pytest.raises(ValueError, match="current frame has no rows"):
        compute_drift(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"a": []}))
    with pytest.raises(TypeError, match="DataFrame"):
        compute_drift([1, 2], pd.DataFrame({"a": [1.0]}))


def test_odd_columns_never_crash():
    ref = pd.DataFrame({
        "lists": [[1], [2]] * 50, "inf": [1.0, np.inf] * 50, "const": [3.0] * 100,
        "mixed": [1, "a"] * 50, "td": pd.to_timedelta(np.arange(100), unit="s"),
        "boxed": pd.Series(np.arange(100.0), dtype=object),
    })
    cur = pd.DataFrame({
        "lists": [[1], [3]] * 50, "inf": [1.0, 2.0] * 50, "const": [3.0] * 99 + [4.0],
        "mixed": [2, "a"] * 50, "td": pd.to_timedelta(np.arange(100) + 50, unit="s"),
        "boxed": pd.Series(np.arange(100.0) + 60, dtype=object),
    })
    report = compute_drift(ref, cur)
    assert report.column("lists").status == "not tested"  # lists in the reference already
    assert any("infinite" in n for n in report.column("inf").notes)
    inf = report.column("inf")  # half the reference was infinite, none of the current is
    assert inf.reference_infinite == 0.5 and inf.current_infinite == 0 and inf.infinite_drifted
    assert report.column("const").tested
    assert report.column("mixed").tested
    assert report.column("td").kind == "timedelta" and report.column("td").drifted
    assert report.column("boxed").kind == "numeric" and report.column("boxed").test == "ks"


# ---------------------------------------------------------------- serialisation


def test_to_dict_is_json_and_round_trips():
    ref, cur = frames(3000, 3000, shift=0.4, seed=14)
    ref["gone"] = 1.0
    cur["gone"] = np.nan
    report = compute_drift(ref, cur, correction="bh", importance={"x": 1.0})
    d = report.to_dict()
    text = json.dumps(d, allow_nan=False)  # no NaN / inf anywhere
    back = DriftReport.from_dict(json.loads(text))
    assert back == report
    assert back.drifted_columns == report.drifted_columns
    pd.testing.assert_frame_equal(back.to_frame(), report.to_frame())
    assert d["summary"]["n_drifted"] == report.n_drifted
    # the report shows itself, but its HTML is drawn in views/, named by string
    assert report._html_renderer.startswith("mlops_jupyter.views.")


def test_report_summary_and_repr_are_short():
    ref, cur = frames(2000, 2000, shift=0.5, seed=15)
    report = compute_drift(ref, cur)
    assert "DRIFT DETECTED" in report.summary()
    assert "drifted: x" in report.summary()
    assert len(repr(report)) < 300
    assert math.isclose(report.share_drifted, report.n_drifted / report.n_columns)


# ---------------------------------------------------------------- columns that cannot be compared


def _broken_frames(n: int = 400):
    rng = np.random.default_rng(21)
    ref = pd.DataFrame({f"ok{i}": rng.normal(size=n) for i in range(6)})
    ref["price"] = rng.normal(10, 1, n)
    ref["qty"] = rng.integers(1, 50, n).astype(float)
    ref["tags"] = pd.Series(["a", "b", 1, 2] * (n // 4), dtype=object)
    cur = pd.DataFrame({f"ok{i}": rng.normal(size=n) for i in range(6)})
    cur["price"] = np.where(rng.random(n) < 0.9, np.inf, rng.normal(10, 1, n))  # mostly inf
    cur["qty"] = [f"{v:.0f} pcs" for v in rng.integers(1, 50, n)]  # numbers became strings
    cur["tags"] = pd.Series([["a"]] * n, dtype=object)  # values that cannot be counted
    return ref, cur


def test_columns_that_can_no_longer_be_compared_count_as_drifted():
    ref, cur = _broken_frames()
    report = compute_drift(ref, cur)
    price, qty, tags = report.column("price"), report.column("qty"), report.column("tags")
    assert price.drifted and price.infinite_drifted and price.current_infinite > 0.8
    assert qty.status == "broken" and qty.drifted and "string in current" in qty.reason
    assert tags.status == "broken" and tags.drifted and "cannot be counted" in tags.reason
    assert set(report.broken) == {"qty", "tags"}
    assert {"price", "qty", "tags"} <= set(report.drifted_columns)
    assert report.n_columns == 9 and report.n_drifted >= 3
    assert [c.column for c in report.columns[:2]] == ["qty", "tags"]  # listed first
    summary = report.summary()
    assert "can no longer be compared: qty, tags" in summary and "BROKEN: qty" in summary
    assert "infinite 0.0% -> " in describe_column(price)


def test_all_infinite_current_is_broken_like_all_missing_is_drift():
    ref = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0)})
    cur = pd.DataFrame({"x": [np.inf] * 100, "y": [np.nan] * 100})
    report = compute_drift(ref, cur)
    x, y = report.column("x"), report.column("y")
    assert x.status == "broken" and x.drifted and "no finite values in the current" in x.reason
    assert y.status == "missing only" and y.drifted
    assert report.dataset_drift and report.drifted_columns == ["x", "y"]


def test_broken_status_round_trips_through_dict():
    ref, cur = _broken_frames()
    report = compute_drift(ref, cur)
    d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert d["summary"]["broken_columns"] == ["qty", "tags"]
    back = DriftReport.from_dict(d)
    assert back == report and back.broken == report.broken
    assert back.column("price").infinite_drifted
