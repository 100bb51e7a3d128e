"""The runs filter language: what users type, what they get back, and errors that point."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from mlops_jupyter.analysis.runs_query import apply_filter
from mlops_jupyter.errors import FilterSyntaxError


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


# -- MLflow search strings and the documented missing-value rule ------------------------------
@pytest.fixture
def runs():
    """Runs as ``mj.runs`` builds them: typed params, NaN metrics, string tags, UTC times."""
    start = pd.to_datetime([1_700_000_000, 1_700_000_100, 1_700_000_200, 1_700_000_300],
                           unit="s", utc=True)
    return pd.DataFrame({
        "run_id": ["a1", "b2", "c3", "d4"],
        "name": ["base", "deep", "wide", "baseline-2"],
        "experiment": ["e", "e", "e", "e"],
        "status": ["FINISHED", "FAILED", "FINISHED", "RUNNING"],
        "start_time": start,
        "end_time": start + pd.to_timedelta([5, 6, 7, None], unit="s"),
        "duration": [5.0, 6.0, 7.0, float("nan")],
        "parent_run_id": [None, None, None, None],
        "params.lr": pd.Series([0.01, "0.01", 0.1, None], dtype=object),
        "params.flag": pd.Series([True, 1, "true", False], dtype=object),
        "params.model": pd.Series(["rf", "RandomForest", "lr", None], dtype=object),
        "params.depth": pd.Series([3, 10, "auto", None], dtype=object),
        "params.layers": pd.Series([[64, 32], None, None, None], dtype=object),
        "metrics.accuracy": [0.91, 0.95, 0.88, float("nan")],
        "tags.team": pd.Series(["vision", None, "nlp", "vision"], dtype=object),
    })


def names_of(frame, expr, **kw):
    return list(apply_filter(frame, expr, **kw)["name"])


@pytest.mark.parametrize("expr, expected", [
    # a quoted number matches a numeric param by value, as MLflow users write it
    ("params.lr = '0.01'", ["base", "deep"]),
    ("params.lr = 0.01", ["base", "deep"]),
    ("params.lr = '1e-2'", ["base", "deep"]),
    ("params.lr in ('0.01', '0.1')", ["base", "deep", "wide"]),
    ("params.lr != '0.01'", ["wide"]),
    # true is not 1: booleans match true/false and the strings 'true'/'True' only
    ("params.flag = true", ["base", "wide"]),
    ("params.flag = 'True'", ["base", "wide"]),
    ("params.flag = 1", ["deep"]),
    ("params.flag = false", ["baseline-2"]),
    ("params.layers = '[64, 32]'", ["base"]),
])
def test_params_compare_by_value(runs, expr, expected):
    assert names_of(runs, expr) == expected


@pytest.mark.parametrize("expr, expected", [
    # three-valued logic: a comparison with a missing value is unknown, and not(unknown) too
    ("not (metrics.accuracy > 0.9)", ["wide"]),
    ("metrics.accuracy != 0.91", ["deep", "wide"]),
    ("not (metrics.accuracy = 0.91)", ["deep", "wide"]),
    ("params.model not in ('rf')", ["deep", "wide"]),
    ("not (params.model in ('rf'))", ["deep", "wide"]),
    ("not (params.model != 'rf')", ["base"]),
    ("not not (params.model = 'lr')", ["wide"]),
    ("tags.team != 'vision'", ["wide"]),
    ("not (tags.team = 'vision')", ["wide"]),
    ("not (metrics.accuracy > 0.9) or metrics.accuracy is null", ["wide", "baseline-2"]),
    ("not (metrics.accuracy is null)", ["base", "deep", "wide"]),
    # a number and a word are not ordered: unknown, so "not (>)" equals "<="
    ("params.depth > 5", ["deep"]),
    ("not (params.depth > 5)", ["base"]),
    ("params.depth <= 5", ["base"]),
    ("params.depth != 3", ["deep", "wide"]),
])
def test_missing_and_incomparable_values_never_match_either_way(runs, expr, expected):
    assert names_of(runs, expr) == expected


@pytest.mark.parametrize("expr, expected", [
    ("params.model LIKE 'r%'", ["base"]),
    ("params.model like 'R%'", ["deep"]),
    ("params.model ILIKE 'r%'", ["base", "deep"]),
    ("name LIKE 'base_%'", ["baseline-2"]),
    ("attributes.run_name ILIKE '%BASE%'", ["base", "baseline-2"]),
    ("attributes.`run name` = 'deep'", ["deep"]),
    ("tags.mlflow.runName = 'wide'", ["wide"]),
    ("tags.`mlflow.runName` = 'wide'", ["wide"]),
    ("attributes.status = 'FAILED'", ["deep"]),
    ("attribute.status = 'FAILED'", ["deep"]),
    ("attr.status IN ('FAILED', 'RUNNING')", ["deep", "baseline-2"]),
    ("attributes.run_id IN ('a1', 'c3')", ["base", "wide"]),
    ("metric.accuracy > 0.9", ["base", "deep"]),
    ("param.model = 'lr'", ["wide"]),
    ("tag.team = 'nlp'", ["wide"]),
    ('params."model" = "lr"', ["wide"]),
    ("params.model LIKE 'r%' AND metrics.accuracy >= 0.9", ["base"]),
    ("tags.team <> 'nlp'", ["base", "baseline-2"]),
    ("params.model not like 'r%'", ["deep", "wide"]),
])
def test_mlflow_search_syntax(runs, expr, expected):
    assert names_of(runs, expr) == expected


@pytest.mark.parametrize("expr, expected", [
    # epoch milliseconds, as MLflow; ISO dates and times (UTC unless they say otherwise)
    ("attributes.start_time > 1700000150000", ["wide", "baseline-2"]),
    ("start_time >= 1700000100000", ["deep", "wide", "baseline-2"]),
    ("attributes.created < 1700000100000", ["base"]),
    ("start_time > '2023-11-14T22:15:00'", ["wide", "baseline-2"]),
    ("start_time > '2023-11-14 22:15:00+00:00'", ["wide", "baseline-2"]),
    ("start_time < '2023-11-15'", ["base", "deep", "wide", "baseline-2"]),
    ("start_time > '2023-11-15'", []),
    ("end_time is null", ["baseline-2"]),
    ("end_time > 1700000105000", ["deep", "wide"]),
    ("duration > 5.5", ["deep", "wide"]),
])
def test_times_take_epoch_milliseconds_and_iso_dates(runs, expr, expected):
    assert names_of(runs, expr) == expected


@pytest.mark.parametrize("expr, words", [
    ("metrics.accuracy > '0.9'", "metrics.accuracy is a number"),
    ("metrics.accuracy = 'high'", "metrics.accuracy is a number"),
    ("metrics.accuracy LIKE '0.9%'", "metrics.accuracy is a number"),
    ("metrics.accuracy = true", "metrics.accuracy is a number"),
    ("start_time > 'yesterday'", "start_time"),
    ("start_time > true", "start_time"),
    ("status = 1", "status is text"),
    ("params.model LIKE 3", "LIKE needs a quoted pattern"),
    ("params.model = null", "is null"),
    ("datasets.name = 'iris'", "datasets"),
    ("attributes.user_id = 'me'", "user_id"),
    ("attributes.nope = 'x'", "attributes"),
    ("things.x = 1", "things"),
])
def test_type_errors_name_the_column_and_the_fix(runs, expr, words):
    with pytest.raises(FilterSyntaxError) as info:
        apply_filter(runs, expr)
    assert words in str(info.value) and "^" in str(info.value)


def test_an_error_does_not_depend_on_the_rows(runs):
    with pytest.raises(FilterSyntaxError, match="metrics.accuracy is a number"):
        apply_filter(runs.iloc[:0], "metrics.accuracy > 'x'")


def test_is_null_on_a_key_no_run_has_matches_every_run(runs):
    assert names_of(runs, "params.never is null") == list(runs["name"])
    assert names_of(runs, "params.never is not null") == []


def test_a_key_known_elsewhere_is_an_all_missing_column(runs):
    known = {"params.other"}
    assert names_of(runs, "params.other = 1", known_columns=known) == []
    assert names_of(runs, "not (params.other = 1)", known_columns=known) == []
    with pytest.raises(FilterSyntaxError, match="Did you mean params.model"):
        apply_filter(runs, "params.modle = 'rf'", known_columns=known)


@pytest.mark.parametrize("expr", [
    "(" * 5000 + "status = 'x'" + ")" * 5000,
    "not " * 5000 + "status = 'x'",
    "(" * 5000,
])
def test_deep_nesting_is_a_filter_error_not_a_recursion_error(runs, expr):
    with pytest.raises(FilterSyntaxError, match="nest"):
        apply_filter(runs, expr)


def test_a_thousand_terms_are_fine(runs):
    ors = " or ".join(f"metrics.accuracy = {i / 1000}" for i in range(1000))
    assert names_of(runs, ors) == ["base", "deep", "wide"]
    ands = " and ".join(["metrics.accuracy > 0.9"] * 1000)
    assert names_of(runs, ands) == ["base", "deep"]
    many = "params.depth in (" + ", ".join(str(i) for i in range(1000)) + ")"
    assert names_of(runs, many) == ["base", "deep"]


def test_every_example_in_the_query_docs_parses():
    """docs/query.md's tables: each filter example of a form we support parses as shown."""
    from pathlib import Path

    from mlops_jupyter.analysis.runs_query import parse_filter

    doc = Path(__file__).parents[2] / "docs" / "query.md"
    examples = []
    for line in doc.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or "error" in line or "order_by" in line or "filter_string" in line:
            continue
        for span in re.findall(r"``(.+?)``|`([^`]+)`", cells[1]):
            text = (span[0] or span[1]).strip()
            if re.search(r"\s(=|==|!=|<>|<|<=|>|>=|LIKE|ILIKE|IN|IS|contains|NOT)\s", text, re.I):
                examples.append(text)
    assert len(examples) >= 15
    for text in examples:
        parse_filter(text)
