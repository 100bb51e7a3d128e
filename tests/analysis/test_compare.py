"""analysis.compare: directions, best values, table order, parallel coordinates, run diff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.analysis.compare import (
    build_comparison,
    diff_runs,
    final_values,
    metric_curves,
    metric_direction,
    parallel_coordinates,
    sort_frame,
    table_rows,
)
from mlops_jupyter.errors import NotFoundError


def frame(rows: list[dict]) -> pd.DataFrame:
    base = {"name": None, "status": "FINISHED", "parent_run_id": None, "experiment": "e"}
    out = pd.DataFrame([{**base, **r} for r in rows])
    for col in out.columns:
        if col.startswith("params."):
            out[col] = out[col].astype(object)
    return out


@pytest.mark.parametrize(("name", "direction", "known"), [
    ("accuracy", "max", True), ("val_accuracy", "max", True), ("metrics.f1", "max", True),
    ("roc_auc", "max", True), ("mean_test_score", "max", True), ("r2", "max", True),
    ("loss", "min", True), ("val_loss", "min", True), ("rmse", "min", True),
    ("test.error_rate", "min", True), ("mean_fit_time", "min", True),
    ("rank_test_score", "min", True), ("neg_mean_squared_error", "max", True),
    ("drift.share", "min", True), ("widgets", "max", False),
])
def test_metric_direction_from_the_name(name, direction, known):
    assert metric_direction(name) == (direction, known)


def test_best_value_per_metric_follows_its_direction():
    c = build_comparison(frame([
        {"run_id": "a" * 32, "name": "a", "metrics.accuracy": 0.90, "metrics.loss": 0.30},
        {"run_id": "b" * 32, "name": "b", "metrics.accuracy": 0.95, "metrics.loss": 0.35},
        {"run_id": "c" * 32, "name": "c", "metrics.accuracy": np.nan, "metrics.loss": 0.20},
    ]))
    assert c.metric == "metrics.accuracy"  # a well-known score is preferred to loss
    assert c.metrics["metrics.accuracy"].best_run_id == "b" * 32
    assert c.metrics["metrics.loss"].best_run_id == "c" * 32
    assert c.metrics["metrics.loss"].direction_text == "lower is better"
    assert c.selected == ("b" * 32, "a" * 32)  # best first; runs without the metric left out
    assert "best accuracy (higher is better): 0.95 in b (bbbbbbbb)" in c.summary()
    flipped = c.with_direction("accuracy", "min")
    assert flipped.metrics["metrics.accuracy"].best_run_id == "a" * 32


def test_unknown_and_non_numeric_metrics_become_messages():
    f = frame([{"run_id": "a" * 32, "name": "a", "metrics.accuracy": 0.9, "metrics.note": "good"},
               {"run_id": "b" * 32, "name": "b", "metrics.accuracy": 0.8, "metrics.note": "bad"}])
    c = build_comparison(f, metric="acuracy")
    assert c.metric == "metrics.accuracy"
    assert c.metric_columns == ("metrics.accuracy",)
    text = "\n".join(c.messages)
    assert "no numeric metric 'acuracy'" in text and "did you mean accuracy" in text
    assert "metric 'note' holds non-numeric values" in text
    with pytest.raises(KeyError, match="no numeric metric 'note'"):
        c.with_metric("note")


def test_empty_comparison_is_not_an_error():
    c = build_comparison(pd.DataFrame(), messages=["no runs in this store yet"])
    assert c.empty and c.metric is None and c.selected == ()
    assert c.summary() == "no runs in this store yet"
    pc = parallel_coordinates(c.runs, c.param_columns, c.metric)
    assert pc.message == "no runs to draw"
    assert final_values(c, [], None) == ((), "select runs in the table to compare their values")


def test_child_runs_group_under_their_parent_sorted_the_same_way():
    p, q = "p" * 32, "q" * 32
    f = frame([
        {"run_id": p, "name": "search", "metrics.score": 0.5},
        {"run_id": "c1" * 16, "name": "search/candidate-0", "parent_run_id": p, "metrics.score": 0.7},
        {"run_id": "c2" * 16, "name": "search/candidate-1", "parent_run_id": p, "metrics.score": 0.9},
        {"run_id": q, "name": "baseline", "metrics.score": 0.6},
        {"run_id": "o" * 32, "name": "orphan", "parent_run_id": "x" * 32, "metrics.score": 0.1},
    ])
    folded = table_rows(f, sort_by="metrics.score", ascending=False)
    assert [(r.run_id[:2], r.depth, r.n_children) for r in folded] == [
        ("qq", 0, 0), ("pp", 0, 2), ("oo", 0, 0)]
    shown = table_rows(f, sort_by="metrics.score", ascending=False, show_children=True)
    assert [r.run_id[:2] for r in shown] == ["qq", "pp", "c2", "c1", "oo"]
    assert [r.depth for r in shown] == [0, 0, 1, 1, 0]
    # the default selection picks top-level runs, not the parent's candidates
    assert build_comparison(f).selected[0] == q


def test_sorting_mixed_type_params_does_not_raise():
    f = frame([{"run_id": str(i) * 32, "params.max_depth": v}
               for i, v in enumerate([3, None, "auto", 10])])
    ordered = sort_frame(f, "params.max_depth")
    # The same total order as mj.runs(order_by=...): numbers by value, then text, missing last.
    assert ordered["params.max_depth"].tolist() == [3, 10, "auto", None]
    descending = sort_frame(f, "params.max_depth", ascending=False)
    assert descending["params.max_depth"].tolist() == ["auto", 10, 3, None]
    numeric = frame([{"run_id": str(i) * 32, "params.C": v} for i, v in enumerate([10, 2, 0.5])])
    assert sort_frame(numeric, "params.C")["params.C"].tolist() == [0.5, 2, 10]  # not "10" < "2"


def test_parallel_coordinates_numeric_categorical_and_disjoint_params():
    f = frame([
        {"run_id": "a" * 32, "params.C": 0.1, "params.kernel": "rbf", "params.seed": 1, "metrics.f1": 0.7},
        {"run_id": "b" * 32, "params.C": 1.0, "params.kernel": "linear", "params.seed": 1, "metrics.f1": 0.8},
        {"run_id": "c" * 32, "params.depth": 4, "params.kernel": True, "params.seed": 1, "metrics.f1": 0.9},
        {"run_id": "d" * 32, "params.C": 5.0, "params.kernel": "rbf", "params.seed": 1, "metrics.f1": np.nan},
    ])
    c = build_comparison(f)
    pc = parallel_coordinates(c.runs, c.param_columns, c.metric)
    axes = {a.label: a for a in pc.axes}
    assert list(axes) == ["C", "kernel", "depth", "f1"]  # seed is constant: not drawn
    assert pc.run_ids == ("a" * 32, "b" * 32, "c" * 32)  # d has no f1
    assert any("1 run(s) without a value of f1" in n for n in pc.notes)
    assert any("same in every run" in n and "seed" in n for n in pc.notes)
    kernel = axes["kernel"]
    assert kernel.kind == "categorical" and kernel.ticktext == ("linear", "rbf", "True")
    assert [kernel.ticktext[int(v)] for v in kernel.values] == ["rbf", "linear", "True"]
    C = axes["C"]
    assert C.kind == "numeric" and C.ticktext[0] == "(missing)"
    assert C.values[:2] == (0.1, 1.0) and C.values[2] == C.tickvals[0] < 0.1  # c has no C
    assert axes["depth"].ticktext[0] == "(missing)"
    assert axes["f1"].values == pc.color == (0.7, 0.8, 0.9)


def test_parallel_coordinates_without_params_or_metric_say_why():
    f = frame([{"run_id": "a" * 32, "params.x": 1, "metrics.m": 0.1},
               {"run_id": "b" * 32, "params.x": 1, "metrics.m": 0.2}])
    pc = parallel_coordinates(f, ("params.x",), "metrics.m")
    assert pc.message.startswith("no param differs between these runs")
    assert parallel_coordinates(f, ("params.x",), None).message == "no numeric metric to color the runs by"


def test_curves_and_final_values_of_selected_runs():
    f = frame([{"run_id": "a" * 32, "name": "a", "metrics.loss": 0.2, "metrics.acc": 0.9},
               {"run_id": "b" * 32, "name": "b", "metrics.loss": 0.1, "metrics.acc": 0.8}])
    hist = {"a" * 32: {"loss": [(0, 1.0, 0.0), (1, 0.5, 0.0), (2, 0.2, 0.0)], "acc": [(0, 0.9, 0.0)]}}
    c = build_comparison(f, histories=hist)
    assert c.step_metrics == ("metrics.loss",)
    curves, note = metric_curves(c, ["a" * 32, "b" * 32], "metrics.loss")
    assert note is None and len(curves) == 1 and curves[0].values == (1.0, 0.5, 0.2)
    curves, note = metric_curves(c, ["a" * 32], "metrics.acc")
    assert curves == () and "acc was logged once per run" in note and "loss" in note
    values, _ = final_values(c, ["a" * 32, "b" * 32], "metrics.loss")
    assert [v for _, _, v in values] == [0.1, 0.2]  # lower is better: best first


def test_diff_runs_marks_changes_in_params_metrics_code_packages_and_data():
    a = {"id": "a" * 32, "name": "rf-100", "params": {"n": 100, "depth": 5, "seed": 0},
         "metrics": {"acc": 0.9}, "cell_source": "n = 100\ndepth = 5\nfit(n, depth)\n",
         "environment": {"python": "3.11.4", "packages": {"scikit-learn": "1.4.0", "numpy": "1.26"}},
         "inputs": [{"role": "train", "id": "s1", "name": "X", "version": 1, "fingerprint": "f1",
                     "n_rows": 100, "n_columns": 4}]}
    b = {"id": "b" * 32, "name": "rf-200", "params": {"n": 200, "depth": 5, "seed": 0, "extra": True},
         "metrics": {"acc": 0.92}, "cell_source": "n = 200\ndepth = 5\nfit(n, depth)\n",
         "environment": {"python": "3.11.4", "packages": {"scikit-learn": "1.5.0", "numpy": "1.26",
                                                          "xgboost": "2.0"}},
         "inputs": [{"role": "train", "id": "s2", "name": "X", "version": 2, "fingerprint": "f2",
                     "n_rows": 120, "n_columns": 5}]}

    class FakeDiff:
        def summary(self):
            return "rows: 100 -> 120 (+20)\nadded columns (1): age"

    asked = []
    d = diff_runs(a, b, snapshot_diff=lambda x, y: asked.append((x, y)) or FakeDiff())
    assert [(p.key, p.status) for p in d.params] == [
        ("extra", "only in B"), ("n", "changed"), ("depth", "same"), ("seed", "same")]
    assert [m.status for m in d.metrics] == ["changed"]
    assert "-n = 100" in d.code_diff and "+n = 200" in d.code_diff
    assert " depth = 5" in d.code_diff
    assert [(p.package, p.a, p.b) for p in d.packages] == [
        ("scikit-learn", "1.4.0", "1.5.0"), ("xgboost", None, "2.0")]
    assert d.python is None
    assert asked == [("s1", "s2")]
    train = d.inputs[0]
    assert not train.same_content and "added columns (1): age" in train.details
    assert "rows 100 -> 120" in train.details
    text = d.summary()
    assert "n: 100 -> 200" in text and "code: +1 -1 lines" in text
    html = d.to_html()
    assert "#fff3cd" in html and "+n = 200" in html and "scikit-learn" in html


def test_diff_of_identical_runs_says_so():
    rec = {"id": "a" * 32, "name": "a", "params": {"x": 1}, "metrics": {}, "cell_source": "x = 1",
           "environment": {}, "inputs": [{"role": "train", "name": "X", "version": 1,
                                          "fingerprint": "f", "n_rows": 3, "n_columns": 1}]}
    d = diff_runs(rec, {**rec, "id": "b" * 32})
    assert d.same_code and not d.changed_params and not d.packages
    assert d.inputs[0].same_content and "same data" in d.inputs[0].details
    assert "identical cell source" in d.to_html()


def test_int_and_float_params_with_equal_values_are_the_same_but_bool_is_not():
    d = diff_runs({"id": "a", "params": {"x": 1, "flag": 1}}, {"id": "b", "params": {"x": 1.0, "flag": True}})
    status = {p.key: p.status for p in d.params}
    assert status == {"x": "same", "flag": "changed"}


def test_load_comparison_from_the_store_with_ids_last_filter_and_children():
    ids = []
    for i in range(4):
        with mj.start_run(f"r{i}", experiment="exp") as run:
            run.log_params({"C": i})
            for step in range(3):
                run.log_metric("loss", 1.0 / (i + step + 1))
            run.log_metric("accuracy", 0.5 + i / 10)
            ids.append(run.id)
    with mj.start_run("search", experiment="exp") as parent:
        for j in range(3):
            with mj.start_run(f"search/candidate-{j}", experiment="exp", parent=parent) as child:
                child.log_params({"C": 10 + j})
                child.log_metric("accuracy", 0.7 + j / 100)
    c = mj.compare(experiment="exp")
    assert len(c.runs) == 8
    assert c.metric == "metrics.accuracy"
    assert c.selected[0] == ids[3]  # best top-level run first; candidates are not auto-picked
    assert c.histories[ids[3]]["loss"] == ((0, 0.25), (1, 0.2), (2, 1 / 6))  # loaded for the shown curves
    assert "metrics.loss" in c.step_metrics

    last = mj.compare(experiment="exp", last=1)  # the search run, with its candidates
    assert set(last.runs["name"]) == {"search", *(f"search/candidate-{j}" for j in range(3))}

    picked = mj.compare([ids[0][:6]])
    assert list(picked.runs["run_id"]) == [ids[0]]
    with pytest.raises(NotFoundError, match="no run with id 'doesnotexist' in experiment 'exp'"):
        mj.compare([ids[0][:6], "doesnotexist"], experiment="exp")

    filtered = mj.compare(experiment="exp", filter="metrics.accuracy >= 0.6 and params.C < 10")
    assert set(filtered.runs["run_id"]) == set(ids[1:])
    bad = mj.compare(experiment="exp", filter="metrics.accuracy >")
    assert len(bad.runs) == 8 and bad.filter == "metrics.accuracy >"
    assert "bad run filter at position" in bad.messages[0]

    d = c.diff(ids[0], ids[3][:8])
    assert [p.key for p in d.changed_params] == ["C"]
    assert {m.key for m in d.metrics if m.changed} == {"accuracy", "loss"}


def test_load_comparison_of_nothing_says_why():
    assert mj.compare().messages == ("no runs in this store yet: track a cell with %%track or mj.start_run(...)",)
    with mj.start_run("a", experiment="x") as run:
        run.log_metric("accuracy", 0.5)
    assert "no runs in experiment 'nope'" in mj.compare(experiment="nope").summary()
    none = mj.compare(filter="metrics.accuracy > 0.9")
    assert none.empty and "matches none of the 1 runs" in none.summary()
    with pytest.raises(NotFoundError, match="no run with id 'zzzz' in this store"):
        mj.compare(["zzzz"])
