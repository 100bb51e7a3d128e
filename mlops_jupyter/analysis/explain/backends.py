"""The SHAP backends: which explainer a model gets, running it, and the fallback.

* tree models (scikit-learn forests, trees, gradient boosting; XGBoost/LightGBM when
  installed) -> ``shap.TreeExplainer`` (exact, path-dependent, no background needed);
* linear models (``coef_`` + ``intercept_``) -> ``shap.LinearExplainer`` against a background;
* anything else -> shap's model-agnostic ``Permutation`` explainer with a sampled background;
* when SHAP cannot explain the model at all -> scikit-learn permutation importance (global
  only), an :class:`Explanation` with a ``note`` saying why.

``shap`` is imported inside :func:`run_shap` only: importing it costs seconds.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .features import split_pipeline, transform
from .result import Explanation

__all__ = ["is_classifier", "model_kind", "output_fn", "permutation_importance", "run_shap"]

# Estimator class names TreeExplainer converts exactly (checked by name: importing
# xgboost/lightgbm just to test isinstance would cost seconds and they are optional).
_TREE_MODELS = {
    "sklearn": {
        "RandomForestClassifier", "RandomForestRegressor",
        "ExtraTreesClassifier", "ExtraTreesRegressor",
        "DecisionTreeClassifier", "DecisionTreeRegressor",
        "ExtraTreeClassifier", "ExtraTreeRegressor",
        "GradientBoostingClassifier", "GradientBoostingRegressor",
        "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
    },
    "xgboost": {"XGBClassifier", "XGBRegressor", "Booster"},
    "lightgbm": {"LGBMClassifier", "LGBMRegressor", "Booster"},
}
_AGNOSTIC_BACKGROUND_ROWS = 100
_LINEAR_BACKGROUND_ROWS = 1000
_PERMUTATION_IMPORTANCE_REPEATS = 5


def _qualname(est: Any) -> tuple[str, str]:
    t = type(est)
    return t.__module__.split(".")[0], t.__name__


def model_kind(est: Any) -> str:
    """The SHAP explainer ``est`` gets: ``"tree"``, ``"linear"`` or ``"permutation"``."""
    root, cls = _qualname(est)
    if cls in _TREE_MODELS.get(root, set()):
        categorical = getattr(est, "is_categorical_", None)
        if cls.startswith("HistGradientBoosting") and categorical is not None \
                and np.any(categorical):
            return "permutation"  # TreeExplainer ignores HGB's categorical splits: would be wrong
        return "tree"
    if hasattr(est, "coef_") and hasattr(est, "intercept_") and root == "sklearn" \
            and type(est).__module__.startswith(("sklearn.linear_model", "sklearn.svm")):
        return "linear"
    return "permutation"


def is_classifier(est: Any) -> bool:
    """A classifier has classes (scikit-learn's, xgboost's and lightgbm's alike)."""
    return hasattr(est, "classes_")


def output_fn(est: Any) -> Any:
    """The output the model-agnostic explainer explains: probabilities or predictions."""
    method = est.predict
    if is_classifier(est) and hasattr(est, "predict_proba"):
        method = est.predict_proba
    elif is_classifier(est) and hasattr(est, "decision_function"):
        method = est.decision_function
    names = getattr(est, "feature_names_in_", None)
    if names is None:
        return method

    def f(a: Any) -> Any:  # fitted on a frame: give it one (avoids sklearn's name warnings)
        return method(a if isinstance(a, pd.DataFrame) else pd.DataFrame(a, columns=list(names)))

    return f


def _tree_output(est: Any) -> tuple[str, Any]:
    """(output kind, function giving the model output TreeExplainer's raw values add up to)."""
    root, cls = _qualname(est)
    if root == "xgboost":
        obj = str(est.get_params().get("objective") or "") if hasattr(est, "get_params") else ""
        kind = "margin" if is_classifier(est) else "regression"
        if "logistic" in obj:
            kind = "log-odds"
        return kind, lambda a: est.predict(a, output_margin=True)
    if root == "lightgbm":
        kind = "margin" if is_classifier(est) else "regression"
        if is_classifier(est) and len(est.classes_) == 2:
            kind = "log-odds"
        return kind, lambda a: est.predict(a, raw_score=True)
    if cls.startswith(("RandomForestC", "ExtraTreesC", "DecisionTreeC", "ExtraTreeC")):
        return "probability", est.predict_proba
    if is_classifier(est):  # gradient boosting: raw = decision function
        return ("log-odds" if len(est.classes_) == 2 else "margin"), est.decision_function
    loss = str(getattr(est, "loss", ""))
    if cls.startswith("HistGradientBoosting") and loss in {"poisson", "gamma"}:
        return "log-link", lambda a: np.log(est.predict(a))
    return "regression", est.predict


def _linear_output(est: Any) -> tuple[str, Any]:
    if is_classifier(est):
        is_logistic = type(est).__name__.startswith("LogisticRegression") or (
            type(est).__name__ == "SGDClassifier" and getattr(est, "loss", "") == "log_loss"
        )
        kind = "log-odds" if is_logistic and len(est.classes_) == 2 else "margin"
        return kind, est.decision_function
    return "regression", est.predict


def _chunks(n: int) -> list[slice]:
    size = max(64, math.ceil(n / 20))  # ~20 progress updates; per-call overhead stays negligible
    return [slice(i, min(n, i + size)) for i in range(0, n, size)]


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="row", disable=not enabled, leave=False)


def _background(background: pd.DataFrame | None, pre: Any, Xt: np.ndarray,
                rng: np.random.Generator, n: int) -> np.ndarray:
    """At most ``n`` rows of reference data, transformed like ``Xt`` (default: ``Xt``)."""
    if background is None:
        bg = Xt
    else:
        bg, _ = transform(pre, background)
        bg = np.asarray(bg, dtype=float)
    if len(bg) > n:
        bg = bg[np.sort(rng.choice(len(bg), size=n, replace=False))]
    return bg


