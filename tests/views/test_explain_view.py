"""The explanation view, driven like a user: pick a feature, pick a row, read the figures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlops_jupyter.analysis.explain import Explanation, explain_model
from mlops_jupyter.views import DISPLAY_FUNCTIONS
from mlops_jupyter.views import explain_view as ev


@pytest.fixture(scope="module")
def reg_expl():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(1500, 4)), columns=["a", "b", "c", "d"])
    y = 3 * X["a"] - 2 * X["b"] + rng.normal(scale=0.1, size=len(X))
    model = RandomForestRegressor(10, max_depth=4, random_state=0).fit(X, y)
    return explain_model(model, X, max_rows=1200, progress=False), X


@pytest.fixture(scope="module")
def pipe_expl():
    rng = np.random.default_rng(1)
    n = 200
    X = pd.DataFrame({"age": rng.normal(40, 10, n), "color": rng.choice(["red", "blue"], n)})
    y = ((X["age"] > 40) | (X["color"] == "red")).astype(int)
    pipe = Pipeline([
        ("prep", ColumnTransformer([("cat", OneHotEncoder(), ["color"]), ("num", StandardScaler(), ["age"])])),
        ("model", HistGradientBoostingClassifier(max_iter=10)),
    ]).fit(X, y)
    return explain_model(pipe, X, progress=False), X


def test_feature_picker_drives_the_dependence_plot(reg_expl):
    expl, X = reg_expl
    view = ev.ExplanationView(expl)
    assert view.feature_picker.options[0] == "a"  # most important first
    view.feature_picker.value = "c"
    rows = np.asarray(view.dependence_fig.data[0].x, dtype=float)
    shown = ev._display_rows(expl, ev.MAX_BEESWARM_POINTS)
    np.testing.assert_allclose(rows, expl.data["c"].to_numpy()[shown], rtol=1e-3)
    np.testing.assert_allclose(view.dependence_fig.data[0].y, expl.values[shown, 2], rtol=1e-3, atol=1e-9)
    assert "Dependence on c" in view.dependence_fig.layout.title.text


def test_row_picker_changes_the_waterfall(reg_expl):
    expl, _ = reg_expl
    view = ev.ExplanationView(expl)
    before = (view.waterfall_fig.data[0].x, view.waterfall_fig.layout.title.text)
    view.row_picker.value = 7
    after = (view.waterfall_fig.data[0].x, view.waterfall_fig.layout.title.text)
    assert before != after
    label = expl.data.index[7]
    assert f"Row {label}:" in after[1]  # the index label as written, not np.int64(...)
    assert str(label) in view.row_label.value
    # the bars add up: base + contributions = the row's prediction
    vals, base, _ = expl.row(7)
    assert base + sum(x for x in view.waterfall_fig.data[0].x if x is not None) == pytest.approx(
        base + vals.sum(), abs=1e-2)


def test_view_opens_on_requested_row_and_feature(reg_expl):
    expl, _ = reg_expl
    view = ev.ExplanationView(expl, row=3, feature="d")
    assert view.row_picker.value == 3 and view.feature_picker.value == "d"
    with pytest.raises(ValueError, match="row must be"):
        ev.ExplanationView(expl, row=10_000)
    with pytest.raises(ValueError, match="unknown feature"):
        ev.ExplanationView(expl, feature="nope")


def test_beeswarm_is_subsampled_for_display(reg_expl):
    expl, _ = reg_expl
    fig = ev.beeswarm_figure(expl)
    assert len(fig.data[0].x) == ev.MAX_BEESWARM_POINTS * len(expl.feature_names)
    assert "1,000 of 1,200 rows shown" in fig.layout.title.text


def test_group_toggle_shows_original_columns(pipe_expl):
    expl, X = pipe_expl
    view = ev.ExplanationView(expl)
    assert view.group_toggle is not None
    view.feature_picker.value = "num__age"
    view.group_toggle.value = True
    assert set(view.feature_picker.options) == {"age", "color"}
    assert view.feature_picker.value == "age"  # the choice survives the toggle
    view.feature_picker.value = "color"
    assert set(view.dependence_fig.data[0].x) == {"red", "blue"}


def test_class_picker_switches_class_for_multiclass():
    X, y = make_classification(200, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    X = pd.DataFrame(X, columns=list("pqrs"))
    expl = explain_model(HistGradientBoostingClassifier(max_iter=10).fit(X, y), X, progress=False)
    view = ev.ExplanationView(expl)
    assert view.class_picker.value == -1  # predicted class per row
    other = next(k for k in range(3) if k != expl.class_index)
    imp_before = view.importance_fig.data[0].x
    view.class_picker.value = other
    assert view.expl.class_index == other
    assert view.importance_fig.data[0].x != imp_before


def test_static_bundle_is_small_and_self_contained(reg_expl):
    expl, _ = reg_expl
    bundle = ev.explanation_mimebundle(expl, row=2)
    assert set(bundle) == {"text/plain", "text/html", ev.PLOTLY_MIME}
    html = bundle["text/html"]
    assert "<script" not in html  # renders on GitHub / nbviewer without JavaScript
    assert "1,200 of 1,500 rows explained" in html and "seeded random sample" in html
    assert ">a<" in html and "additivity" in html
    assert len(json.dumps(bundle)) < 100_000


def test_display_explanation_sends_widget_plus_static_fallback(reg_expl, monkeypatch):
    expl, _ = reg_expl
    shown = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False, **kw: shown.append((obj, raw)))
    ev.display_explanation(expl, row=4)
    (bundle, raw), = [s for s in shown if isinstance(s[0], dict) and "text/html" in s[0]]
    assert raw and "application/vnd.jupyter.widget-view+json" in bundle
    # the row the user asked for, its index label written as in the waterfall (not np.int64(...))
    assert f"Row {expl.data.index[4]}: " in bundle["text/html"]
    assert "np.int64" not in bundle["text/html"]


def test_fallback_explanation_shows_its_note(reg_expl, monkeypatch):
    import sys

    _, X = reg_expl
    model = RandomForestRegressor(5, random_state=0).fit(X, X["a"])
    monkeypatch.setitem(sys.modules, "shap", None)
    expl = explain_model(model, X, max_rows=100, progress=False)
    html = ev.explanation_mimebundle(expl)["text/html"]
    assert "Note:" in html and "permutation importance" in html
    view = ev.ExplanationView(expl)  # no per-row values: the view still opens
    assert "fallback" in view.waterfall_fig.layout.title.text


def test_registered_with_ipython_by_name_and_round_trip_redisplays(reg_expl):
    expl, _ = reg_expl
    target = DISPLAY_FUNCTIONS[("mlops_jupyter.analysis.explain.result", "Explanation")]
    assert target == "mlops_jupyter.views.explain_view:display_explanation"
    back = Explanation.from_dict(json.loads(json.dumps(expl.to_dict())))
    assert ev.static_html(back) == ev.static_html(expl)


def test_multi_output_view_says_which_target_and_picks_another():
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    Y = pd.DataFrame({"price": 3 * X["a"], "volume": -2 * X["c"]})
    model = RandomForestRegressor(10, random_state=0).fit(X, Y)
    expl = explain_model(model, X, y=Y, max_rows=80, progress=False)
    html = ev.static_html(expl)
    assert "target &#x27;price&#x27; (1 of 2)" in html and "for_target(1)" in html
    view = ev.ExplanationView(expl)
    assert view.class_picker.description == "target"
    assert "target 'price'" in view.importance_fig.layout.title.text
    view.class_picker.value = 1
    assert "target 'volume'" in view.importance_fig.layout.title.text
    assert view.importance_fig.data[0].y[-1] == "c"  # volume depends on c: its top bar
