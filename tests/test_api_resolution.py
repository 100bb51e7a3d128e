"""What users name resolves the same way everywhere: mj.explain takes snapshot names like
mj.drift does, and mj.compare refuses run ids that match no run instead of showing fewer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor

import mlops_jupyter as mj


@pytest.fixture
def model_and_data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"strong": rng.normal(size=300), "weak": rng.normal(size=300)})
    y = 4 * X["strong"] + 0.2 * X["weak"]
    model = RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    return model, X


def test_explain_takes_a_snapshot_name_a_version_or_an_id(model_and_data):
    model, X = model_and_data
    first = mj.snapshot(X.iloc[:100], "holdout")
    mj.snapshot(X.iloc[100:250], "holdout")  # version 2, the latest
    latest = mj.explain(model, "holdout")
    assert latest.n_rows_total == 150 and latest.top_features(1)[0][0] == "strong"
    assert mj.explain(model, ("holdout", 1)).n_rows_total == 100
    assert mj.explain(model, first.id).n_rows_total == 100
    with_background = mj.explain(model, X.iloc[:20], background="holdout")
    assert with_background.n_rows_total == 20


def test_explain_on_a_run_id_explains_its_training_data(model_and_data):
    model, X = model_and_data
    with mj.start_run() as run:
        run.log_input(X, "features")  # the default role: train
    assert mj.explain(model, run.id[:8], max_rows=50).n_rows_total == len(X)


def test_explain_an_unknown_name_is_not_found(model_and_data):
    model, _ = model_and_data
    with pytest.raises(mj.NotFoundError, match="'no-such-data' is neither a snapshot"):
        mj.explain(model, "no-such-data")


def test_compare_an_unknown_run_id_is_not_found_naming_it():
    with pytest.raises(mj.NotFoundError, match=r"no run with id 'no-such-id' in this store"):
        mj.compare(["no-such-id"])
    with mj.start_run("a", experiment="e") as a:
        a.log_metric("accuracy", 0.5)
    with pytest.raises(mj.NotFoundError) as raised:
        mj.compare([a.id[:6], "dead0", "beef1"])
    assert "'dead0'" in str(raised.value) and "'beef1'" in str(raised.value)
    with pytest.raises(mj.InvalidValueError, match="run id is empty"):
        mj.compare([" "])
    with pytest.raises(mj.InvalidValueError, match="run_ids must be"):
        mj.compare([a.id, 3])
    assert list(mj.compare(a.id[:6]).runs["run_id"]) == [a.id]  # a string of ids works


def test_compare_an_ambiguous_prefix_is_not_found_saying_so():
    ids = []
    while True:  # 17 runs always give two ids that start alike (16 hex digits)
        with mj.start_run() as run:
            ids.append(run.id)
        firsts = [i[0] for i in ids]
        shared = [c for c in firsts if firsts.count(c) > 1]
        if shared:
            break
    with pytest.raises(mj.NotFoundError, match=f"prefix '{shared[0]}' is ambiguous"):
        mj.compare([shared[0]])
