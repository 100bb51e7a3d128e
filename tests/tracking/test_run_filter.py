"""The runs filter language: what users type, what they get back, and errors that point."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_jupyter.errors import FilterSyntaxError
from mlops_jupyter.tracking.run_filter import apply_filter


@pytest.fixture
def frame():
    return pd.DataFrame({
        "name": ["base", "deep", "wide", "baseline-2"],
        "status": ["FINISHED", "FAILED", "FINISHED", "FINISHED"],
        "params.model": pd.Series(["rf", "rf", "lr", None], dtype=object),
        "params.depth": pd.Series([3, 10, None, "auto"], dtype=object),
        "metrics.accuracy": [0.91, 0.95, 0.88, float("nan")],
        "metrics.val loss": [0.3, 0.2, 0.5, 0.1],
    })


@pytest.mark.parametrize("expr, expected", [
    ("metrics.accuracy > 0.9", ["base", "deep"]),
    ("metrics.accuracy >= 0.9 and params.model == 'rf'", ["base", "deep"]),
    ("params.model = 'lr' or status = \"FAILED\"", ["deep", "wide"]),
    ("not (status == 'FINISHED')", ["deep"]),
    ("params.depth > 5", ["deep"]),  # 'auto' and missing never match a number
    ("params.depth in (3, 'auto')", ["base", "baseline-2"]),
    ("params.model not in ('rf')", ["wide"]),  # a missing model does not match either
    ("name contains 'base'", ["base", "baseline-2"]),
    ("metrics.accuracy is null", ["baseline-2"]),
    ("params.model is not null and metrics.`val loss` < 0.35", ["base", "deep"]),
])
def test_filters_select_the_expected_runs(frame, expr, expected):
    assert list(apply_filter(frame, expr)["name"]) == expected


@pytest.mark.parametrize("expr, position, words", [
    ("metrics.accuracy >", 18, "expected a number"),
    ("metrics.accuracy > 0.9 and", 26, "expected a column"),
    ("metrics.accuracy ~ 1", 17, "unexpected character"),
    ("(status = 'FAILED'", 18, "expected )"),
    ("status 'FAILED'", 7, "expected an operator"),
    ("", 0, "empty filter"),
])
def test_syntax_errors_name_the_position(frame, expr, position, words):
    with pytest.raises(FilterSyntaxError) as info:
        apply_filter(frame, expr)
    message = str(info.value)
    assert f"position {position}" in message and words in message
    assert expr in message  # the expression is echoed with a caret under the position


def test_unknown_column_suggests_close_names(frame):
    with pytest.raises(FilterSyntaxError, match="Did you mean metrics.accuracy"):
        apply_filter(frame, "metrics.acuracy > 0.5")


def test_filter_is_never_evaluated_as_python(frame):
    with pytest.raises(FilterSyntaxError):
        apply_filter(frame, "__import__('os').system('echo hacked')")
