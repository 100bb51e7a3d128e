"""``mj.load_model`` takes a model reference next to a run id ("churn@Production")."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidValueError, NotFoundError

X = np.array([[0.0, 1.0], [1.0, 0.0]] * 5)
y = np.array([0, 1] * 5)


def test_load_model_by_reference(store_spec):
    ids = []
    for C in (1.0, 2.0, 3.0):
        with mj.start_run() as run:
            run.log_model(LogisticRegression(C=C).fit(X, y), "clf")
            run.log_model(LogisticRegression(C=C + 10).fit(X, y), "other")
        ids.append(run.id)
        mj.register(run.id, "churn", model="clf")
    mj.promote("churn", 2, "Production")
    mj.set_alias("churn", "champion", 3)
    assert mj.load_model("churn/1").C == 1.0
    assert mj.load_model("churn@Production").C == 2.0
    assert mj.load_model("churn@champion").C == 3.0
    assert mj.load_model("churn@latest").C == 3.0
    assert mj.load_model(ids[0][:8], name="other").C == 11.0, "the run-id form is unchanged"
    with pytest.raises(InvalidValueError, match="name must be None or 'clf'"):
        mj.load_model("churn/1", name="other")
    with pytest.raises(NotFoundError, match="no registered model 'nope'"):
        mj.load_model("nope@Production")
