"""Paged run listings (tracking/run_listing.runs_page, what the lab panel's GET runs uses)
select and order exactly the runs mj.runs does, whether the database filters and orders
alone (exact filters, metric and time orders) or the frame filter decides."""

from __future__ import annotations

import math
import random

import pytest

import mlops_jupyter as mj
from mlops_jupyter.tracking.run_listing import runs_page

CASES = [
    (None, None),
    (None, "metrics.m1 DESC"),
    (None, "metrics.m1, duration DESC"),
    (None, "end_time"),
    ("metrics.m0 > 0.5", "metrics.m1 desc"),
    ("metrics.m0 > 0.5 and params.p0 = 'a'", "metrics.m1"),
    ("params.p0 IN ('a', 'b') and status = 'FINISHED'", None),
    ("metrics.m0 != 0.25", "metrics.m2 desc"),
    ("metrics.m0 > 0.5 or params.p0 = 'a'", "params.p1 desc"),
    ("not (metrics.m2 < 0.5)", "params.p0"),
    ("metrics.m2 IS NULL", "name"),
    ("tags.team = 'x'", "start_time"),
    ("params.p1 = '0.25'", None),
    (None, "params.p0 desc, metrics.m0"),
]


@pytest.fixture
def runs(store_spec):
    rng = random.Random(1)
    for i in range(40):
        with mj.start_run(f"r{i}", experiment="e" if i % 3 else "f") as run:
            run.log_params({"p0": rng.choice(["a", "b", "c", 1, True]),
                            "p1": rng.choice([0.25, "0.25", 0.5])})
            for step in range(rng.randint(1, 3)):
                run.log_metric("m0", rng.choice([0.25, 0.5, 0.75, rng.random()]), step)
            run.log_metric("m1", rng.choice([rng.random(), math.nan]))
            if i % 4:
                run.log_metric("m2", rng.random())
            if i % 5 == 0:
                run.set_tag("team", "x")
    with pytest.raises(RuntimeError), mj.start_run("failed"):
        raise RuntimeError("x")
    return mj.get_store()


@pytest.mark.parametrize(("filter", "order"), CASES)
def test_pages_are_the_runs_of_mj_runs(runs, filter, order):
    expected = mj.runs(filter=filter, order_by=order)["run_id"].tolist()
    page = runs_page(runs, filter=filter, order_by=order, limit=7, offset=3)
    assert page.total == len(expected)
    assert [r["run_id"] for r in page.rows] == expected[3:10]
    whole = runs_page(runs, filter=filter, order_by=order, limit=10_000)
    assert [r["run_id"] for r in whole.rows] == expected
    in_e = mj.runs(experiment="e", filter=filter, order_by=order)["run_id"].tolist()
    assert [r["run_id"] for r in runs_page(runs, experiment="e", filter=filter,
                                           order_by=order).rows] == in_e


def test_min_max_latest_of_each_metric(store_spec):
    with mj.start_run() as run:
        for value in (0.5, math.nan, 0.1, 0.9, 0.3):
            run.log_metric("loss", value)
        run.log_metric("only_nan", math.nan)
    row = runs_page(mj.get_store()).rows[0]
    assert row["metrics"]["loss"] == {"latest": 0.3, "min": 0.1, "max": 0.9, "steps": 5}
    nan = row["metrics"]["only_nan"]
    assert math.isnan(nan["latest"]) and math.isnan(nan["min"]) and nan["steps"] == 1
