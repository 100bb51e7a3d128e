"""mj.diff_snapshots: what changed between two stored snapshots, as a result and as HTML."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.data.diff import SnapshotDiff


@pytest.fixture
def before() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 200
    return pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "income": rng.normal(50_000, 8_000, n),
        "city": rng.choice(["Oslo", "Lima"], n),
        "churn": rng.random(n) < 0.3,
    })


@pytest.fixture
def after(before) -> pd.DataFrame:
    changed = before.iloc[:150].drop(columns=["churn"]).copy()
    changed["age"] = changed["age"].astype("float64")  # retyped
    changed["segment"] = "b2c"  # added
    changed.loc[changed.index[:30], "income"] = np.nan  # a statistic changes
    return changed


def test_result_names_schema_rows_and_statistic_changes(before, after):
    mj.snapshot(before, "customers")
    mj.snapshot(after, "customers")
    diff = mj.diff_snapshots(("customers", 1), "customers")  # latest version is 2
    assert isinstance(diff, SnapshotDiff)
    assert not diff.same_content
    assert diff.added_columns == ("segment",)
    assert diff.removed_columns == ("churn",)
    assert diff.dtype_changes == {"age": ("int64", "float64")}
    assert (diff.rows_before, diff.rows_after) == (200, 150)
    assert diff.column_changes["income"]["nulls"] == (0, 30)
    assert diff.column_changes["income"]["null_share"] == (0.0, 0.2)
    assert "city" not in diff.dtype_changes and "city" not in diff.removed_columns
    assert "rows: 200 -> 150 (-50)" in diff.summary()


def test_snapshot_objects_and_ids_give_the_same_diff(before, after):
    a, b = mj.snapshot(before, "customers"), mj.snapshot(after, "customers")
    diff = mj.diff_snapshots(a, b)
    assert diff == mj.diff_snapshots(a.id, b.id)
    assert diff.added_columns == ("segment",) and diff.removed_columns == ("churn",)
    same = mj.diff_snapshots(a, ("customers", 1))
    assert same.same_content and same.column_changes == {} and same.added_columns == ()


def test_html_marks_each_kind_of_change(before, after):
    diff = mj.diff_snapshots(mj.snapshot(before, "customers"), mj.snapshot(after, "customers"))
    html = diff._repr_html_()
    assert ">content changed</span>" in html
    assert "rows: 200 &rarr; 150" in html and "(-50, -25.0%)" in html
    schema = html[html.index(">Schema changes<"):html.index(">Statistic changes<")]
    assert re.search(r"<b>segment</b></td><td[^>]*><span[^>]*>added</span>", schema)
    assert re.search(r"<b>churn</b></td><td[^>]*><span[^>]*>removed</span>", schema)
    age = re.search(r"<b>age</b></td><td[^>]*><span[^>]*>dtype changed</span>.*?</tr>", schema)
    assert age and "<code>int64</code>" in age.group(0) and "<code>float64</code>" in age.group(0)
    stats = html[html.index(">Statistic changes<"):]
    nulls = re.search(r"<td[^>]*>nulls</td>(.*?)</tr>", stats)
    cells = re.findall(r"<td[^>]*>(?:<b[^>]*>)?([^<]*)", nulls.group(1))
    assert cells == ["0", "30", "+30"], "before, after, change"
    assert "<script" not in html


def test_identical_snapshots_say_so_and_list_no_changes(before):
    a = mj.snapshot(before, "customers")
    b = mj.snapshot(before.copy(), "copy")
    html = mj.diff_snapshots(a, b)._repr_html_()
    assert ">identical content</span>" in html and "(unchanged)" in html
    assert "Schema changes" not in html and "Statistic changes" not in html
