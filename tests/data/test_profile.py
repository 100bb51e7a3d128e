"""profile_frame(): small JSON summaries per column that match what pandas/numpy compute."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.data import profile_frame
from mlops_jupyter.data.profile import QUANTILES


def test_numeric_statistics_match_numpy():
    rng = np.random.default_rng(1)
    values = rng.normal(10, 3, 5001)
    profile = profile_frame(pd.DataFrame({"x": values}))
    col = profile["columns"]["x"]
    assert profile["rows"] == 5001
    assert col["kind"] == "numeric" and col["dtype"] == "float64"
    assert col["mean"] == pytest.approx(values.mean())
    assert col["std"] == pytest.approx(values.std(ddof=1))
    assert (col["min"], col["max"]) == (values.min(), values.max())
    assert list(col["quantiles"]) == [str(q) for q in QUANTILES]
    assert list(col["quantiles"].values()) == pytest.approx(np.quantile(values, QUANTILES))
    counts, edges = np.histogram(values, bins=20)
    assert col["histogram"]["counts"] == counts.tolist()
    assert col["histogram"]["edges"] == pytest.approx(edges.tolist())


def test_histogram_matches_numpy_on_ties_and_edges():
    values = np.array([0, 0, 1, 1, 1, 2, 5, 5, 10, 10], dtype=float)
    col = profile_frame(pd.DataFrame({"x": values}))["columns"]["x"]
    assert col["histogram"]["counts"] == np.histogram(values, bins=20)[0].tolist()
    constant = profile_frame(pd.DataFrame({"x": [3.0, 3.0]}))["columns"]["x"]
    assert constant["histogram"]["counts"] == np.histogram([3.0, 3.0], bins=20)[0].tolist()


def test_nan_inf_and_nulls_never_reach_the_json():
    df = pd.DataFrame(
        {
            "f": [1.0, np.nan, np.inf, -np.inf, 3.0],
            "all_nan": [np.nan] * 5,
            "i": pd.array([1, None, 3, None, 5], dtype="Int64"),
        }
    )
    profile = profile_frame(df)
    text = json.dumps(profile, allow_nan=False)  # raises on NaN/inf
    assert "NaN" not in text
    f = profile["columns"]["f"]
    assert (f["nulls"], f["infinite"], f["null_share"]) == (1, 2, 0.2)
    assert (f["min"], f["max"], f["mean"]) == (1.0, 3.0, 2.0)
    assert profile["columns"]["all_nan"]["mean"] is None
    assert profile["columns"]["i"]["nulls"] == 2 and profile["columns"]["i"]["mean"] == 3.0


def test_categorical_string_and_boolean_top_values():
    df = pd.DataFrame(
        {
            "c": pd.Categorical(["b", "a", "b", None, "b"], categories=["a", "b", "unused"]),
            "s": pd.array(["x", "y", "x", None, "x"], dtype="str"),
            "o": np.array(["x", "y", "x", None, "x"], dtype=object),
            "b": [True, False, True, True, False],
            "bn": pd.array([True, None, None, False, False], dtype="boolean"),
        }
    )
    cols = profile_frame(df)["columns"]
    assert cols["c"]["top"] == [["b", 3], ["a", 1]]
    assert (cols["c"]["distinct"], cols["c"]["categories"], cols["c"]["nulls"]) == (2, 3, 1)
    assert cols["s"]["top"] == [["x", 3], ["y", 1]] and cols["s"]["distinct"] == 2
    assert cols["o"]["top"] == cols["s"]["top"] and cols["o"]["kind"] == "string"
    assert cols["b"]["top"] == [[True, 3], [False, 2]]
    assert cols["bn"]["top"] == [[False, 2], [True, 1]] and cols["bn"]["nulls"] == 2


def test_top_is_limited_to_twenty_most_frequent():
    values = [f"v{i}" for i in range(30) for _ in range(i + 1)]
    col = profile_frame(pd.DataFrame({"s": pd.array(values, dtype="str")}))["columns"]["s"]
    assert col["distinct"] == 30
    assert len(col["top"]) == 20 and col["top"][0] == ["v29", 30] and col["top"][-1] == ["v10", 11]


def test_categorical_with_non_string_categories_is_json():
    col = profile_frame(pd.DataFrame({"c": pd.Categorical([1, 2, 2])}))["columns"]["c"]
    assert col["top"] == [[2, 2], [1, 1]]
    json.dumps(col, allow_nan=False)


def test_datetimes_as_iso_with_time_zone():
    t = pd.Series(
        pd.to_datetime(["2021-01-01", None, "2021-01-03"])
        .tz_localize("UTC")
        .tz_convert("Asia/Tokyo")
    )
    col = profile_frame(t.to_frame("t"))["columns"]["t"]
    assert col["kind"] == "datetime" and col["nulls"] == 1
    assert col["min"] == "2021-01-01T09:00:00+09:00" and col["max"] == "2021-01-03T09:00:00+09:00"
    assert len(col["histogram"]["edges"]) == 21 and sum(col["histogram"]["counts"]) == 2
    assert col["histogram"]["edges"][0] == col["min"]


def test_other_kinds_and_empty_frames():
    df = pd.DataFrame(
        {"td": pd.to_timedelta([1, 3, None], unit="s"), "o": np.array([1, "a", None], dtype=object)}
    )
    cols = profile_frame(df)["columns"]
    assert (cols["td"]["min"], cols["td"]["max"], cols["td"]["nulls"]) == (
        "P0DT0H0M1S",
        "P0DT0H0M3S",
        1,
    )
    assert cols["o"]["kind"] == "other" and cols["o"]["distinct"] == 2
    empty = profile_frame(pd.DataFrame({"x": pd.Series([], dtype=float)}))
    assert empty == {"rows": 0, "columns": {"x": empty["columns"]["x"]}}
    assert empty["columns"]["x"]["null_share"] == 0.0 and empty["columns"]["x"]["mean"] is None
    json.dumps(empty, allow_nan=False)


def test_duplicate_labels_are_kept_apart():
    df = pd.DataFrame([[1, "a"]], columns=["x", "x"])
    assert list(profile_frame(df)["columns"]) == ["x", "x #1"]


def test_threaded_path_gives_the_same_result_as_the_serial_one():
    rng = np.random.default_rng(2)
    n = 60_000  # above the threading threshold
    df = pd.DataFrame(
        {"a": rng.random(n), "s": pd.array(rng.integers(0, 9, n).astype(str), dtype="str")}
    )
    threaded = profile_frame(df)
    serial = {"rows": n, "columns": {c: profile_frame(df[[c]].iloc[:])["columns"][c] for c in df}}
    assert threaded == serial
