"""order_by as MLflow users write it: quoted keys, a total order over mixed params, ties newest first."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_jupyter.analysis.runs_query import sort_runs
from mlops_jupyter.errors import FilterSyntaxError


@pytest.fixture
def runs():
    return pd.DataFrame({
        "run_id": ["a", "b", "c", "d", "e", "f"],
        "name": ["r0", "r1", "r2", "r3", "r4", "r5"],
        "start_time": pd.to_datetime([10, 20, 30, 40, 50, 60], unit="s", utc=True),
        "params.depth": pd.Series([10, "auto", None, 3, "2.5", "Zeta"], dtype=object),
        "metrics.val loss": [0.3, 0.1, float("nan"), 0.3, 0.2, 0.3],
        "tags.team": pd.Series(["x", "y", None, "x", "x", None], dtype=object),
    })


def order(frame, order_by, **kw):
    return list(sort_runs(frame, order_by, **kw)["name"])


def test_mixed_params_sort_numbers_by_value_then_strings_missing_last(runs):
    # numbers (and numeric strings) by value, then words; missing last in both directions
    assert order(runs, "params.depth") == ["r4", "r3", "r0", "r5", "r1", "r2"]
    assert order(runs, "params.depth DESC") == ["r1", "r5", "r0", "r3", "r4", "r2"]


def test_backtick_and_double_quoted_keys(runs):
    assert order(runs, "metrics.`val loss` desc") == ["r5", "r3", "r0", "r4", "r1", "r2"]
    assert order(runs, 'metrics."val loss" ASC') == ["r1", "r4", "r5", "r3", "r0", "r2"]
    assert order(runs, ["metrics.`val loss`"]) == ["r1", "r4", "r5", "r3", "r0", "r2"]


def test_ties_break_newest_first_and_default_is_newest_first(runs):
    assert order(runs, "tags.team") == ["r4", "r3", "r0", "r1", "r5", "r2"]
    assert order(runs, None) == ["r5", "r4", "r3", "r2", "r1", "r0"]
    assert order(runs, "") == order(runs, []) == order(runs, None)  # MLflow's default
    assert order(runs, "tags.team, metrics.`val loss` desc") == \
        ["r3", "r0", "r4", "r1", "r5", "r2"]


def test_aliases_order_like_their_columns(runs):
    assert order(runs, "attributes.start_time ASC") == ["r0", "r1", "r2", "r3", "r4", "r5"]
    assert order(runs, "attributes.run_name desc") == ["r5", "r4", "r3", "r2", "r1", "r0"]
    assert order(runs, "metric.`val loss`") == order(runs, "metrics.`val loss`")


def test_known_key_no_run_has_orders_by_ties(runs):
    assert order(runs, "params.other", known_columns={"params.other"}) == \
        ["r5", "r4", "r3", "r2", "r1", "r0"]


@pytest.mark.parametrize("order_by, words", [
    ("metrics.`val loss", "unterminated quoted key"),
    ("metrics.acc sideways", "ASC or DESC"),
    ("params.dpeth", "Did you mean params.depth"),
    ("metrics.`val loss`,", "expected a column"),
    ("metrics.`val loss` desc params.depth", "expected ASC or DESC, a comma or the end"),
])
def test_bad_order_by_is_a_clear_error(runs, order_by, words):
    with pytest.raises(FilterSyntaxError) as info:
        sort_runs(runs, order_by)
    assert words in str(info.value)
