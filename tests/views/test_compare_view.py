"""The comparison view, driven like a user: select rows, change the metric, type a filter,
open the diff; each assertion is on the resulting figure data or table rows."""

from __future__ import annotations

import json

import pandas as pd

import mlops_jupyter as mj
from mlops_jupyter.analysis.compare import build_comparison
from mlops_jupyter.views import compare_view
from mlops_jupyter.views.compare_view import CompareView, comparison_mimebundle, display_comparison

CELL = "C = {C}\nkernel = {kernel!r}\nmodel = SVC(C=C, kernel=kernel).fit(X, y)\n"


def sweep() -> dict[str, str]:
    """6 runs: C x kernel, accuracy logged per epoch (curves), and a final f1 / val_loss."""
    ids = {}
    for i, (C, kernel) in enumerate([(0.1, "rbf"), (1.0, "rbf"), (10.0, "rbf"),
                                     (0.1, "linear"), (1.0, "linear"), (10.0, "linear")]):
        with mj.start_run(f"svc-{kernel}-{C}", experiment="sweep") as run:
            run.log_params({"C": C, "kernel": kernel})
            final = 0.80 + i / 100
            for epoch in range(4):
                run.log_metric("accuracy", final - (3 - epoch) / 20)
            run.log_metric("f1", final - 0.05)
            run.log_metric("val_loss", 1 - final)
            ids[run.name] = run.id
    return ids


def test_initial_view_selects_the_best_runs_and_draws_every_chart():
    ids = sweep()
    view = CompareView(mj.compare(experiment="sweep"))
    assert view.metric == "metrics.accuracy"
    best = ids["svc-linear-10.0"]
    assert view.selected[0] == best and len(view.selected) == 5
    assert "best <b>accuracy</b>" in view.best_line.value and best[:8] in view.best_line.value

    bars = view.figures["bars"]["data"][0]
    assert bars["y"][0] == f"★ svc-linear-10.0 ({best[:8]})" and bars["x"][0] == 0.85

    curves = view.figures["curves"]["data"]
    assert len(curves) == 5 and curves[0]["x"] == [0, 1, 2, 3] and curves[0]["y"][-1] == 0.85
    # the same run has the same color in the bars and the curves
    assert bars["marker"]["color"][0] == curves[0]["line"]["color"]

    pc = view.figures["parcoords"]["data"][0]
    labels = [d["label"] for d in pc["dimensions"]]
    assert labels == ["C", "kernel", "accuracy"]
    kernel = pc["dimensions"][1]
    assert kernel["ticktext"] == ["linear", "rbf"] and set(kernel["values"]) == {0.0, 1.0}
    assert len(pc["line"]["color"]) == 6 and not pc["line"]["reversescale"]


def test_selecting_rows_redraws_curves_and_bars_and_loads_histories():
    ids = sweep()
    comparison = mj.compare(experiment="sweep")
    view = CompareView(comparison)
    worst = ids["svc-rbf-0.1"]
    assert worst not in view.comparison.histories  # not selected: its history was not read
    view.table.clear_button.click()
    assert view.figures["curves"] is None and view.figures["bars"] is None
    assert view.notes["curves"] == "select runs in the table to see their curves"

    view.table.select([worst, ids["svc-rbf-1.0"]])
    assert [t["name"] for t in view.figures["curves"]["data"]] == [
        f"svc-rbf-0.1 ({worst[:8]})", f"svc-rbf-1.0 ({ids['svc-rbf-1.0'][:8]})"]
    assert view.figures["curves"]["data"][0]["y"] == [0.65, 0.7, 0.75, 0.8]
    assert view.figures["bars"]["data"][0]["x"] == [0.81, 0.8]  # best first
    # the selection can drive the parallel coordinates too
    view.scope_toggle.value = "selected"
    assert len(view.figures["parcoords"]["data"][0]["line"]["color"]) == 2


