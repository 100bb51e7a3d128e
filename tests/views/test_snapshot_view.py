"""Static views of a snapshot and of a snapshot diff: complete, bounded in size, escaped."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

import mlops_jupyter as mj
from mlops_jupyter.data.diff import diff_profiles
from mlops_jupyter.views import snapshot_view
from mlops_jupyter.views.snapshot_view import snapshot_diff_html, snapshot_html


def test_snapshot_shows_identity_shape_size_and_schema():
    frame = pd.DataFrame({"price": [1.5, 2.5, np.nan, 4.0], "city": ["Oslo", "Lima", "Oslo", None]})
    snap = mj.snapshot(frame, "prices")
    html = snapshot_html(snap)
    assert "<b>snapshot prices</b> v1: 4 rows &times; 2 columns" in html
    assert snap.fingerprint in html and snap.id in html
    assert re.search(r"\d+(\.\d+)? (B|kB) stored", html)
    price = re.search(r"<b>price</b>.*?</tr>", html).group(0)
    assert "<code>float64</code>" in price and ">numeric<" in price
    assert "1 (25.0%)" in price, "nulls with their share"
    assert "mean 2.667" in price and "range 1.5 .. 4" in price
    city = re.search(r"<b>city</b>.*?</tr>", html).group(0)
    assert "2 distinct" in city and "top: Oslo, Lima" in city


def test_snapshot_names_columns_and_values_are_text():
    frame = pd.DataFrame({"<b>col</b>": ["<script>x</script>", "y"]})
    html = mj.snapshot(frame, "plain")._repr_html_()
    assert "&lt;b&gt;col&lt;/b&gt;" in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script" not in html and "<b>col</b>" not in html


def test_a_wide_snapshot_lists_a_bounded_number_of_columns(monkeypatch):
    monkeypatch.setattr(snapshot_view, "MAX_SCHEMA_ROWS", 5)
    frame = pd.DataFrame({f"c{i}": [i] for i in range(12)})
    html = snapshot_html(mj.snapshot(frame, "wide"))
    assert "<b>c4</b>" in html and "<b>c5</b>" not in html
    assert "and 7 more columns" in html


def test_many_statistic_changes_are_counted_beyond_the_limit(monkeypatch):
    monkeypatch.setattr(snapshot_view, "MAX_STAT_ROWS", 3)
    a = {"fingerprint": "a" * 32, "rows": 2, "profile": {"columns": {
        "x": {"dtype": "float64", "mean": 1.0, "std": 1.0, "min": 0.0, "max": 2.0}}}}
    b = {"fingerprint": "b" * 32, "rows": 2, "profile": {"columns": {
        "x": {"dtype": "float64", "mean": 2.0, "std": 3.0, "min": 1.0, "max": 5.0}}}}
    html = snapshot_diff_html(diff_profiles(a, b))
    stats = html[html.index(">Statistic changes<"):]
    assert stats.count("<tr><td") == 3
    assert "and 1 more statistic changes" in stats and "diff.to_frame()" in stats
    assert "no column added, removed or retyped" in html


def test_changed_frequent_values_are_escaped_and_labelled():
    a = {"fingerprint": "a" * 32, "rows": 3, "profile": {"columns": {
        "tag": {"dtype": "str", "top": [["<i>old</i>", 2], ["same", 1]]}}}}
    b = {"fingerprint": "b" * 32, "rows": 3, "profile": {"columns": {
        "tag": {"dtype": "str", "top": [["<i>new</i>", 2], ["same", 1]]}}}}
    html = snapshot_diff_html(diff_profiles(a, b))
    assert "only before: [&lt;i&gt;old&lt;/i&gt;]" in html
    assert "only after: [&lt;i&gt;new&lt;/i&gt;]" in html
    assert "<i>" not in html


def test_same_statistics_with_other_values_say_what_that_means():
    a = {"fingerprint": "a" * 32, "rows": 2, "profile": {"columns": {"x": {"dtype": "int64"}}}}
    b = {"fingerprint": "b" * 32, "rows": 2, "profile": {"columns": {"x": {"dtype": "int64"}}}}
    html = snapshot_diff_html(diff_profiles(a, b))
    assert "no column statistic changed; the values differ" in html
