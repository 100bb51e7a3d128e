"""The orchestration: :func:`explain_model` checks the input, samples rows, transforms
through the pipeline, runs a SHAP backend (falling back to the next one) and picks the
class or target the explanation shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from mlops_jupyter.formatting import format_number

from .backends import is_classifier, model_kind, output_fn, permutation_importance, run_shap
from .features import feature_groups, split_pipeline, transform
from .result import Explanation, check_target, target_note

__all__ = ["explain_model"]


def explain_model(
    model: Any,
    X: pd.DataFrame,
    *,
    y: Any = None,
    background: pd.DataFrame | None = None,
    max_rows: int | None = 1000,
    class_index: int | None = None,
    random_state: int = 0,
    progress: bool = True,
    group_features: bool = False,
    keep_rows: Iterable[Any] | None = None,
    target: int | str | None = None,
) -> Explanation:
    """Explain ``model``'s outputs on (a seeded sample of at most ``max_rows`` rows of) ``X``.

    ``background`` (same columns as ``X``) is the reference data of the linear and
    model-agnostic explainers; without it a sample of ``X`` is used. ``y`` is only used by the
    permutation-importance fallback. ``keep_rows`` are index labels of ``X`` always kept in
    the sample (e.g. the row a user asked to see). Raises ``ValueError``/``TypeError`` naming
    what is wrong with the input (missing/extra columns, non-numeric data the model cannot take).

    ``target`` picks the target of a multi-output regressor (its position, or its name when
    ``y`` is a frame with named columns); default: the first, said so in the ``note``. Every
    target is explained either way: :meth:`Explanation.for_target` switches.
    """
    X = _as_frame(X, model)
    if len(X) == 0:
        raise ValueError("X has no rows: pass the rows to explain (e.g. the test set).")
    if max_rows is not None and max_rows < 1:
        raise ValueError(f"max_rows must be a positive number of rows or None, got {max_rows!r}")
    _check_fitted(model)
    X = _check_columns(model, X, "X")
    if background is not None:
        background = _check_columns(model, _as_frame(background, model), "background")
    target_names = None
    if isinstance(y, pd.DataFrame):
        target_names = [str(c) for c in y.columns]
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(
                f"y has {len(y)} values but X has {len(X)} rows: pass the labels of X's rows.")

    n_total = len(X)
    rng = np.random.default_rng(random_state)
    if max_rows is not None and n_total > max_rows:
        positions = rng.choice(n_total, size=max_rows, replace=False)
        if keep_rows is not None:
            wanted = X.index.get_indexer(list(keep_rows))
            if (wanted < 0).any():
                raise ValueError(f"keep_rows {list(keep_rows)} are not all index labels of X.")
            room = max(0, max_rows - len(np.unique(wanted)))
            others = positions[~np.isin(positions, wanted)][:room]
            positions = np.unique(np.concatenate([wanted, others]))
        positions = np.sort(positions)
        X_s = X.iloc[positions]
        y_s = None if y is None else y[positions]
    else:
        X_s, y_s = X, y

    pre, est = split_pipeline(model)
    name = type(est).__name__
    if pre is not None and isinstance(est, str):
        raise TypeError(
            "the pipeline's last step is not an estimator: pass a pipeline ending in a model.")

    non_numeric = [c for c, t in X_s.dtypes.items()  # dtypes, not X[c]: column access is slow
                   if not pd.api.types.is_numeric_dtype(t) or isinstance(t, pd.CategoricalDtype)]
    if pre is None and non_numeric:
        # Some models take raw categories (HistGradientBoosting from_dtype, custom models):
        # SHAP's maskers cannot, so those get permutation importance; others get an error.
        try:
            output_fn(est)(X_s.head(5))
        except Exception as exc:
            raise TypeError(
                f"columns {non_numeric} are not numeric ({_dtypes(X_s, non_numeric)}) and the "
                f"model cannot take them ({type(exc).__name__}: {exc}). Encode them first, e.g. "
                "explain the fitted Pipeline(ColumnTransformer(OneHotEncoder...), model) instead "
                "of the bare model."
            ) from None
        return permutation_importance(
            model, X_s, y_s, n_total=n_total, random_state=random_state,
            reason="SHAP needs numeric input and the model takes non-numeric columns "
                   f"{non_numeric} directly",
        )

    # Transform through the pipeline: the final estimator is explained on what it sees.
    try:
        Xt, feature_names = transform(pre, X_s)
    except Exception as exc:
        raise ValueError(
            f"the pipeline could not transform X ({type(exc).__name__}: {exc}); pass data shaped "
            "like the training frame."
        ) from exc
    bad = [n for n, c in zip(feature_names, Xt.T, strict=True) if c.dtype.kind not in "biuf"]
    if bad:
        raise TypeError(
            f"after the pipeline's transforms, features {bad[:10]} are not numeric; the final "
            "estimator cannot take them. Encode them in the pipeline (e.g. OneHotEncoder)."
        )
    Xt = Xt.astype(float, copy=False)
    data = pd.DataFrame(Xt, index=X_s.index, columns=feature_names)
    groups = feature_groups(pre, list(X_s.columns), feature_names) if pre is not None else {}

    common = dict(
        feature_names=feature_names,
        data=data,
        n_rows_total=n_total,
        n_rows_explained=len(X_s),
        feature_groups=groups,
        original_data=X_s.copy() if pre is not None else None,
        model_name=name if pre is None else f"Pipeline({name})",
    )

    try:
        import shap  # noqa: F401  (the expensive import, only here)
    except ImportError:
        return permutation_importance(
            model, X_s, y_s, n_total=n_total, random_state=random_state,
            reason="the shap package is not installed (pip install 'mlops-jupyter[explain]')",
        )

    notes: list[str] = []
    kind = model_kind(est)
    raw = None
    for attempt in (kind, "permutation") if kind != "permutation" else ("permutation",):
        try:
            raw = run_shap(attempt, est, Xt, background, pre, rng, random_state, progress)
            break
        except Exception as exc:  # SHAP cannot do this model this way: try the next way
            notes.append(f"{attempt} explainer failed ({type(exc).__name__}: {_short(exc)})")
    if raw is None:
        return permutation_importance(
            model, X_s, y_s, n_total=n_total, random_state=random_state,
            reason="SHAP could not explain this model: " + "; ".join(notes),
        )
    if notes:
        notes[-1] += f"; used the {raw['explainer']} explainer instead"

    expl = _assemble(raw, est, class_index, common, notes, target, target_names)
    return expl.grouped() if group_features else expl


def _short(exc: Exception, n: int = 160) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text if len(text) <= n else text[: n - 1] + "…"


def _dtypes(frame: pd.DataFrame, cols: Iterable[str]) -> str:
    return ", ".join(f"{c}: {frame[c].dtype}" for c in cols)


def _as_frame(X: Any, model: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        return X.to_frame().T
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"X must be a 2-D table (DataFrame), got an array of shape {arr.shape}.")
    names = getattr(model, "feature_names_in_", None)
    if names is not None and len(names) == arr.shape[1]:
        return pd.DataFrame(arr, columns=list(names))
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def _check_fitted(model: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not hasattr(model, "fit") and not hasattr(model, "predict"):
        raise TypeError(
            f"{type(model).__name__} is not a model: pass a fitted estimator or Pipeline.")
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ValueError(
            f"{type(model).__name__} is not fitted yet: call .fit(X, y) before explaining it."
        ) from None
    except TypeError:
        pass  # not a scikit-learn estimator (e.g. an xgboost Booster): assume fitted


def _check_columns(model: Any, X: pd.DataFrame, what: str) -> pd.DataFrame:
    expected = getattr(model, "feature_names_in_", None)
    if expected is not None:
        expected = [str(c) for c in expected]
        have = [str(c) for c in X.columns]
        missing = [c for c in expected if c not in set(have)]
        extra = [c for c in have if c not in set(expected)]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing column(s) {missing}")
            if extra:
                parts.append(f"unexpected column(s) {extra}")
            fix = (
                f"drop the unexpected ones ({what}.drop(columns={extra!r}))"
                if extra and not missing
                else f"pass {what} with exactly the columns the model was fitted on"
            )
            raise ValueError(
                f"{what} does not match the model's features: {' and '.join(parts)}. "
                f"The model was fitted on {len(expected)} columns; {fix}."
            )
        if have != expected:  # same set, other order: reorder (harmless)
            X = X.set_axis(have, axis=1)[expected]
        return X
    n_in = getattr(model, "n_features_in_", None)
    if n_in is not None and X.shape[1] != n_in:
        raise ValueError(
            f"{what} has {X.shape[1]} columns but the model was fitted on {n_in}: "
            "pass the same features, in the same order, as at fit time."
        )
    return X


def _assemble(raw: dict[str, Any], est: Any, class_index: int | None, common: dict[str, Any],
              notes: list[str], target: int | str | None = None,
              target_names: list[str] | None = None) -> Explanation:
    values, base, model_out = raw["values"], raw["base"], raw["model_out"]
    n_out = values.shape[2]
    recon = base + values.sum(axis=1)
    gap = None
    if model_out.shape == recon.shape:
        gap = float(np.max(np.abs(recon - model_out))) if len(recon) else 0.0
    classes = [str(c) for c in est.classes_] if is_classifier(est) else None
    values_by_class = base_by_class = predicted = None
    choice = None
    targets = None

    if classes is None and n_out > 1:
        # Multi-output regression: every target is explained; one is shown, and said so.
        targets = target_names if target_names and len(target_names) == n_out else [
            str(i) for i in range(n_out)]
        k = 0 if target is None else check_target(target, targets)
        choice = "first target" if target is None else "given"
        vals, b = values[:, :, k], base[:, k]
        values_by_class, base_by_class = values, base
        notes.insert(0, target_note(targets, k, choice, None))
    elif target not in (None, 0):
        raise ValueError(f"target={target!r}: this model has one output; leave target out")
    elif classes is None or n_out == 1 and len(classes) <= 1:
        k = None
        vals, b = values[:, :, 0], base[:, 0]
    elif n_out == 1:  # binary, one output (log-odds of the positive class)
        choice = "given" if class_index is not None else "positive"
        k = 1 if class_index is None else _check_class(class_index, len(classes))
        sign = 1.0 if k == 1 else -1.0  # class 0's margin is minus class 1's
        vals, b = sign * values[:, :, 0], sign * base[:, 0]
        predicted = (recon[:, 0] > 0).astype(int)
    else:
        predicted = np.argmax(recon, axis=1)
        if class_index is not None:
            k, choice = _check_class(class_index, n_out), "given"
        elif n_out == 2:
            k, choice = 1, "positive"
        else:
            k, choice = int(np.bincount(predicted, minlength=n_out).argmax()), "most-predicted"
        vals, b = values[:, :, k], base[:, k]
        if n_out > 2:
            values_by_class, base_by_class = values, base
    scale = max(1.0, float(np.max(np.abs(model_out))) if model_out.size else 1.0)
    if gap is not None and gap > 1e-2 * scale:
        notes.append(
            f"SHAP values do not add up to the model output (max gap {format_number(gap, 3)}); "
            "treat them as approximate"
        )
    return Explanation(
        values=np.ascontiguousarray(vals),
        base_values=np.ascontiguousarray(b),
        explainer=raw["explainer"],
        output_kind=raw["output_kind"],
        class_index=k,
        class_names=classes,
        note="; ".join(notes) or None,
        additivity_gap=gap,
        values_by_class=values_by_class,
        base_values_by_class=base_by_class,
        predicted_class=predicted,
        class_choice=choice,
        target_names=targets,
        **common,
    )


def _check_class(k: int, n: int) -> int:
    if not isinstance(k, (int, np.integer)) or not 0 <= k < n:
        raise ValueError(f"class_index must be an integer in 0..{n - 1}, got {k!r}")
    return int(k)

