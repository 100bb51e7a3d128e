"""diff_profiles(): what changed between two snapshots, from their stored metadata only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.data import (
    SnapshotDiff,
    diff_profiles,
    fingerprint,
    infer_schema,
    profile_frame,
    schema_to_json,
)


def meta(df: pd.DataFrame) -> dict:
    """What the store keeps for a snapshot, passed through JSON like a real store does."""
    data = {
        "fingerprint": fingerprint(df),
        "rows": len(df),
        "schema": schema_to_json(infer_schema(df)),
        "profile": profile_frame(df),
    }
    return json.loads(json.dumps(data))


@pytest.fixture
def base() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 500
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": rng.normal(50_000, 10_000, n),
            "city": pd.array(rng.choice(["Oslo", "Lima", "Pune"], n), dtype="str"),
            "churn": rng.random(n) < 0.2,
        }
    )


def test_identical_snapshots(base):
    diff = diff_profiles(meta(base), meta(base.copy()))
    assert diff.same_content
    assert not (
        diff.added_columns or diff.removed_columns or diff.dtype_changes or diff.column_changes
    )
    assert diff.summary().startswith("identical content (500 rows")
    assert set(diff.to_frame()["status"]) == {"unchanged"}


def test_added_removed_and_dtype_changes(base):
    after = base.drop(columns=["churn"]).assign(age=base["age"].astype("float64"), score=1.0)
    diff = diff_profiles(meta(base), meta(after))
    assert not diff.same_content
    assert diff.added_columns == ("score",)
    assert diff.removed_columns == ("churn",)
    assert diff.dtype_changes == {"age": ("int64", "float64")}
    frame = diff.to_frame().set_index("column")
    assert frame.loc["score", "status"] == "added" and frame.loc["churn", "status"] == "removed"
    assert frame.loc["age", "status"] == "dtype changed"
    assert (frame.loc["age", "dtype_before"], frame.loc["age", "dtype_after"]) == (
        "int64",
        "float64",
    )
    assert frame.loc["income", "status"] == "unchanged"
    text = diff.summary()
    assert "added columns (1): score" in text and "removed columns (1): churn" in text
    assert "dtype of age: int64 -> float64" in text


def test_statistic_changes_are_reported_per_column(base):
    after = base.copy()
    after.loc[:99, "income"] = np.nan
    after.loc[after["city"] == "Pune", "city"] = "Rome"
    diff = diff_profiles(meta(base), meta(after))
    income = diff.column_changes["income"]
    assert income["nulls"] == (0, 100)
    assert income["null_share"] == (0.0, 0.2)
    assert "mean" in income
    assert diff.column_changes["city"]["top_values"] == (["Pune"], ["Rome"])
    assert "age" not in diff.column_changes and "churn" not in diff.column_changes
    assert diff.changed_columns == ("income", "city")
    assert "statistics changed in 2 column(s): income, city" in diff.summary()
    assert "nulls: 0 -> 100" in diff.to_frame().set_index("column").loc["income", "changes"]


def test_row_order_alone_keeps_statistics_but_not_content(base):
    shuffled = base.sample(frac=1.0, random_state=0).reset_index(drop=True)
    diff = diff_profiles(meta(base), meta(shuffled))
    assert not diff.same_content
    assert diff.column_changes == {}  # sums in another order must not look like a change
    assert "values differ" in diff.summary()


def test_rows_added_and_reordered_columns(base):
    after = pd.concat([base, base.iloc[:10]], ignore_index=True)[["churn", "age", "income", "city"]]
    diff = diff_profiles(meta(base), meta(after))
    assert (diff.rows_before, diff.rows_after) == (500, 510)
    assert diff.columns_reordered
    assert "rows: 500 -> 510 (+10)" in diff.summary() and "column order changed" in diff.summary()


def test_html_is_static_and_escaped(base):
    after = base.rename(columns={"city": "<city>"})
    html = diff_profiles(meta(base), meta(after))._repr_html_()
    assert html.startswith("<div") and "<table>" in html
    assert "&lt;city&gt;" in html and "<city>" not in html


def test_is_frozen(base):
    diff = diff_profiles(meta(base), meta(base))
    assert isinstance(diff, SnapshotDiff)
    with pytest.raises(AttributeError):
        diff.rows_after = 3  # type: ignore[misc]


def test_works_from_schema_when_a_profile_is_missing():
    a = {
        "fingerprint": "a" * 32,
        "rows": 2,
        "schema": [{"name": "x", "dtype": "int64", "kind": "numeric", "nullable": False}],
    }
    b = {
        "fingerprint": "b" * 32,
        "rows": 2,
        "schema": [{"name": "x", "dtype": "float64", "kind": "numeric", "nullable": False}],
    }
    diff = diff_profiles(a, b)
    assert diff.dtype_changes == {"x": ("int64", "float64")}
