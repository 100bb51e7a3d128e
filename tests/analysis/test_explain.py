"""Behaviour of analysis.explain: what users rely on (additivity, pipelines, choices, errors)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from mlops_jupyter.analysis.explain import Explanation, explain_model


def _frame(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])


@pytest.fixture(scope="module")
def clf_data():
    X, y = make_classification(300, 6, n_informative=4, random_state=0)
    return _frame(X), y


@pytest.fixture(scope="module")
def multi_data():
    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    return _frame(X), y


@pytest.fixture(scope="module")
def reg_data():
    X, y = make_regression(300, 6, noise=5.0, random_state=0)
    return _frame(X), y


@pytest.fixture(scope="module")
def mixed():
    rng = np.random.default_rng(0)
    n = 240
    X = pd.DataFrame({
        "age": rng.normal(40, 10, n),
        "color": rng.choice(["red", "green", "blue"], n),
        "income": rng.normal(50, 15, n),
        "city": rng.choice(["a", "b"], n),
    })
    y = ((X["age"] > 40) ^ (X["color"] == "red")).astype(int).to_numpy()
    pre = ColumnTransformer([
        ("cat", OneHotEncoder(), ["color", "city"]),
        ("num", StandardScaler(), ["age", "income"]),
    ])
    pipe = Pipeline([("prep", pre), ("model", RandomForestClassifier(30, max_depth=5, random_state=0))])
    return pipe.fit(X, y), X, y


TREE_CASES = [
    ("rf-clf", lambda: RandomForestClassifier(20, max_depth=5, random_state=0), "clf", "probability",
     lambda m, X: m.predict_proba(X)[:, 1]),
    ("dt-clf", lambda: DecisionTreeClassifier(max_depth=4, random_state=0), "clf", "probability",
     lambda m, X: m.predict_proba(X)[:, 1]),
    ("gbm-clf", lambda: GradientBoostingClassifier(n_estimators=20, random_state=0), "clf", "log-odds",
     lambda m, X: m.decision_function(X)),
    ("hgb-clf", lambda: HistGradientBoostingClassifier(max_iter=20, random_state=0), "clf", "log-odds",
     lambda m, X: m.decision_function(X)),
    ("rf-reg", lambda: RandomForestRegressor(20, max_depth=5, random_state=0), "reg", "regression",
     lambda m, X: m.predict(X)),
    ("et-reg", lambda: ExtraTreesRegressor(20, max_depth=5, random_state=0), "reg", "regression",
     lambda m, X: m.predict(X)),
    ("gbm-reg", lambda: GradientBoostingRegressor(n_estimators=20, random_state=0), "reg", "regression",
     lambda m, X: m.predict(X)),
    ("hgb-reg", lambda: HistGradientBoostingRegressor(max_iter=20, random_state=0), "reg", "regression",
     lambda m, X: m.predict(X)),
]


@pytest.mark.parametrize("name,make,task,kind,output", TREE_CASES, ids=[c[0] for c in TREE_CASES])
def test_tree_models_are_additive_to_the_model_output(name, make, task, kind, output, clf_data, reg_data):
    X, y = clf_data if task == "clf" else reg_data
    model = make().fit(X, y)
    expl = explain_model(model, X, progress=False)
    assert expl.explainer == "tree"
    assert expl.output_kind == kind
    assert expl.values.shape == (len(X), X.shape[1])
    # base value + SHAP values reproduce the estimator's own output, row by row
    recon = expl.base_values + expl.values.sum(axis=1)
    np.testing.assert_allclose(recon, output(model, X), atol=1e-6, rtol=0)
    assert expl.additivity_gap is not None and expl.additivity_gap <= 1e-6
    assert expl.note is None


def test_multiclass_uses_most_predicted_class_globally_and_row_class_per_row(multi_data):
    X, y = multi_data
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    expl = explain_model(model, X, progress=False)
    pred = model.predict(X)
    assert expl.class_choice == "most-predicted"
    assert expl.class_names[expl.class_index] == str(np.bincount(pred).argmax())
    margins = model.decision_function(X)
    np.testing.assert_allclose(expl.base_values + expl.values.sum(1), margins[:, expl.class_index], atol=1e-6)
    other = next(i for i in range(len(X)) if pred[i] != expl.class_index)
    vals, base, k = expl.row(other)
    assert k == pred[other]
    assert base + vals.sum() == pytest.approx(margins[other, k], abs=1e-6)
    # a caller's class wins everywhere
    fixed = explain_model(model, X, class_index=2, progress=False)
    assert fixed.class_index == 2 and fixed.row(other)[2] == 2
    with pytest.raises(ValueError, match="class_index"):
        explain_model(model, X, class_index=7, progress=False)


def test_pipeline_uses_transformed_feature_names_and_groups_one_hot_columns(mixed):
    pipe, X, _ = mixed
    expl = explain_model(pipe, X, progress=False)
    assert expl.feature_names == list(pipe[:-1].get_feature_names_out())
    assert expl.feature_groups["color"] == ["cat__color_blue", "cat__color_green", "cat__color_red"]
    assert expl.feature_groups["age"] == ["num__age"]
    assert expl.explainer == "tree" and expl.additivity_gap <= 1e-6
    np.testing.assert_allclose(
        expl.base_values + expl.values.sum(1), pipe.predict_proba(X)[:, 1], atol=1e-6)

    g = expl.grouped()
    assert g.feature_names == ["age", "color", "income", "city"]  # original column order
    members = [expl.feature_names.index(m) for m in expl.feature_groups["color"]]
    np.testing.assert_allclose(g.values[:, 1], expl.values[:, members].sum(1))
    np.testing.assert_allclose(g.values.sum(1), expl.values.sum(1))  # nothing lost or doubled
    assert set(g.data["color"]) == {"red", "green", "blue"}  # original categories, not 0/1
    assert g.grouped() is g
    assert explain_model(pipe, X, progress=False, group_features=True).feature_names == g.feature_names
    assert g.to_frame().index[0] in {"age", "color"}  # y depends on age and color only


def test_explainer_choice_per_model_kind(clf_data, reg_data, multi_data):
    X, y = clf_data
    lin = explain_model(LogisticRegression().fit(X, y), X, progress=False)
    assert (lin.explainer, lin.output_kind) == ("linear", "log-odds")
    Xr, yr = reg_data
    ridge = Ridge().fit(Xr, yr)
    r = explain_model(ridge, Xr, progress=False)
    assert r.explainer == "linear" and r.additivity_gap < 1e-6
    knn = KNeighborsRegressor().fit(Xr, yr)
    k = explain_model(knn, Xr, max_rows=8, progress=False)
    assert k.explainer == "permutation"
    # permutation SHAP is exactly additive against the background mean
    assert k.additivity_gap < 1e-6
    Xm, ym = multi_data
    gbm3 = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(Xm, ym)
    m = explain_model(gbm3, Xm, max_rows=8, progress=False)
    assert m.explainer == "permutation" and m.output_kind == "probability"
    assert "tree explainer failed" in m.note  # shap's TreeExplainer refuses multi-class GBM


def test_falls_back_to_permutation_importance_when_shap_is_missing(clf_data, monkeypatch):
    X, y = clf_data
    model = RandomForestClassifier(20, random_state=0).fit(X, y)
    monkeypatch.setitem(sys.modules, "shap", None)  # import shap -> ImportError
    expl = explain_model(model, X, progress=False)
    assert expl.explainer == "permutation-importance"
    assert "shap package is not installed" in expl.note
    assert "model's own predictions" in expl.note  # no y given
    assert not expl.has_row_values
    assert expl.to_frame().columns.tolist() == ["permutation_importance"]
    with_y = explain_model(model, X, y=y, progress=False)
    assert "own predictions" not in with_y.note
    assert json.dumps(with_y.to_dict(), allow_nan=False)


def test_falls_back_when_every_shap_explainer_fails(clf_data, monkeypatch):
    from mlops_jupyter.analysis.explain import compute

    X, y = clf_data
    model = RandomForestClassifier(10, random_state=0).fit(X, y)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(compute, "run_shap", broken)
    expl = explain_model(model, X, y=y, progress=False)
    assert expl.explainer == "permutation-importance"
    assert "tree explainer failed (RuntimeError: boom)" in expl.note


def test_bad_input_messages_say_what_is_wrong(mixed, clf_data):
    pipe, X, _ = mixed
    with pytest.raises(ValueError, match=r"missing column\(s\) \['income'\]"):
        explain_model(pipe, X.drop(columns=["income"]), progress=False)
    with pytest.raises(ValueError, match=r"unexpected column\(s\) \['target'\].*drop"):
        explain_model(pipe, X.assign(target=1), progress=False)
    # same columns in another order are fine
    assert explain_model(pipe, X[X.columns[::-1]], max_rows=20, progress=False).explainer == "tree"

    Xc, yc = clf_data
    rf = RandomForestClassifier(5, random_state=0).fit(Xc, yc)
    bad = Xc.assign(f0=["a"] * len(Xc))
    with pytest.raises(TypeError, match=r"\['f0'\] are not numeric.*Encode them"):
        explain_model(rf, bad, progress=False)
    with pytest.raises(ValueError, match="not fitted yet"):
        explain_model(RandomForestClassifier(), Xc, progress=False)
    with pytest.raises(ValueError, match="y has 3 values"):
        explain_model(rf, Xc, y=[1, 2, 3], progress=False)
    with pytest.raises(ValueError, match="no rows"):
        explain_model(rf, Xc.iloc[:0], progress=False)


def test_model_taking_raw_categories_gets_permutation_importance_with_note():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=200),
                      "c": pd.Categorical(rng.choice(["u", "v"], 200))})
    y = (X["x"] > 0).astype(int)
    hgb = HistGradientBoostingClassifier(max_iter=10, categorical_features="from_dtype").fit(X, y)
    expl = explain_model(hgb, X, progress=False)
    assert expl.explainer == "permutation-importance"
    assert "['c']" in expl.note
    assert expl.top_features(1)[0][0] == "x"


def test_large_x_is_sampled_with_seed_and_keeps_requested_rows(clf_data):
    X, y = clf_data
    model = RandomForestClassifier(10, random_state=0).fit(X, y)
    a = explain_model(model, X, max_rows=50, progress=False)
    b = explain_model(model, X, max_rows=50, progress=False)
    assert (a.n_rows_explained, a.n_rows_total) == (50, 300)
    assert list(a.data.index) == list(b.data.index)
    c = explain_model(model, X, max_rows=50, random_state=1, progress=False)
    assert list(c.data.index) != list(a.data.index)
    kept = explain_model(model, X, max_rows=50, keep_rows=[299], progress=False)
    assert 299 in kept.data.index and kept.n_rows_explained == 50
    assert kept.position_of(299) == 49
    with pytest.raises(ValueError, match="keep_rows"):
        a.position_of(10_000)


def test_progress_bar_shows_explainer_and_sample_size(clf_data, capsys):
    X, y = clf_data
    model = RandomForestClassifier(10, random_state=0).fit(X, y)
    explain_model(model, X, progress=True)
    err = capsys.readouterr().err
    assert "SHAP tree explainer, 300 rows" in err


def test_to_dict_is_json_without_nan_and_round_trips(mixed):
    pipe, X, _ = mixed
    X = X.copy()
    X.loc[X.index[0], "income"] = np.nan  # the scaler passes NaN through; RF handles it
    pipe2 = Pipeline([("prep", pipe[0]), ("model", HistGradientBoostingClassifier(max_iter=10))]).fit(
        X, mixed[2])
    expl = explain_model(pipe2, X, progress=False)
    text = json.dumps(expl.to_dict(), allow_nan=False)
    back = Explanation.from_dict(json.loads(text))
    np.testing.assert_allclose(back.values, expl.values)
    np.testing.assert_allclose(back.base_values, expl.base_values)
    assert back.feature_names == expl.feature_names and back.feature_groups == expl.feature_groups
    assert np.isnan(back.data["num__income"].iloc[0])
    assert back.top_features(3) == expl.top_features(3)
    np.testing.assert_allclose(back.grouped().values, expl.grouped().values)
    assert list(back.grouped().data["color"]) == list(expl.grouped().data["color"])


def test_importing_does_not_import_shap():
    code = (
        "import sys, mlops_jupyter.analysis.explain, mlops_jupyter.views.explain_view;"
        "assert 'shap' not in sys.modules, 'shap imported at module import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- multi-output regression


@pytest.fixture(scope="module")
def two_targets():
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    Y = pd.DataFrame({"price": 3 * X["a"], "volume": -2 * X["c"] + 0.1 * X["b"]})
    return X, Y


@pytest.mark.parametrize(
    "make",
    [lambda: RandomForestRegressor(n_estimators=20, random_state=0),
     lambda: __import__("sklearn.linear_model", fromlist=["x"]).LinearRegression(),
     lambda: KNeighborsRegressor()],
    ids=["forest", "linear", "agnostic"],
)
def test_multi_output_regressor_explains_every_target_and_says_which_is_shown(make, two_targets):
    X, Y = two_targets
    model = make().fit(X, Y)
    expl = explain_model(model, X, y=Y, max_rows=60, progress=False)
    assert expl.target_names == ["price", "volume"]
    assert expl.class_index == 0 and expl.class_choice == "first target"
    assert "showing target 'price' (target=0, the first, by default)" in expl.note
    assert "target=1" in expl.note and "for_target(1)" in expl.note
    assert "target 'price'" in expl.output_label
    assert expl.top_features(1)[0][0] == "a"  # price depends on a
    volume = expl.for_target("volume")
    assert volume.top_features(1)[0][0] == "c" and "target 'volume'" in volume.output_label
    assert "showing target 'volume'" in volume.note
    asked = explain_model(model, X, y=Y, max_rows=60, progress=False, target=1)
    np.testing.assert_allclose(asked.values, volume.values, atol=1e-6)
    assert asked.class_choice == "given"
    # additivity for the shown target, per row
    pred = np.asarray(model.predict(expl.data))[:, 1]
    np.testing.assert_allclose(volume.base_values + volume.values.sum(axis=1), pred, atol=1e-6)
    back = Explanation.from_dict(json.loads(json.dumps(volume.to_dict())))
    assert back.target_names == ["price", "volume"] and back.class_index == 1


def test_multi_output_targets_without_names_and_bad_target(two_targets):
    X, Y = two_targets
    model = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, Y.to_numpy())
    expl = explain_model(model, X, max_rows=30, progress=False)
    assert expl.target_names == ["0", "1"]
    with pytest.raises(ValueError, match=r"target must be a target position in 0\.\.1"):
        explain_model(model, X, max_rows=30, progress=False, target=2)
    single = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, Y["price"])
    with pytest.raises(ValueError, match="this model has one output"):
        explain_model(single, X, max_rows=30, progress=False, target=1)
