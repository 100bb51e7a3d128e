"""The exporter's half of the NumPy fast path: ``fast_path.json``, written only when exact.

The runtime's ``fast_path.py`` (copied into every package) evaluates a linear scikit-learn
pipeline with NumPy alone, so a served package becomes ready without importing
scikit-learn, SciPy or pandas. This module builds its parameter file from the fitted model
and checks it on the training rows against the model itself (``model.predict`` and
``predict_proba`` on the DataFrame, the in-notebook answers): class labels must be equal,
probabilities and regression values within the runtime's ``PROBABILITY_TOLERANCE``. Any
difference, or a step the runtime does not implement, and no file is written: the package
serves through the skops model as before. The manifest's ``fast_path`` says which, and why.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .layout import RUNTIME_DIR

CHECK_ROWS = 100_000  # training rows the fast path is compared on (the first ones)


@cache
def runtime_module() -> ModuleType:
    """The runtime's fast_path.py, loaded from its file (the runtime is not a package)."""
    spec = importlib.util.spec_from_file_location("_mlops_runtime_fast_path",
                                                  RUNTIME_DIR / "fast_path.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def check(model: Any, spec: dict[str, Any], frame: Any) -> tuple[bool, float, int, str]:
    """(equal, largest difference, rows compared, what differed) of the fast path described
    by ``spec`` against ``model`` on the complete rows of ``frame``."""
    rt = runtime_module()
    fast = rt.FastPath(spec)
    X = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    complete = np.isfinite(X).all(axis=1)
    rows = frame[complete].head(CHECK_ROWS)
    X = np.ascontiguousarray(X[complete][:CHECK_ROWS])
    if not len(rows):
        return False, float("nan"), 0, "the training data has no row without missing values"
    predictions, proba = fast.predict(X, True)
    expected = np.asarray(model.predict(rows))
    if expected.shape != predictions.shape:
        return False, float("inf"), len(rows), "prediction shapes differ"
    if fast.is_classifier:
        if not np.array_equal(expected, predictions):
            return False, float("inf"), len(rows), "predicted classes differ"
        diff = 0.0
        if proba is not None:
            diff = _max_diff(np.asarray(model.predict_proba(rows), dtype=np.float64), proba)
    else:
        diff = _max_diff(expected.astype(np.float64), predictions)
    if not diff <= rt.PROBABILITY_TOLERANCE:
        return False, diff, len(rows), f"values differ by up to {diff:.3g}"
    return True, diff, len(rows), ""


def write_fast_path(folder: Path, model: Any, frame: Any) -> dict[str, Any]:
    """Write ``folder/fast_path.json`` when the fast path reproduces ``model`` on ``frame``
    (the training rows, in the model's column order); the manifest's ``fast_path`` entry:
    ``{"file", "steps", "checked_rows", "max_abs_diff"}``, or ``{"file": None, "reason"}``."""
    from pandas.api.types import is_numeric_dtype  # booleans count as numeric

    rt = runtime_module()
    if not all(is_numeric_dtype(dtype) for dtype in frame.dtypes):
        return {"file": None, "reason": "not every input column is numeric or boolean"}
    final = model.steps[-1][1] if hasattr(model, "steps") and model.steps else model
    # predict_proba's mode depends on the model and the scikit-learn version: the check,
    # not a rule, decides which reproduces it
    modes = rt.PROBABILITY_MODES if hasattr(final, "predict_proba") else (None,)
    closest = (float("inf"), "")  # the mode that came nearest says why none matched
    for mode in modes:
        try:
            spec = rt.describe(model, mode)
        except rt.Unsupported as exc:
            return {"file": None, "reason": str(exc)}
        equal, diff, n, reason = check(model, spec, frame)
        if not diff >= closest[0]:
            closest = (diff, reason)
        if equal:
            path = folder / rt.FILE_NAME
            path.write_text(json.dumps(spec, allow_nan=False) + "\n", encoding="utf-8")
            return {"file": rt.FILE_NAME, "steps": [s["class"] for s in spec["steps"]],
                    "checked_rows": n, "max_abs_diff": diff}
    return {"file": None,
            "reason": f"the NumPy path does not reproduce the model: {closest[1]}"}
