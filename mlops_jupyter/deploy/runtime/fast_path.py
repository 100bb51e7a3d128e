"""The NumPy fast path: a linear scikit-learn model's arithmetic, without scikit-learn.

Part of the serving runtime (standard library and NumPy only: no scikit-learn, SciPy or
pandas, which take about a second to import). When the exporter finds that the model is a
supported pipeline, it writes the fitted parameters to ``fast_path.json`` and checks, on the
training rows, that :class:`FastPath` gives the model's own predictions exactly (class
labels equal; probabilities and regression values within ``PROBABILITY_TOLERANCE``). The
server then becomes ready after loading NumPy and that file; the skops model is loaded only
for what the fast path does not cover (rows with missing or non-finite values, which the
model itself judges).

Supported steps, in a ``Pipeline`` or alone: ``StandardScaler``, ``MinMaxScaler``,
``MaxAbsScaler``, ``RobustScaler`` (any number, first), then one of ``LogisticRegression``,
``LinearRegression``, ``Ridge``, ``Lasso``, ``ElasticNet``. Each step's arithmetic is that of
its scikit-learn ``transform``/``predict``, operation for operation, so a float64 row gives
the same bits (the summation order of a matrix product can still differ in the last bits
with the memory layout; hence the tolerance on probabilities).

``fast_path.json``::

    {"format_version": 1, "n_features": 30,
     "steps": [{"kind": "standard_scaler", "class": "...StandardScaler",
                "mean": [...], "scale": [...]},
               {"kind": "linear_classifier", "class": "...LogisticRegression",
                "coef": [[...]], "intercept": [...], "classes": [0, 1],
                "classes_dtype": "int64", "probability": "expit"}]}

``probability`` is how the classifier's ``predict_proba`` turns scores into probabilities:
``expit`` (binary), ``softmax`` (multinomial), ``ovr`` (one-vs-rest, normalised) or null
(no ``predict_proba``). ``describe(model)`` builds this dictionary from a fitted model (used
by the exporter, which runs where scikit-learn is installed; it reads attributes only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1
FILE_NAME = "fast_path.json"
# Probabilities (and regression values) may differ from scikit-learn's in the last bits only.
PROBABILITY_TOLERANCE = 1e-12
PROBABILITY_MODES = ("expit", "softmax", "ovr")

_SCALERS = {"StandardScaler": "standard_scaler", "MinMaxScaler": "min_max_scaler",
            "MaxAbsScaler": "max_abs_scaler", "RobustScaler": "robust_scaler"}
_CLASSIFIERS = {"LogisticRegression"}
_REGRESSORS = {"LinearRegression", "Ridge", "Lasso", "ElasticNet"}


class Unsupported(Exception):
    """The model has a step the fast path does not implement (the message names it)."""


class FastPathError(ValueError):
    """``fast_path.json`` is malformed or inconsistent (the message names the field)."""


# --------------------------------------------------------------------------- building


def _floats(value: Any) -> Any:
    if value is None:
        return None
    arr = np.asarray(value, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise Unsupported("a fitted parameter is not finite")
    return arr.tolist()


def _class_path(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _is_sklearn(obj: Any, names: Any) -> bool:
    return type(obj).__module__.startswith("sklearn.") and type(obj).__name__ in names


def _scaler(step: Any) -> dict[str, Any]:
    name = type(step).__name__
    out: dict[str, Any] = {"kind": _SCALERS[name], "class": _class_path(step)}
    if name == "StandardScaler":
        out["mean"] = _floats(step.mean_) if step.with_mean else None
        out["scale"] = _floats(step.scale_) if step.with_std else None
    elif name == "MinMaxScaler":
        out["scale"], out["min"] = _floats(step.scale_), _floats(step.min_)
        out["clip"] = [float(v) for v in step.feature_range] if step.clip else None
    elif name == "MaxAbsScaler":
        out["scale"] = _floats(step.scale_)
        out["clip"] = bool(getattr(step, "clip", False))
    else:  # RobustScaler
        out["center"] = _floats(step.center_) if step.with_centering else None
        out["scale"] = _floats(step.scale_) if step.with_scaling else None
    return out


def describe(model: Any, probability: str | None = "expit") -> dict[str, Any]:
    """The ``fast_path.json`` content of a fitted model; Unsupported when a step is not.

    probability: the classifier's mode (see the module docstring); the exporter tries the
        modes and keeps the one that reproduces ``predict_proba``.
    """
    steps = list(getattr(model, "steps", None) or [(None, model)]) \
        if _is_sklearn(model, {"Pipeline"}) else [(None, model)]
    steps = [s for _, s in steps if s is not None and not (isinstance(s, str)
                                                          and s == "passthrough")]
    if not steps:
        raise Unsupported("the pipeline has no steps")
    *head, final = steps
    out_steps = []
    for step in head:
        if not _is_sklearn(step, _SCALERS):
            raise Unsupported(f"step {_class_path(step)} is not one of "
                              f"{', '.join(sorted(_SCALERS))}")
        out_steps.append(_scaler(step))
    if _is_sklearn(final, _CLASSIFIERS):
        classes = np.asarray(final.classes_)
        if classes.dtype.kind not in "biufUO" or (classes.dtype.kind == "O" and not all(
                isinstance(c, str) for c in classes.tolist())):
            raise Unsupported(f"class labels of dtype {classes.dtype} are not supported")
        out_steps.append({
            "kind": "linear_classifier", "class": _class_path(final),
            "coef": _floats(final.coef_), "intercept": _floats(np.atleast_1d(final.intercept_)),
            "classes": classes.tolist(), "classes_dtype": classes.dtype.str
            if classes.dtype.kind != "O" else "object",
            "probability": probability if hasattr(final, "predict_proba") else None})
    elif _is_sklearn(final, _REGRESSORS):
        intercept = np.asarray(final.intercept_, dtype=np.float64)
        out_steps.append({"kind": "linear_regressor", "class": _class_path(final),
                          "coef": _floats(final.coef_),
                          "intercept": _floats(intercept) if intercept.ndim else
                          float(intercept)})
    else:
        raise Unsupported(f"final step {_class_path(final)} is not one of "
                          f"{', '.join(sorted(_CLASSIFIERS | _REGRESSORS))}")
    n_features = getattr(final if not head else head[0], "n_features_in_", None)
    if n_features is None:
        raise Unsupported("the model does not say how many features it takes")
    return {"format_version": FORMAT_VERSION, "n_features": int(n_features),
            "steps": out_steps}


# --------------------------------------------------------------------------- evaluating


def _vector(step: dict[str, Any], key: str, n: int, where: str, optional: bool = False
            ) -> np.ndarray | None:
    value = step.get(key)
    if value is None and optional:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise FastPathError(f"{where}.{key} is not a list of numbers") from None
    if arr.shape != (n,):
        raise FastPathError(f"{where}.{key} has shape {arr.shape}, expected ({n},)")
    return arr


class FastPath:
    """The evaluator of a ``fast_path.json`` dictionary (checked when built)."""

    def __init__(self, spec: dict[str, Any]):
        if not isinstance(spec, dict) or spec.get("format_version") != FORMAT_VERSION:
            raise FastPathError(f"format_version must be {FORMAT_VERSION}")
        n = spec.get("n_features")
        steps = spec.get("steps")
        if type(n) is not int or n < 1 or not isinstance(steps, list) or not steps:
            raise FastPathError("needs a positive n_features and a non-empty list of steps")
        self.n_features = n
        self._transforms: list[tuple[str, tuple[Any, ...]]] = []
        for i, step in enumerate(steps[:-1]):
            self._transforms.append(self._transform(step, n, f"steps[{i}]"))
        final = steps[-1]
        where = f"steps[{len(steps) - 1}]"
        kind = final.get("kind") if isinstance(final, dict) else None
        self.is_classifier = kind == "linear_classifier"
        self.classes: np.ndarray | None = None
        self.probability: str | None = None
        try:
            coef = np.asarray(final.get("coef"), dtype=np.float64)
            intercept = np.asarray(final.get("intercept"), dtype=np.float64)
        except (TypeError, ValueError, AttributeError):
            raise FastPathError(f"{where}: coef and intercept must be numbers") from None
        if coef.ndim not in (1, 2) or coef.shape[-1] != n:
            raise FastPathError(f"{where}.coef has shape {coef.shape}; it must end in {n}")
        if kind == "linear_classifier":
            dtype = final.get("classes_dtype")
            try:
                self.classes = np.asarray(final.get("classes"),
                                          dtype=object if dtype == "object" else dtype)
            except (TypeError, ValueError):
                raise FastPathError(f"{where}.classes do not fit classes_dtype {dtype!r}"
                                    ) from None
            k = len(self.classes)
            rows = 1 if k == 2 else k
            if k < 2 or coef.shape != (rows, n) or intercept.shape != (rows,):
                raise FastPathError(f"{where}: {k} classes need coef ({rows}, {n}) and "
                                    f"intercept ({rows},)")
            self.probability = final.get("probability")
            if self.probability not in (*PROBABILITY_MODES, None):
                raise FastPathError(f"{where}.probability must be one of {PROBABILITY_MODES}")
        elif kind == "linear_regressor":
            outputs = () if coef.ndim == 1 else (coef.shape[0],)
            if intercept.shape not in ((), outputs):
                raise FastPathError(f"{where}.intercept has shape {intercept.shape}")
        else:
            raise FastPathError(f"{where}.kind must be linear_classifier or linear_regressor")
        # scikit-learn multiplies by coef_.T (a transposed view): the same product here
        self._coef_t = coef.T
        self._intercept = intercept
        self.has_probabilities = self.is_classifier and self.probability is not None

    @staticmethod
    def _transform(step: Any, n: int, where: str) -> tuple[str, tuple[Any, ...]]:
        if not isinstance(step, dict):
            raise FastPathError(f"{where} must be an object")
        kind = step.get("kind")
        if kind == "standard_scaler":
            return kind, (_vector(step, "mean", n, where, True),
                          _vector(step, "scale", n, where, True))
        if kind == "robust_scaler":
            return kind, (_vector(step, "center", n, where, True),
                          _vector(step, "scale", n, where, True))
        if kind == "min_max_scaler":
            clip = step.get("clip")
            if clip is not None and not (isinstance(clip, list) and len(clip) == 2):
                raise FastPathError(f"{where}.clip must be null or [low, high]")
            return kind, (_vector(step, "scale", n, where), _vector(step, "min", n, where),
                          None if clip is None else (float(clip[0]), float(clip[1])))
        if kind == "max_abs_scaler":
            return kind, (_vector(step, "scale", n, where), bool(step.get("clip")))
        raise FastPathError(f"{where}.kind {kind!r} is not a known transformer")

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.array(X, dtype=np.float64)  # a copy, changed in place as scikit-learn does
        for kind, params in self._transforms:
            if kind in ("standard_scaler", "robust_scaler"):
                shift, scale = params
                if shift is not None:
                    X -= shift
                if scale is not None:
                    X /= scale
            elif kind == "min_max_scaler":
                scale, offset, clip = params
                X *= scale
                X += offset
                if clip is not None:
                    np.clip(X, clip[0], clip[1], out=X)
            else:  # max_abs_scaler
                scale, clip = params
                X /= scale
                if clip:
                    np.clip(X, -1.0, 1.0, out=X)
        return X

    def predict(self, X: np.ndarray, probabilities: bool = True
                ) -> tuple[np.ndarray, np.ndarray | None]:
        """(predictions, probabilities or None) of a finite float64 matrix (rows, n_features)."""
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected a matrix of {self.n_features} columns, got {X.shape}")
        scores = self.transform(X) @ self._coef_t + self._intercept
        if not self.is_classifier:
            return scores, None
        if scores.ndim == 2 and scores.shape[1] == 1:
            scores = scores.reshape(-1)
        if scores.ndim == 1:
            indices = (scores > 0).astype(np.intp)
        else:
            indices = scores.argmax(axis=1)
        predictions = self.classes.take(indices, axis=0)
        proba = None
        if probabilities and self.probability is not None:
            proba = self._proba(scores)
        return predictions, proba

    def _proba(self, scores: np.ndarray) -> np.ndarray:
        if scores.ndim == 1:
            if self.probability == "softmax":  # multinomial on two classes: softmax([-s, s])
                scores = np.stack([-scores, scores], axis=1)
            else:
                p = 1.0 / (1.0 + np.exp(-scores))
                return np.stack([1 - p, p], axis=1)
        if self.probability == "softmax":
            X = scores - scores.max(axis=1).reshape((-1, 1))
            np.exp(X, out=X)
            X /= X.sum(axis=1).reshape((-1, 1))
            return X
        p = 1.0 / (1.0 + np.exp(-scores))  # one-vs-rest, normalised as scikit-learn does
        p /= p.sum(axis=1).reshape((p.shape[0], -1))
        return p


def load(path: str | Path) -> FastPath:
    """The FastPath of a ``fast_path.json`` file; FastPathError naming the file if broken."""
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FastPathError(f"{path}: cannot be read as JSON ({exc})") from None
    try:
        return FastPath(spec)
    except FastPathError as exc:
        raise FastPathError(f"{path}: {exc}") from None