def run_shap(kind: str, est: Any, Xt: np.ndarray, background: pd.DataFrame | None, pre: Any,
             rng: np.random.Generator, random_state: int, progress: bool) -> dict[str, Any]:
    """SHAP values of ``est`` on the transformed rows ``Xt`` with the ``kind`` explainer
    (``"tree"``, ``"linear"`` or ``"permutation"``), every output kept; raises whatever
    SHAP raises when it cannot explain the model this way."""
    import shap

    n = len(Xt)
    parts: list[np.ndarray] = []
    bases: list[np.ndarray] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shap's deprecation chatter is not the user's business
        if kind == "tree":
            output_kind, out_fn = _tree_output(est)
            explainer = shap.TreeExplainer(est)
            desc = f"SHAP tree explainer, {n:,} rows"
            with _progress(n, desc, progress) as bar:
                for sl in _chunks(n):
                    # We check additivity ourselves against the estimator's own output below,
                    # so SHAP's check (which raises) is off: a gap becomes a diagnostic.
                    parts.append(np.asarray(explainer.shap_values(Xt[sl], check_additivity=False)))
                    bar.update(sl.stop - sl.start)
            values = np.concatenate(parts, axis=0)
            expected = np.asarray(explainer.expected_value, dtype=float).reshape(-1)
            base = np.broadcast_to(expected, (n, expected.size)).copy()
        elif kind == "linear":
            output_kind, out_fn = _linear_output(est)
            bg = _background(background, pre, Xt, rng, _LINEAR_BACKGROUND_ROWS)
            explainer = shap.LinearExplainer(est, bg)
            desc = f"SHAP linear explainer, {n:,} rows"
            with _progress(n, desc, progress) as bar:
                for sl in _chunks(n):
                    parts.append(np.asarray(explainer.shap_values(Xt[sl])))
                    bar.update(sl.stop - sl.start)
            values = np.concatenate(parts, axis=0)
            expected = np.asarray(explainer.expected_value, dtype=float).reshape(-1)
            base = np.broadcast_to(expected, (n, expected.size)).copy()
        else:
            out_fn = output_fn(est)
            output_kind = "margin" if is_classifier(est) else "regression"
            if is_classifier(est) and hasattr(est, "predict_proba"):
                output_kind = "probability"
            bg = _background(background, pre, Xt, rng, _AGNOSTIC_BACKGROUND_ROWS)
            masker = shap.maskers.Independent(bg, max_samples=len(bg))
            explainer = shap.explainers.Permutation(out_fn, masker, seed=random_state)
            # One antithetic permutation per row pass is exact for additive models and keeps
            # cost at (2F+1) x background predictions per row; 3 passes reduce variance.
            max_evals = 3 * (2 * Xt.shape[1] + 1)
            desc = f"SHAP permutation explainer, {n:,} rows"
            with _progress(n, desc, progress) as bar:
                for sl in _chunks(n):
                    res = explainer(Xt[sl], max_evals=max_evals, silent=True)
                    parts.append(np.asarray(res.values))
                    bases.append(np.asarray(res.base_values).reshape(sl.stop - sl.start, -1))
                    bar.update(sl.stop - sl.start)
            values = np.concatenate(parts, axis=0)
            base = np.concatenate(bases, axis=0)
    if values.ndim == 2:
        values = values[:, :, None]
    if base.shape[1] != values.shape[2]:
        base = np.broadcast_to(base[:, :1], (n, values.shape[2])).copy()
    names = getattr(est, "feature_names_in_", None)  # fitted on a frame: give it one (no warnings)
    model_in = Xt
    if names is not None and kind != "permutation":  # (output_fn gives frames itself)
        model_in = pd.DataFrame(Xt, columns=list(names))
    model_out = np.asarray(out_fn(model_in), dtype=float).reshape(n, -1)
    return {
        "explainer": kind,
        "output_kind": output_kind,
        "values": values,  # (n, F, outputs)
        "base": base,  # (n, outputs)
        "model_out": model_out,  # (n, outputs) in the explained space
    }


def permutation_importance(model: Any, X_s: pd.DataFrame, y_s: Any, *, n_total: int,
                            random_state: int, reason: str) -> Explanation:
    """Global-only fallback: scikit-learn permutation importance on the whole model."""
    from sklearn.inspection import permutation_importance

    extra = ""
    if y_s is None:
        # Without labels, measure how much shuffling a feature changes the model's own predictions.
        y_s = np.asarray(model.predict(X_s))
        extra = (" No y was given, so the target is the model's own predictions (agreement "
                 "with them).")
    result = permutation_importance(
        model, X_s, y_s, n_repeats=_PERMUTATION_IMPORTANCE_REPEATS, random_state=random_state
    )
    names = [str(c) for c in X_s.columns]
    pre, est = split_pipeline(model)
    classes = [str(c) for c in est.classes_] if is_classifier(est) else None
    return Explanation(
        values=np.zeros((0, len(names))),
        base_values=np.zeros(0),
        feature_names=names,
        data=X_s.copy(),
        explainer="permutation-importance",
        output_kind="score",
        class_names=classes,
        n_rows_total=n_total,
        n_rows_explained=len(X_s),
        note=f"{reason}. Showing scikit-learn permutation importance (drop in score when a column "
             f"is shuffled, {_PERMUTATION_IMPORTANCE_REPEATS} repeats): global only, no per-row "
             "values." + extra,
        importance=np.asarray(result.importances_mean, dtype=float),
        model_name=type(est).__name__ if pre is None else f"Pipeline({type(est).__name__})",
    )
