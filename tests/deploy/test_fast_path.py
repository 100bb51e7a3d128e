"""The NumPy fast path: an exported linear pipeline is served, from a fresh process, with
the model's answers and without scikit-learn, SciPy, pandas or skops imported; the skops
model is loaded only for rows the fast path leaves to it; the export writes the fast path
only when it reproduces the model."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from serving_helpers import iris_frame, start_server
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import ElasticNet, LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier

import mlops_jupyter as mj
from mlops_jupyter.deploy import fast_path as fast_path_export
from mlops_jupyter.deploy.export import records  # exact floats

HEAVY = ("mlops_jupyter", "sklearn", "scipy", "pandas", "skops")
RECORDING_BLOCKER = '''"""Test import blocker: records and refuses imports of the heavy libraries."""
import os
import sys

BLOCKED = {blocked!r}


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            with open(os.environ["BLOCKED_IMPORTS_LOG"], "a") as fh:
                fh.write(name + "\\n")
            raise ModuleNotFoundError(f"blocked by the test: {{name}}")
        return None


sys.meta_path.insert(0, _Blocker())
'''


def cancer_split():
    X, y = load_breast_cancer(as_frame=True, return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def export_model(frame, target, model, name="cancer"):
    with mj.start_run(name) as run:
        mj.snapshot(frame, f"{name}_train", role="train")
        run.log_model(model.fit(frame, target), "model")
    return mj.export(run.id)


@pytest.fixture(scope="module")
def cancer_package(tmp_path_factory):
    """The benchmark's pipeline (scaler + LogisticRegression, 30 columns), exported."""
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("cancer")
    mp.setenv("MLOPS_STORE", str(tmp / "store"))
    mp.chdir(tmp)
    mj.set_store(None)
    try:
        X_train, X_test, y_train, _ = cancer_split()
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        folder = export_model(X_train, y_train, model)
        yield folder, model, X_test
    finally:
        mj.close_stores()
        mp.undo()


def blocking_env(tmp):
    directory = tmp / "heavy-blocker"
    directory.mkdir(exist_ok=True)
    (directory / "sitecustomize.py").write_text(RECORDING_BLOCKER.format(blocked=HEAVY))
    log = tmp / "blocked-imports.txt"
    return {"PYTHONPATH": str(directory), "BLOCKED_IMPORTS_LOG": str(log)}, log


def blocked(log):
    return log.read_text().split() if log.exists() else []


def test_export_writes_a_checked_fast_path_listed_and_hashed_in_the_manifest(cancer_package):
    folder, _, _ = cancer_package
    manifest = json.loads((folder / "mlops-model.json").read_text())
    entry = manifest["fast_path"]
    assert entry["file"] == "fast_path.json"
    assert entry["steps"] == ["sklearn.preprocessing._data.StandardScaler",
                              "sklearn.linear_model._logistic.LogisticRegression"]
    assert entry["checked_rows"] == 426 and entry["max_abs_diff"] <= 1e-12
    assert "fast_path.json" in manifest["files"] and "fast_path.py" in manifest["files"]
    assert manifest["parity"]["equal"] is True


def test_fresh_server_is_ready_and_right_without_importing_sklearn_pandas_or_scipy(
        cancer_package, tmp_path):
    """Start-up and the request path of a fast-path package: every import of scikit-learn,
    SciPy, pandas and skops is recorded and refused, and none is attempted, while the server
    becomes ready and answers every protocol with the model's own predictions."""
    folder, model, X_test = cancer_package
    env, log = blocking_env(tmp_path)
    server = start_server(folder, tmp_path, env=env)
    try:
        assert server.get("/ping").status == 200
        rows = X_test.iloc[:60]
        reply = server.post("/predict", records(rows))
        assert reply.status == 200, reply.body
        answer = reply.json()
        assert answer["predictions"] == model.predict(rows).tolist()
        assert np.allclose(answer["probabilities"], model.predict_proba(rows), rtol=0,
                           atol=1e-12)
        one = records(X_test.iloc[[7]])
        v2 = server.post("/v2/models/" + answer["model"] + "/infer", {"inputs": [
            {"name": "x", "shape": [1, 30], "datatype": "FP64",
             "data": list(one[0].values())}]})
        assert v2.status == 200, v2.body
        assert v2.json()["outputs"][0]["data"] == model.predict(X_test.iloc[[7]]).tolist()
        csv = server.post("/invocations", X_test.iloc[:5].to_csv(index=False, header=False)
                          .encode(), headers={"Content-Type": "text/csv",
                                              "Accept": "text/csv"})
        assert csv.status == 200
        assert csv.body.decode().split() == [str(v) for v in model.predict(X_test.iloc[:5])]
        assert server.get("/metrics").status == 200
        assert blocked(log) == []  # nothing heavy was even attempted

        # A missing value is the model's to judge: only now is the skops model needed (here
        # it cannot load, as its libraries are blocked: 503, and the server keeps serving)
        missing = dict(one[0], **{X_test.columns[0]: None})
        reply = server.post("/predict", [missing])
        assert reply.status == 503 and "could not be loaded" in reply.json()["error"]
        assert {name.partition(".")[0] for name in blocked(log)} & {"skops", "sklearn"}
        assert server.post("/predict", one).json()["predictions"] == model.predict(
            X_test.iloc[[7]]).tolist()
    finally:
        server.stop()
    assert '"path": "numpy"' in server.log()


