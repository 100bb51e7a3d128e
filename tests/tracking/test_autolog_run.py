"""``mj.start_run(autolog=True)`` records what ``%%track`` records for fits, in a plain script,
and ``mj.end_run`` ends the active run for code that cannot use ``with``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import mlops_jupyter as mj

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import sys

    import numpy as np
    import pandas as pd

    import mlops_jupyter as mj

    rng = np.random.default_rng(0)
    features = pd.DataFrame({"age": rng.normal(40, 10, 200), "income": rng.normal(50, 5, 200)})
    label = pd.Series((features["age"] > 40).astype(int), name="label")

    with mj.start_run("fit", experiment="script", autolog=True) as run:
        # imported inside the run: classes loaded after it started are captured too
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=0.25, max_iter=200).fit(features, label)
        accuracy = clf.score(features, label)
        mj.log_metric("accuracy", accuracy)
    print("with", run.id)

    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    mj.start_run("search", experiment="script", autolog=True)
    search = GridSearchCV(DecisionTreeClassifier(random_state=0),
                          {"max_depth": [1, 2, 3]}, cv=3).fit(features.to_numpy(), label)
    ended = mj.end_run()
    print("end_run", ended.id, ended.status, mj.active_run())

    mj.start_run("plain", experiment="script")
    LogisticRegression().fit(features, label)  # no autolog: nothing recorded
    mj.end_run(status="FAILED")
    print("plain", mj.runs(filter="name = 'plain'")["run_id"][0])
""")


@pytest.fixture(scope="module")
def script_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("autolog")
    (folder / "train.py").write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLOPS_STORE": str(folder / "store")}
    env.pop("MLOPS_ARTIFACTS", None)
    done = subprocess.run([sys.executable, "train.py"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    return folder / "store", lines


@pytest.fixture
def script_runs(script_store):
    store, lines = script_store
    mj.set_store(store)
    yield lines
    mj.set_store(None)


def test_a_script_run_records_the_fitted_model_its_params_and_training_data(script_runs):
    record = mj.get_run(script_runs["with"])
    assert record.status == "FINISHED"
    assert record.params["C"] == 0.25 and record.params["max_iter"] == 200
    assert record.params["estimator"] == "LogisticRegression"
    assert record.metrics["accuracy"] > 0.9
    assert record.models == ["clf"]  # named after the script's variable
    model = record.load_model()
    assert type(model).__name__ == "LogisticRegression" and model.C == 0.25
    roles = {i["name"]: i["role"] for i in record.inputs}
    assert roles == {"features": "train", "label": "train_target"}
    # lineage: the run stands for its training data
    train = record.load_input("train")
    assert list(train.columns) == ["age", "income"] and len(train) == 200
    assert mj.drift(record.id, train).dataset_drift is False
    artifact = record.artifact("clf")
    assert artifact.meta["input_schema"]["type"] == "dataframe"


def test_end_run_ends_the_active_run_and_records_a_search(script_runs):
    run_id, status, active = script_runs["end_run"].split()
    assert (status, active) == ("FINISHED", "None")
    record = mj.get_run(run_id)
    assert record.status == "FINISHED" and record.end_time is not None
    assert record.models == ["search"]
    assert record.params["best.max_depth"] in (1, 2, 3)
    assert "best_cv_score" in record.metrics
    assert len(record.children) == 3  # one child run per candidate
    # an array has no variable holding it: named after the model
    assert {i["name"]: i["role"] for i in record.inputs} == {"search.X": "train",
                                                             "label": "train_target"}


def test_without_autolog_nothing_is_captured_and_end_run_takes_a_status(script_runs):
    record = mj.get_run(script_runs["plain"])
    assert record.status == "FAILED"
    assert record.models == [] and record.params == {} and record.inputs == []


def test_autolog_names_models_after_local_variables_and_restores_fit():
    X = pd.DataFrame({"a": np.arange(8.0), "b": np.arange(8.0) % 2})
    y = (X["a"] > 3).astype(int)
    original_fit = LogisticRegression.fit
    with mj.start_run(autolog=True) as run:
        local_model = LogisticRegression(C=2.0).fit(X, y)
    assert LogisticRegression.fit is original_fit, "fit is unwrapped when the run ends"
    record = mj.get_run(run.id)
    assert record.models == ["local_model"] and record.params["C"] == 2.0
    assert {i["role"] for i in record.inputs} == {"train", "train_target"}
    assert local_model.predict(X).shape == (8,)


def test_end_run_without_a_run_or_with_a_bad_status_is_an_error():
    with pytest.raises(mj.NoActiveRunError):
        mj.end_run()
    run = mj.start_run()
    with pytest.raises(mj.InvalidValueError, match="status must be"):
        mj.end_run(status="DONE")
    assert mj.active_run() is run
    assert mj.end_run(status="KILLED") is run
    assert mj.get_run(run.id).status == "KILLED" and mj.active_run() is None


def test_autolog_must_be_a_bool():
    with pytest.raises(mj.InvalidValueError, match="autolog must be True or False"):
        mj.start_run(autolog="yes")
    assert mj.active_run() is None
