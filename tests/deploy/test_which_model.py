"""Which model of a run is meant: one rule for loading, registering and exporting.

A run without a model, with several models and no choice, or with a named model it does not
have gets the same error class and the same advice, whichever of the three asked.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidValueError, NotFoundError

X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
y = np.array([0, 1, 0, 1])


def _run_without_model() -> str:
    with mj.start_run("no-model", autolog=False) as run:
        mj.log_metric("accuracy", 0.5)
    return run.id


def _run_with_two_models() -> str:
    with mj.start_run("two-models", autolog=False) as run:
        mj.log_model(StandardScaler().fit(X), "scaler")
        mj.log_model(LogisticRegression().fit(X, y), "clf")
    return run.id


CALLS = {
    "load": lambda run_id, model=None: mj.load_model(run_id, name=model) if model
    else mj.load_model(run_id),
    "register": lambda run_id, model=None: mj.register(run_id, "m", model=model),
    "export": lambda run_id, model=None: mj.export(run_id),
}


@pytest.mark.parametrize("action", ["load", "register", "export"])
def test_a_run_without_a_model_is_not_found_with_the_same_advice(action):
    run_id = _run_without_model()
    with pytest.raises(NotFoundError, match=r"run 'no-model' \(\w{8}\) has no model; log one "
                                            r"with mj.log_model\(estimator\)"):
        CALLS[action](run_id)


@pytest.mark.parametrize("action", ["load", "register", "export"])
def test_several_models_and_no_choice_is_an_invalid_value_listing_them(action):
    run_id = _run_with_two_models()
    with pytest.raises(InvalidValueError,
                       match=r"has several models \('scaler', 'clf'\); (pass|register)"):
        CALLS[action](run_id)


def test_a_named_model_the_run_does_not_have_lists_its_models():
    run_id = _run_with_two_models()
    with pytest.raises(NotFoundError, match=r"has no model 'forest'; its models: 'scaler', 'clf'"):
        mj.register(run_id, "m", model="forest")
    assert isinstance(mj.load_model(run_id, name="clf"), LogisticRegression)