def test_changing_the_metric_resorts_the_table_and_flips_the_colorscale():
    ids = sweep()
    view = CompareView(mj.compare(experiment="sweep"))
    view.metric_dropdown.value = "metrics.val_loss"
    assert view.table.sort_by == "metrics.val_loss" and view.table.ascending
    assert view.table.visible_ids[0] == ids["svc-linear-10.0"]  # lowest loss first
    assert view.direction_toggle.value == "min"
    pc = view.figures["parcoords"]["data"][0]
    assert pc["dimensions"][-1]["label"] == "val_loss" and pc["line"]["reversescale"]
    bars = view.figures["bars"]["data"][0]
    assert bars["x"] == sorted(bars["x"])  # lower is better: smallest on top
    assert "lower is better" in view.figures["bars"]["layout"]["title"]["text"]
    # val_loss has no steps: the curves keep showing a metric that has some, without a note
    assert view.curve_dropdown.value == "metrics.accuracy"
    assert view.figures["curves"]["layout"]["title"]["text"] == "accuracy by step (5 runs)"
    assert view.notes["curves"] == ""

    # a metric whose direction the name does not tell: the user sets it
    view.metric_dropdown.value = "metrics.f1"
    view.direction_toggle.value = "min"
    assert view.comparison.best().best_run_id == ids["svc-rbf-0.1"]
    assert view.table.visible_ids[0] == ids["svc-rbf-0.1"]


def test_typing_a_filter_redraws_the_parallel_coordinates_and_bad_filters_show_their_error():
    sweep()
    view = CompareView(mj.compare(experiment="sweep"))
    view.table.filter_box.value = "params.kernel == 'rbf' and params.C >= 1"
    pc = view.figures["parcoords"]["data"][0]
    assert [d["label"] for d in pc["dimensions"]] == ["C", "accuracy"]  # kernel is constant now
    # each line is one run: C=1.0 -> accuracy 0.81 and C=10.0 -> 0.82 (see sweep())
    assert dict(zip(pc["dimensions"][0]["values"], pc["dimensions"][1]["values"],
                    strict=True)) == {1.0: 0.81, 10.0: 0.82}
    assert "same in every run (not drawn): kernel" in view.notes["parcoords"]
    assert "0.82" in view.best_line.value  # best among the filtered runs

    view.table.filter_box.value = "params.kernel == "
    assert "bad run filter" in view.table.filter_status.value
    assert len(view.figures["parcoords"]["data"][0]["line"]["color"]) == 2  # unchanged


def test_diff_tab_compares_two_selected_runs_on_demand():
    ids = sweep()
    view = CompareView(mj.compare(experiment="sweep"))
    a, b = ids["svc-linear-10.0"], ids["svc-linear-1.0"]
    view.table.select([a, b])
    assert view.diff is None  # nothing read until the tab is opened
    view.tabs.selected_index = 3
    assert view.diff is not None and (view.diff.a_run_id, view.diff.b_run_id) == (a, b)
    assert [p.key for p in view.diff.changed_params] == ["C"]
    assert "#fff3cd" in view.diff_html.value  # changed values marked
    view.diff_b.value = a
    assert view.diff is None and view.notes["diff"] == "pick two different runs"
    view.table.select([a])
    assert "select two runs" in view.diff_html.value


def test_cell_code_and_package_changes_in_the_diff():
    for i, C in enumerate((1.0, 2.0)):
        with mj.start_run(f"r{i}", experiment="code") as run:
            run.log_param("C", C)
            run.log_metric("accuracy", 0.9 + i / 100)
    comparison = mj.compare(experiment="code")
    rec = {r: comparison.source.record(r) for r in comparison.run_ids}

    class Source:  # the records a %%track cell would have captured
        def histories(self, run_ids):
            return {}

        def record(self, run_id):
            base = rec[run_id]
            C = base.params["C"]
            return {"id": base.id, "name": base.name, "params": base.params, "metrics": base.metrics,
                    "cell_source": CELL.format(C=C, kernel="rbf"),
                    "environment": {"python": "3.11", "packages": {"scikit-learn": f"1.{int(C)}.0"}},
                    "inputs": []}

        def snapshot_diff(self, a, b):
            raise AssertionError("no snapshots here")

    from dataclasses import replace

    view = CompareView(replace(comparison, source=Source()))
    view.tabs.selected_index = 3
    text = view.diff_html.value
    assert "-C = 2.0" in text and "+C = 1.0" in text  # best (C=2) is A
    assert "scikit-learn: 1.2.0 &rarr; 1.1.0" in text


