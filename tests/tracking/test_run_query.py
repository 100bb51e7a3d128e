"""The runs query through the store, on SQLite and PostgreSQL: the SQL prefilter never changes
what a filter means, huge or deep filters are filter errors, and columns follow the experiment."""

from __future__ import annotations

import random
import warnings

import pytest

import mlops_jupyter as mj
from mlops_jupyter.analysis.runs_query import apply_filter, sort_runs
from mlops_jupyter.errors import FilterSyntaxError

PARAM_VALUES = [0.01, "0.01", 0.1, 1, True, False, "true", "rf", "RF", "lr", "", "a_b%", 3, 3.0,
                "3", "auto", None, [64, 32], {"k": 1}, "é", 'q"uote', 10**20]
METRIC_VALUES = [0.5, 0.91, float("nan"), float("inf"), float("-inf"), 0.0, -1.0, 1e-9]
TAG_VALUES = ["vision", "nlp", "3", "0.01", "True", "", "x y"]


def make_store(n: int = 24, seed: int = 7) -> None:
    rng = random.Random(seed)
    for i in range(n):
        experiment = "exp-a" if i % 3 else "exp-b"
        with mj.start_run(f"run-{i:02d}", experiment=experiment) as run:
            params = {k: rng.choice(PARAM_VALUES) for k in ("lr", "model", "depth")
                      if rng.random() < 0.8}
            if experiment == "exp-b":
                params["only_b"] = rng.choice(PARAM_VALUES)
            run.log_params(params)
            run.log_metrics({k: rng.choice(METRIC_VALUES) for k in ("accuracy", "loss")
                             if rng.random() < 0.8})
            run.set_tags({k: rng.choice(TAG_VALUES) for k in ("team", "stage")
                          if rng.random() < 0.7})
        if i % 5 == 0:
            mj.get_store().update_run(run.id, status="FAILED")


LITERALS = ["0.01", "'0.01'", "0.1", "1", "'1'", "true", "false", "'true'", "'True'", "'rf'",
            "'RF'", "'lr'", "''", "3", "'3'", "'3.0'", "'auto'", "1e20", "'[64, 32]'", "'é'",
            "'q\"uote'", "-1", "0.5", "0.91", "0"]
PATTERNS = ["'r%'", "'R%'", "'%a%'", "'_'", "'a\\_b%'", "'%'", "'3%'", "'%0.01'"]


def random_filter(rng: random.Random, times: list[int], depth: int = 0) -> str:
    roll = rng.random()
    if depth < 3 and roll < 0.3:
        op = rng.choice([" and ", " or ", " AND ", " OR "])
        return "(" + op.join(random_filter(rng, times, depth + 1) for _ in range(rng.randint(2, 3))) + ")"
    if depth < 3 and roll < 0.4:
        return "not (" + random_filter(rng, times, depth + 1) + ")"
    kind = rng.choice(["param", "param", "metric", "tag", "attr"])
    if kind == "metric":
        col = rng.choice(["metrics.accuracy", "metric.loss", "metrics.`loss`", "metrics.never"])
        op = rng.choice(["=", "!=", "<", "<=", ">", ">=", "is null", "is not null", "in"])
        number = rng.choice(["0.5", "0.91", "0", "-1", "1e-9", "1", "0.90"])
        if op == "in":
            return f"{col} in ({number}, {rng.choice(['0.5', '0.0', '2'])})"
        return f"{col} {op}" if "null" in op else f"{col} {op} {number}"
    if kind == "attr":
        when = rng.choice(times)
        return rng.choice([
            f"start_time > {when}", f"attributes.start_time <= {when}",
            f"created >= {when + rng.choice([-1, 0, 1])}", f"end_time < {when}",
            f"start_time in ({when}, 0)",
            "status = 'FAILED'", "attributes.status != 'FINISHED'", "name like 'run-1%'",
            "attributes.run_name ILIKE 'RUN-0%'", "status in ('FAILED', 'KILLED')",
            "start_time > 0", "start_time < '2000-01-01'", "end_time is not null",
            "tags.mlflow.runName = 'run-03'", "experiment = 'exp-b'", "name contains '1'",
        ])
    col = rng.choice(["params.lr", "params.model", "param.depth", "params.`model`",
                      "params.only_b", "params.never"] if kind == "param"
                     else ["tags.team", "tag.stage", "tags.never"])
    op = rng.choice(["=", "==", "!=", "<", ">=", "in", "not in", "like", "ilike", "not like",
                     "contains", "is null", "is not null"])
    if "null" in op:
        return f"{col} {op}"
    if "like" in op:
        return f"{col} {op} {rng.choice(PATTERNS)}"
    if "in" in op.split():
        values = ", ".join(rng.choice(LITERALS) for _ in range(rng.randint(1, 3)))
        return f"{col} {op} ({values})"
    if op == "contains":
        return f"{col} contains '{rng.choice(['r', '0', 'a', '%'])}'"
    return f"{col} {op} {rng.choice(LITERALS)}"


