"""MLflow's way into this package: the ``python_function`` flavor's loader module.

``MLmodel`` (next to this file) names this module as ``loader_module`` with ``code: .``, so

    import mlflow
    model = mlflow.pyfunc.load_model("path/to/package")
    model.predict(frame)                # the same predictions as serve.py's /predict

and ``mlflow.pyfunc.spark_udf(spark, "path/to/package", result_type=...)`` load the model the
way serve.py does (predictor.py: skops under the manifest's trust list, never pickle; every
input checked against the schema). MLflow is not needed to serve the package, and this module
does not import it.

Part of the serving runtime: imports only its sibling modules, NumPy and pandas.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from predictor import InputError, Predictor

# MLflow puts the package folder at the front of sys.path, so the runtime's modules are found
# by their plain names; a process that imported another "predictor" or "manifest" first
# would silently run that one instead: refuse, naming it.
_HERE = Path(__file__).resolve().parent
for _name in ("predictor", "manifest"):
    _file = getattr(sys.modules.get(_name), "__file__", None)
    if _file is None or Path(_file).resolve().parent != _HERE:
        raise ImportError(
            f"mlflow_loader: the module {_name!r} imported in this process is "
            f"{_file or 'not a file'}, not the one of this package ({_HERE}); load the "
            "model in a process that has not imported another module of that name")


class PackageModel:
    """What ``_load_pyfunc`` returns: MLflow's ``PyFuncModel`` calls ``predict``."""

    def __init__(self, predictor: Predictor):
        self.predictor = predictor

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> np.ndarray:
        """Predictions for a DataFrame (or anything ``pandas.DataFrame()`` takes) whose columns
        are the model's inputs, or for a 2-D array in the schema's column order.

        Raises ValueError naming every column at fault when the input does not fit the schema.
        """
        predictor = self.predictor
        try:
            if isinstance(model_input, np.ndarray) and model_input.ndim == 2:
                batch = predictor.from_rows(model_input.tolist())
            else:
                batch = predictor.from_columns(_columns(model_input, predictor))
            return predictor.predict(batch, probabilities=False).predictions
        except InputError as exc:
            raise ValueError(exc.message) from None


def _columns(model_input: Any, predictor: Predictor) -> dict[str, list[Any]]:
    """The frame's columns as the JSON-like values the predictor checks: missing values as
    None, NumPy scalars as Python ones, date/times as ISO 8601 strings."""
    import pandas as pd

    frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
    kinds = {c.name: c.kind for c in predictor.columns}
    columns: dict[str, list[Any]] = {}
    for name in frame.columns:
        series = frame[name]
        values = series.astype(object).where(series.notna(), None).tolist()
        if kinds.get(str(name)) == "datetime":
            values = [v.isoformat() if hasattr(v, "isoformat") else v for v in values]
        columns[str(name)] = values
    return columns


def _load_pyfunc(data_path: str, model_config: dict[str, Any] | None = None) -> PackageModel:
    """MLflow's loader entry point: ``data_path`` is the package folder (MLmodel has no
    ``data`` key)."""
    return PackageModel(Predictor(data_path))