def test_disjoint_params_non_numeric_metrics_and_unknown_ids_give_messages():
    with mj.start_run("tree", experiment="mix") as run:
        run.log_params({"max_depth": 3})
        run.log_metric("accuracy", 0.8)
    with mj.start_run("linear", experiment="mix") as run:
        run.log_params({"C": 0.5, "penalty": "l2"})
        run.log_metric("accuracy", 0.85)
    view = CompareView(mj.compare(experiment="mix"))
    dims = {d["label"]: d for d in view.figures["parcoords"]["data"][0]["dimensions"]}
    assert set(dims) == {"C", "max_depth", "penalty", "accuracy"}
    assert dims["max_depth"]["ticktext"][0] == "(missing)"
    assert dims["penalty"]["ticktext"] == ["(missing)", "l2"]

    frame = mj.runs(experiment="mix")
    frame["metrics.grade"] = ["good", "bad"]
    c = build_comparison(frame, metric="grade")
    view = CompareView(c)
    assert "holds non-numeric values" in view.banner.value
    assert view.metric == "metrics.accuracy"

    view = CompareView(build_comparison(pd.DataFrame(), messages=["no run with id '0000dead'"]))
    assert view.table is None
    assert "no run with id &#x27;0000dead&#x27;" in view.banner.value


def test_runs_without_steps_say_how_to_get_curves():
    with mj.start_run("a", experiment="flat") as run:
        run.log_metric("accuracy", 0.8)
    with mj.start_run("b", experiment="flat") as run:
        run.log_metric("accuracy", 0.9)
    view = CompareView(mj.compare(experiment="flat"))
    assert view.figures["curves"] is None
    assert "accuracy was logged once per run" in view.notes["curves"]
    assert "step=i" in view.notes["curves"]
    assert view.figures["bars"]["data"][0]["x"] == [0.9, 0.8]


def test_static_bundle_has_table_svg_charts_and_diff_and_stays_small():
    ids = sweep()
    comparison = mj.compare(experiment="sweep")
    bundle = comparison_mimebundle(comparison)
    html = bundle["text/html"]
    assert "<table>" in html and html.count("<svg") == 3  # parcoords, bars, curves
    assert "<script" not in html  # renders on GitHub and air-gapped
    assert "&#9733;" in html and ids["svc-linear-10.0"][:8] in html
    assert "<details" in html and "Diff" in html
    assert "best accuracy" in bundle["text/plain"]
    assert compare_view.PLOTLY_MIME not in bundle
    with_plotly = comparison_mimebundle(comparison, include_plotly=True)
    assert with_plotly[compare_view.PLOTLY_MIME]["data"][0]["type"] == "parcoords"
    assert len(json.dumps(bundle)) < 40_000


def test_display_comparison_sends_widget_and_static_fallback(monkeypatch):
    sweep()
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    display_comparison(mj.compare(experiment="sweep"))
    bundle, raw = shown[0]
    assert raw
    assert set(bundle) >= {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"}
    best = mj.runs(filter="name == 'svc-linear-10.0'").run_id[0]
    assert "best <b>accuracy</b>" in bundle["text/html"] and best[:8] in bundle["text/html"]


def test_static_bundle_of_an_empty_comparison():
    bundle = comparison_mimebundle(mj.compare())
    assert "no runs in this store yet" in bundle["text/html"]
    assert "<svg" not in bundle["text/html"]


def test_a_thousand_runs_render_quickly_and_page():
    import time

    import numpy as np

    rng = np.random.default_rng(0)
    n = 1000
    frame = pd.DataFrame({"run_id": [f"{i:032x}" for i in range(n)], "name": [f"r{i}" for i in range(n)],
                          "status": "FINISHED", "parent_run_id": None,
                          "start_time": pd.Timestamp("2024-01-01", tz="UTC"), "duration": 1.0})
    for k in range(10):
        values = rng.random(n) if k % 2 else rng.choice(["a", "b", "c"], n)
        frame[f"params.p{k}"] = pd.Series(list(values), dtype=object)
    for m in ("accuracy", "f1", "loss", "val_loss", "fit_time"):
        frame[f"metrics.{m}"] = rng.random(n)
    comparison = build_comparison(frame)
    CompareView(comparison)  # warm up imports
    t = time.perf_counter()
    view = CompareView(comparison)
    elapsed = time.perf_counter() - t
    assert elapsed < 2.0, elapsed  # 1 s budget on a quiet machine; this one is shared
    assert len(view.figures["parcoords"]["data"][0]["line"]["color"]) == n
    assert len(view.table.page_ids) == 20 and "rows 1-20 of 1000" in view.table.page_label.value