def test_sql_prefilter_never_changes_what_a_filter_means(store_spec):
    make_store()
    everything = {None: mj.runs(), "exp-a": mj.runs(experiment="exp-a")}
    known = set(everything[None].columns)
    # epoch milliseconds of the runs' own start times, exactly and just off
    times = [int(t.value // 10**6) for t in everything[None]["start_time"]]
    rng = random.Random(2024)
    checked, sizes = 0, set()
    for _ in range(300):
        expr = random_filter(rng, times)
        experiment = rng.choice([None, "exp-a"])
        try:
            expected = sort_runs(apply_filter(everything[experiment], expr, known_columns=known),
                                 None)
        except FilterSyntaxError:
            with pytest.raises(FilterSyntaxError):
                mj.runs(experiment=experiment, filter=expr)
            continue
        got = mj.runs(experiment=experiment, filter=expr)
        assert list(got["run_id"]) == list(expected["run_id"]), expr
        checked += 1
        sizes.add(len(got))
    assert checked > 200
    # the filters select: many different subsets, not all nothing or all everything
    assert len(sizes) >= 8, sorted(sizes)


@pytest.mark.parametrize("expr, expected", [
    ("params.lr = '0.01'", ["r0", "r1"]),  # numeric 0.01 and the string "0.01"
    ("params.lr = 0.01 and params.model = 'rf'", ["r0"]),
    ("params.flag = true", ["r0"]),
    ("params.flag = 1", ["r1"]),
    ("metrics.acc = 0.9 and tags.team = 'vision'", ["r0"]),
    ("metrics.acc != 0.9", ["r1"]),  # r2 has no acc: unknown, not a match
    ("attributes.status = 'FINISHED' and attributes.run_name = 'r2'", ["r2"]),
])
def test_quoted_numbers_and_booleans_through_the_store(store_spec, expr, expected):
    for name, params, metrics, tags in [
        ("r0", {"lr": 0.01, "model": "rf", "flag": True}, {"acc": 0.9}, {"team": "vision"}),
        ("r1", {"lr": "0.01", "model": "lr", "flag": 1}, {"acc": 0.8}, {}),
        ("r2", {"lr": 0.1}, {}, {"team": "vision"}),
    ]:
        with mj.start_run(name) as run:
            run.log_params(params)
            run.log_metrics(metrics)
            run.set_tags(tags)
    assert sorted(mj.runs(filter=expr)["name"]) == expected


def test_runs_of_an_experiment_have_only_its_columns(store_spec):
    with mj.start_run("a", experiment="exp-a") as run:
        run.log_params({"lr": 0.1})
        run.log_metric("acc", 0.9)
        run.set_tag("team", "x")
    with mj.start_run("b", experiment="exp-b") as run:
        run.log_params({"depth": 3})
        run.log_metric("loss", 0.2)
    for kw in ({}, {"filter": "metrics.acc > 0.5"}, {"filter": "metrics.acc < 0"}):
        columns = set(mj.runs(experiment="exp-a", **kw).columns)
        assert {"params.lr", "metrics.acc", "tags.team"} <= columns
        assert not {"params.depth", "metrics.loss"} & columns, kw
    # a key of another experiment: all missing here, no error
    assert list(mj.runs(experiment="exp-a", filter="params.depth is null")["name"]) == ["a"]
    assert mj.runs(experiment="exp-a", filter="params.depth = 3").empty
    assert list(mj.runs(experiment="exp-a", order_by="metrics.loss desc")["name"]) == ["a"]
    # a key no run anywhere has: is null matches every run; a comparison names the typo
    assert len(mj.runs(filter="params.never is null")) == 2
    with pytest.raises(FilterSyntaxError, match="Did you mean metrics.acc"):
        mj.runs(experiment="exp-b", filter="metrics.accc > 0.5")
    with pytest.raises(FilterSyntaxError, match="Did you mean params.depth"):
        mj.runs(order_by="params.dept")


def test_an_empty_filter_is_no_filter_as_in_mlflow(store_spec):
    with mj.start_run("a"):
        pass
    assert len(mj.runs(filter="")) == len(mj.runs(filter="  ")) == len(mj.runs(order_by="")) == 1
    with pytest.raises(FilterSyntaxError, match="MLflow's system tags"):
        mj.runs(filter="tags.`mlflow.user` = 'me'")


def test_string_compared_with_a_metric_is_an_error_naming_it(store_spec):
    with mj.start_run("a") as run:
        run.log_metric("acc", 0.9)
    with pytest.raises(FilterSyntaxError, match=r"metrics\.acc is a number.*0\.9"):
        mj.runs(filter="metrics.acc > '0.9'")


def test_start_time_in_epoch_milliseconds_and_iso_dates(store_spec):
    with mj.start_run("old") as run:
        pass
    mj.get_store().update_run(run.id, start_time=1_600_000_000.0, end_time=1_600_000_010.0)
    with mj.start_run("new"):
        pass
    assert list(mj.runs(filter="start_time > 1650000000000")["name"]) == ["new"]
    assert list(mj.runs(filter="attributes.start_time < 1650000000000")["name"]) == ["old"]
    assert list(mj.runs(filter="start_time < '2021-01-01'")["name"]) == ["old"]
    assert list(mj.runs(filter="start_time >= '2020-09-13T12:26:40Z'")["name"]) == ["new", "old"]
    assert list(mj.runs(filter="start_time > '2020-09-13T12:26:40Z'")["name"]) == ["new"]


def test_huge_and_deep_filters_through_the_store(store_spec):
    for i in range(3):
        with mj.start_run(f"r{i}") as run:
            run.log_params({"i": i, "model": "rf"})
            run.log_metric("acc", i / 10)
            run.set_tag("team", "t")
    ands = " and ".join(f"metrics.acc > {-j}" for j in range(1, 1001))
    assert len(mj.runs(filter=ands)) == 3
    ands = " and ".join("params.model = 'rf' and tags.team = 't' and status = 'FINISHED'"
                        for _ in range(400))
    assert len(mj.runs(filter=ands)) == 3
    ors = " or ".join(f"params.i = {j}" for j in range(1000))
    assert len(mj.runs(filter=ors)) == 3
    names = ", ".join(f"'r{j}'" for j in range(40000))
    assert len(mj.runs(filter=f"name in ({names}) and params.model in ({names}, 'rf')")) == 3
    with pytest.raises(FilterSyntaxError, match="nest"):
        mj.runs(filter="(" * 2000 + "metrics.acc > 0" + ")" * 2000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(mj.runs(filter="not " * 40 + "metrics.acc >= 0")) == 3


def test_an_unknown_column_error_shows_the_filter_and_its_position():
    """mj.runs hands a parsed filter to the frame filter: the message still shows the filter
    text with the caret under the bad column, and the error carries the position."""
    with mj.start_run():
        mj.log_metric("accuracy", 1.0)
    with pytest.raises(mj.FilterSyntaxError) as caught:
        mj.runs(filter="status = 'FINISHED' and metrics.acuracy > 1")
    message = str(caught.value)
    assert "status = 'FINISHED' and metrics.acuracy > 1\n" + " " * 26 + "^" in message
    assert "metrics.accuracy" in message and caught.value.position == 24