def test_rows_the_fast_path_leaves_to_the_model_get_the_models_answer(cancer_package,
                                                                     tmp_path):
    """Without the blocker: a row with a missing value loads the skops model (in a thread)
    and gets what the model says (LogisticRegression refuses NaN: 422 with its message);
    MLOPS_PRELOAD_MODEL=1 loads it in the background right after start, before any request."""
    folder, model, X_test = cancer_package
    one = records(X_test.iloc[[3]])[0]
    missing = dict(one, **{X_test.columns[2]: None})
    server = start_server(folder, tmp_path, env={"MLOPS_PRELOAD_MODEL": "1"})
    try:
        deadline = time.monotonic() + 60
        while '"trigger": "preload"' not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert '"event": "model file loaded", "trigger": "preload"' in server.log()
        reply = server.post("/predict", [missing])
        assert reply.status == 422
        with pytest.raises(ValueError) as raised:
            model.predict(pd.DataFrame([missing], dtype=float))
        assert reply.json()["error"] == f"the model rejected the input: {raised.value}"
        assert '"trigger": "request"' not in server.log()
        assert server.post("/predict", [one]).json()["predictions"] == model.predict(
            X_test.iloc[[3]]).tolist()
    finally:
        server.stop()


def test_a_changed_fast_path_file_stops_the_start_up(cancer_package, tmp_path):
    import shutil

    folder = shutil.copytree(cancer_package[0], tmp_path / "pkg")
    spec = json.loads((folder / "fast_path.json").read_text())
    spec["steps"][-1]["intercept"] = [spec["steps"][-1]["intercept"][0] + 1.0]
    (folder / "fast_path.json").write_text(json.dumps(spec))
    with pytest.raises(AssertionError, match="fast_path.json: SHA-256 differs"):
        start_server(folder, tmp_path)


X_IRIS, Y_IRIS = iris_frame()
X_DIABETES, Y_DIABETES = load_diabetes(as_frame=True, return_X_y=True)


@pytest.mark.parametrize("model, X, y", [
    (make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), X_IRIS, Y_IRIS),
    (make_pipeline(MinMaxScaler(clip=True), RobustScaler(), LogisticRegression(max_iter=1000)),
     X_IRIS, Y_IRIS.map({0: "setosa", 1: "versicolor", 2: "virginica"})),
    (make_pipeline(MaxAbsScaler(), LogisticRegression()), X_IRIS, Y_IRIS == 1),
    (LogisticRegression(solver="liblinear"), X_IRIS, Y_IRIS == 2),
    (make_pipeline(StandardScaler(with_mean=False), Ridge()), X_DIABETES, Y_DIABETES),
    (LinearRegression(), X_DIABETES, np.c_[Y_DIABETES, -Y_DIABETES]),  # two outputs
    (ElasticNet(alpha=0.01), X_DIABETES, Y_DIABETES),
], ids=["multinomial", "string-labels-minmax-robust", "bool-labels", "liblinear", "ridge",
        "two-outputs", "elasticnet"])
def test_fast_path_reproduces_each_supported_model(model, X, y, tmp_path):
    model.fit(X, y)
    entry = fast_path_export.write_fast_path(tmp_path, model, X)
    assert entry["file"] == "fast_path.json", entry
    fast = fast_path_export.runtime_module().load(tmp_path / "fast_path.json")
    rows = X.sample(40, random_state=1)
    predictions, proba = fast.predict(np.ascontiguousarray(rows.to_numpy(np.float64)))
    if fast.is_classifier:
        assert predictions.tolist() == model.predict(rows).tolist()
        assert predictions.dtype == model.predict(rows).dtype
        assert np.allclose(proba, model.predict_proba(rows), rtol=0, atol=1e-12)
    else:
        assert np.allclose(predictions, model.predict(rows), rtol=0, atol=1e-12)


def test_one_vs_rest_probabilities_are_scikit_learns():
    """Older scikit-learn versions give one-vs-rest probabilities for some multiclass models
    (the export picks the mode that matches): the "ovr" mode is their normalised expit."""
    model = LogisticRegression(max_iter=1000).fit(X_IRIS, Y_IRIS)
    runtime = fast_path_export.runtime_module()
    fast = runtime.FastPath(runtime.describe(model, "ovr"))
    _, proba = fast.predict(np.ascontiguousarray(X_IRIS.to_numpy(np.float64)))
    expected = model._predict_proba_lr(X_IRIS)  # scikit-learn's one-vs-rest normalisation
    assert np.allclose(proba, expected, rtol=0, atol=1e-12)
    assert not np.allclose(proba, model.predict_proba(X_IRIS), rtol=0, atol=1e-3)


def test_no_fast_path_for_what_it_does_not_reproduce(tmp_path, monkeypatch):
    X, y = X_IRIS, Y_IRIS
    tree = make_pipeline(StandardScaler(), DecisionTreeClassifier()).fit(X, y)
    entry = fast_path_export.write_fast_path(tmp_path, tree, X)
    assert entry["file"] is None and "DecisionTreeClassifier" in entry["reason"]
    from mlops_jupyter.deploy.package_docs import fast_path_section
    card = fast_path_section(entry)  # what MODEL_CARD.md says of such a package
    assert "no NumPy fast path" in card and "DecisionTreeClassifier" in card
    mixed = X.assign(region="north")
    entry = fast_path_export.write_fast_path(tmp_path, tree, mixed)
    assert entry == {"file": None,
                     "reason": "not every input column is numeric or boolean"}
    assert not (tmp_path / "fast_path.json").exists()

    # an evaluator that is off in the 10th digit is caught by the check, and not written
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    runtime = fast_path_export.runtime_module()
    real = runtime.FastPath.predict

    def off(self, X, probabilities=True):
        predictions, proba = real(self, X, probabilities)
        return predictions, None if proba is None else proba + 1e-10

    monkeypatch.setattr(runtime.FastPath, "predict", off)
    entry = fast_path_export.write_fast_path(tmp_path, model, X)
    assert entry["file"] is None and "values differ by up to 1e-10" in entry["reason"]
    assert not (tmp_path / "fast_path.json").exists()
