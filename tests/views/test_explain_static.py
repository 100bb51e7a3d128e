"""An explanation leaves the notebook: _repr_html_, to_html() and save_html(), as a user
sees them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression

from mlops_jupyter.analysis.explain import Explanation, explain_model


@pytest.fixture(scope="module")
def linear():
    """y = 3a - 2b exactly: the linear explainer's mean |SHAP| is known without shap (up to
    the mean of the background sample)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    y = 3 * X["a"] - 2 * X["b"]
    model = LinearRegression().fit(X, y)
    return explain_model(model, X, progress=False), X


def _cells(page: str) -> list[tuple[str, str]]:
    """(name, value) of each bar-table row of the page."""
    return re.findall(
        r"<tr><td[^>]*>([^<]*)</td><td[^>]*><div[^>]*></div></td><td[^>]*>([^<]*)</td>", page)


def test_page_names_model_explainer_and_top_features_with_values(linear, tmp_path):
    expl, X = linear
    path = expl.save_html(tmp_path / "explanation")
    assert path.name == "explanation.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Explanation of LinearRegression</title>" in page
    assert "<b>LinearRegression</b> explained with the <b>linear</b> explainer" in page
    assert "400 of 400 rows explained, 3 features" in page
    # global importance: features by mean |SHAP| ~ |coef| * mean |x - mean(x)|, largest first,
    # shown to 4 significant digits
    expected_a = 3 * np.abs(X["a"] - X["a"].mean()).mean()
    expected_b = 2 * np.abs(X["b"] - X["b"].mean()).mean()
    rows = _cells(page)
    assert [name for name, _ in rows[:3]] == ["a", "b", "c"]  # then the row's contributions
    assert float(rows[0][1]) == pytest.approx(expected_a, rel=0.05)
    assert float(rows[1][1]) == pytest.approx(expected_b, rel=0.05)
    assert abs(float(rows[2][1])) < 1e-6  # c is not used by the model
    (_, imp_a), (_, imp_b) = expl.top_features(2)
    assert float(rows[0][1]) == pytest.approx(imp_a, rel=5e-4)
    assert float(rows[1][1]) == pytest.approx(imp_b, rel=5e-4)
    assert len(rows[0][1].replace(".", "").lstrip("0")) == 4
    # one row's contributions, signed, with the feature's value in the user's units
    vals, base, _ = expl.row(0)
    contributions = dict(rows[3:])
    assert set(contributions) == {f"{c} = {X[c].iloc[0]:.4g}" for c in "abc"}
    shown_a = contributions[f"a = {X['a'].iloc[0]:.4g}"]
    assert shown_a[0] == ("+" if vals[0] >= 0 else "-")
    assert float(shown_a) == pytest.approx(vals[0], rel=5e-4)
    header = re.search(r"Row 0: ([-0-9.e+]+) \(regression\) = base ([-0-9.e+]+) \+ contributions",
                       page)
    assert float(header[1]) == pytest.approx(3 * X["a"].iloc[0] - 2 * X["b"].iloc[0], rel=1e-3)
    assert float(header[2]) + sum(map(float, contributions.values())) == pytest.approx(
        float(header[1]), abs=1e-3)
    # a beeswarm as SVG; nothing that needs JavaScript or the network
    assert page.count("<svg") == 1 and "SHAP value (impact on prediction)" in page
    assert "<script" not in page and not re.search(r"(src|href)=[\"']https?:", page)


def test_repr_html_and_mimebundle_are_the_static_fragment(linear):
    expl, _ = linear
    fragment = expl._repr_html_()
    assert fragment.startswith("<div class='mlops-explanation'") and "<html" not in fragment
    bundle = expl._repr_mimebundle_()
    assert bundle == {"text/html": fragment, "text/plain": repr(expl)}
    assert fragment in expl.to_html()


def test_save_html_in_a_plain_python_process_imports_no_notebook_stack(tmp_path):
    target = tmp_path / "out" / "expl.html"
    code = textwrap.dedent(f"""
        import json, sys
        import numpy as np, pandas as pd
        from sklearn.ensemble import RandomForestRegressor
        from mlops_jupyter.analysis.explain import explain_model

        rng = np.random.default_rng(0)
        X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["w", "x", "y", "z"])
        model = RandomForestRegressor(10, random_state=0).fit(X, 2 * X["x"])
        path = explain_model(model, X, progress=False).save_html({str(target)!r})
        print(json.dumps([str(path), [m for m in ("IPython", "ipywidgets", "plotly")
                                      if m in sys.modules]]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    path, loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == []
    page = target.read_text(encoding="utf-8")
    assert path == str(target)
    assert "<b>RandomForestRegressor</b> explained with the <b>tree</b> explainer" in page
    assert _cells(page)[0][0] == "x"


def test_multi_output_page_says_which_target_is_shown():
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    Y = pd.DataFrame({"price": 3 * X["a"], "volume": -2 * X["c"]})
    expl = explain_model(RandomForestRegressor(10, random_state=0).fit(X, Y), X, y=Y,
                         progress=False)
    page = expl.to_html()
    assert "output: prediction of target &#x27;price&#x27; (1 of 2)" in page
    assert ("<b>Note:</b> multi-output model with 2 targets (&#x27;price&#x27;, "
            "&#x27;volume&#x27;): showing target &#x27;price&#x27;") in page
    assert "explanation.for_target(1)" in page
    assert _cells(page)[0][0] == "a"
    other = expl.for_target("volume").to_html()
    assert "of target &#x27;volume&#x27; (2 of 2)" in other and _cells(other)[0][0] == "c"


def test_multi_class_page_says_which_class_is_shown():
    X, y = make_classification(300, 4, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=0)
    X = pd.DataFrame(X, columns=list("pqrs"))
    expl = explain_model(HistGradientBoostingClassifier(max_iter=10).fit(X, y), X,
                         progress=False)
    page = expl.to_html()
    shown = expl.class_names[expl.class_index]
    assert f"global views: class {shown} (predicted most often)" in page
    assert "the waterfall uses each row's predicted class" in page
    k = expl.predicted_class[0]
    assert re.search(rf"Row 0: [-0-9.e+]+ \(margin, class {expl.class_names[k]}\)", page)
    fixed = explain_model(HistGradientBoostingClassifier(max_iter=10).fit(X, y), X,
                          class_index=2, progress=False).to_html()
    assert "of class &#x27;2&#x27;" in fixed and "predicted most often" not in fixed


def test_fallback_page_shows_the_note_and_no_per_row_figures(linear, monkeypatch):
    _, X = linear
    monkeypatch.setitem(sys.modules, "shap", None)
    expl = explain_model(RandomForestRegressor(5, random_state=0).fit(X, X["a"]), X,
                         progress=False)
    page = expl.to_html()
    assert "<b>Note:</b> the shap package is not installed" in page
    assert "Global importance (permutation importance)" in page
    assert "<svg" not in page and "Row " not in page
    assert _cells(page)[0][0] == "a"


def test_saved_explanation_of_1000_rows_by_20_features_is_small(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(1000, 20)), columns=[f"feature_{i:02d}" for i in range(20)])
    model = RandomForestRegressor(20, random_state=0).fit(X, 3 * X["feature_00"] - X["feature_01"])
    expl = explain_model(model, X, progress=False)
    size = expl.save_html(tmp_path / "e.html").stat().st_size
    assert size < 60_000, size
    back = Explanation.from_dict(json.loads(json.dumps(expl.to_dict())))
    assert back.to_html() == expl.to_html()  # a stored explanation renders the same page
