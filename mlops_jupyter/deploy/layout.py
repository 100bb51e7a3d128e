"""What an exported package gives its serving runtime: files, input schema, reference profile.

The runtime (``deploy/runtime/``, described in its README.md) reads these; this module writes
them, from the training frame, for the exporter. Layout of a package folder:

    serve.py, app.py, predictor.py, payloads.py, metrics.py, drift_monitor.py, manifest.py,
    fast_path.py            <- the NumPy fast path of a linear pipeline (fast_path.json)
    mlflow_loader.py        <- MLflow's loader module (MLmodel, written by deploy/mlmodel.py)
    batch.py                <- offline scoring of a Parquet/CSV file (mlops-jupyter predict)
    drift_statistics.py     <- analysis/drift/statistics.py, copied (the one source)
    mlops-model.json        <- the manifest (README.md, "The manifest")
    model.skops             <- the model, saved with skops
    reference.json          <- reference_profile(training frame)
    fast_path.json          <- a linear model's parameters for the NumPy path (deploy/fast_path.py)
    README.md               <- the runtime's README (how to run and call the server)
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.drift import statistics as drift_statistics

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
RUNTIME_FILES = ("serve.py", "app.py", "predictor.py", "payloads.py", "metrics.py",
                 "drift_monitor.py", "manifest.py", "fast_path.py", "mlflow_loader.py",
                 "batch.py", "README.md")
STATISTICS_MODULE = "drift_statistics.py"  # the name the runtime imports it by
MANIFEST_NAME = "mlops-model.json"
MODEL_NAME = "model.skops"
REFERENCE_NAME = "reference.json"
FORMAT_VERSION = 1
MAX_REFERENCE_VALUES = 10_000  # numeric values kept per column; above: evenly spaced quantiles
MAX_CATEGORIES = 1000  # categories listed in the schema; above: the column takes any string
DISCRETE_MAX_UNIQUE = 5  # numeric columns with this few values are compared as categories


def copy_runtime(dest: str | Path) -> list[str]:
    """Copy the runtime files and the drift statistics module into ``dest``; their names."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_FILES:
        shutil.copyfile(RUNTIME_DIR / name, dest / name)
    shutil.copyfile(drift_statistics.__file__, dest / STATISTICS_MODULE)
    return [*RUNTIME_FILES, STATISTICS_MODULE]


def _json_scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def label(value: Any) -> str:
    """A category's name, as mj.drift and the runtime write it: 1.0 and 1 are both "1"."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def input_schema(frame: Any, reject_unseen: Iterable[str] = ()) -> dict[str, Any]:
    """The manifest's ``input_schema``: name, dtype, kind, nullable and, for categorical,
    string and boolean columns, the categories seen (up to MAX_CATEGORIES).

    reject_unseen: columns whose unseen values the server answers with 422 (e.g. those
        feeding a ``OneHotEncoder(handle_unknown="error")``); other columns pass them on.
    """
    from ..data.schema import infer_schema, schema_to_json

    reject = set(reject_unseen)
    columns = schema_to_json(infer_schema(frame))
    for item, (_, series) in zip(columns, frame.items(), strict=True):
        if item["kind"] in ("categorical", "string", "boolean"):
            seen = series.dropna().unique()
            if len(seen) <= MAX_CATEGORIES:
                item["categories"] = sorted((_json_scalar(v) for v in seen), key=str)
        if item["name"] in reject:
            item["unseen"] = "reject"
    return {"type": "dataframe", "columns": columns}


def _numeric_values(series: Any, kind: str) -> np.ndarray:
    if kind == "datetime":
        mask = series.isna().to_numpy()
        values = series.to_numpy(dtype="datetime64[ns]").view("i8").astype(np.float64)
        values[mask] = np.nan
        return values
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _numeric_profile(values: np.ndarray, max_values: int) -> dict[str, Any]:
    finite, n_inf = drift_statistics.sorted_finite(values)
    out: dict[str, Any] = {"rows": len(values), "missing": int(np.isnan(values).sum()),
                           "infinite": int(n_inf), "count": len(finite)}
    if len(finite) and drift_statistics.n_distinct_sorted(finite) <= DISCRETE_MAX_UNIQUE:
        labels, counts = np.unique(finite, return_counts=True)
        out["counts"] = {label(v): int(n) for v, n in zip(labels, counts, strict=True)}
    if len(finite) <= max_values:
        out["values"] = finite.tolist()
        out["exact"] = True
    else:
        positions = ((np.arange(max_values) + 0.5) * len(finite) / max_values).astype(np.int64)
        out["values"] = finite[positions].tolist()
        out["exact"] = False
    return out


def _categorical_profile(series: Any) -> dict[str, Any]:
    counts = series.value_counts(dropna=True, sort=False)
    labelled: dict[str, int] = {}
    for value, n in counts.items():
        if n > 0:
            key = label(value)
            labelled[key] = labelled.get(key, 0) + int(n)
    return {"rows": len(series), "missing": int(series.isna().sum()),
            "count": int(sum(labelled.values())), "counts": labelled}


def reference_profile(frame: Any, predictions: Any = None,
                      max_values: int = MAX_REFERENCE_VALUES) -> dict[str, Any]:
    """The package's ``reference.json``: per column what the live drift check compares with.

    Numeric and datetime columns keep their sorted finite values (evenly spaced quantiles of
    them above ``max_values``), categorical, string and boolean columns their category counts.
    ``predictions`` (the model's predictions on the frame) are kept the same way, for the
    metrics' prediction histogram.
    """
    from ..data.schema import column_kind

    columns: dict[str, Any] = {}
    for name, series in frame.items():
        kind = column_kind(series)
        if kind in ("numeric", "datetime"):
            profile = _numeric_profile(_numeric_values(series, kind), max_values)
        elif kind in ("categorical", "string", "boolean"):
            profile = _categorical_profile(series)
        else:
            continue  # "other": nothing the drift statistics can compare
        columns[str(name)] = {"kind": kind, **profile}
    out: dict[str, Any] = {"format_version": FORMAT_VERSION, "rows": len(frame),
                           "max_values": max_values, "columns": columns}
    if predictions is not None:
        import pandas as pd

        series = pd.Series(np.asarray(predictions))
        if column_kind(series) == "numeric" and series.nunique() > DISCRETE_MAX_UNIQUE:
            out["predictions"] = {"kind": "numeric",
                                  **_numeric_profile(_numeric_values(series, "numeric"),
                                                     max_values)}
        else:
            out["predictions"] = {"kind": "categorical", **_categorical_profile(series)}
    return out
