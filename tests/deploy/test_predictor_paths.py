"""The runtime's NumPy path: taken when it answers as the DataFrame path does, to 1e-12."""

from __future__ import annotations

import importlib
import sys
import warnings

import numpy as np
from serving_helpers import build_package
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def test_a_thirty_column_pipeline_is_served_from_a_matrix_with_the_notebooks_answers(tmp_path):
    # Its probabilities from a matrix differ from the DataFrame's in the last bits (BLAS
    # summation order): an exact-equality probe kept it on the slow pandas path.
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    package = build_package(tmp_path / "pkg", model, X, name="cancer")
    sys.path.insert(0, str(package))
    try:
        for name in ("manifest", "predictor", "payloads", "drift_statistics"):
            sys.modules.pop(name, None)
        predictor_module = importlib.import_module("predictor")
        predictor = predictor_module.Predictor(package)
        assert predictor.uses_matrix, "the NumPy path should be taken"
        rows = X.iloc[:40]
        batch = predictor.from_records(rows.to_dict(orient="records"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            served = predictor.predict(batch)
        assert np.array_equal(np.asarray(served.predictions), model.predict(rows))
        assert np.allclose(np.asarray(served.probabilities), model.predict_proba(rows),
                           rtol=0, atol=predictor_module.PROBABILITY_TOLERANCE)
    finally:
        sys.path.remove(str(package))
        for name in ("manifest", "predictor", "payloads", "drift_statistics"):
            sys.modules.pop(name, None)
