"""SHAP explanations of fitted models: model + pandas in, a frozen :class:`Explanation` out.

Pure analysis: no IPython, no views, no store. ``shap`` is imported inside
:func:`explain_model` only, because importing it costs seconds.

Explainer choice (see docs/explain.md):

* tree models (scikit-learn forests, trees, gradient boosting; XGBoost/LightGBM when
  installed) -> ``shap.TreeExplainer`` (exact, path-dependent, no background needed);
* linear models (``coef_`` + ``intercept_``) -> ``shap.LinearExplainer`` against a background;
* anything else -> shap's model-agnostic ``Permutation`` explainer with a sampled background;
* when SHAP cannot explain the model at all -> scikit-learn permutation importance (global
  only) with a ``note`` saying so.

Pipelines are explained at their final estimator, on the transformed data, with the names
from ``get_feature_names_out``; ``feature_groups`` maps every original column to the
transformed features it produced so one-hot columns can be summed back (``grouped()``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Explanation", "explain_model"]

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


# --------------------------------------------------------------------------- result type


@dataclass(frozen=True, eq=False)
class Explanation:
    """SHAP values of one model on a set of rows, in one output space.

    ``values[i, j]`` is feature ``j``'s contribution to row ``i``'s output for class
    ``class_index``; ``base_values[i] + values[i].sum()`` is the model output in
    ``output_kind`` space (``"probability"``, ``"log-odds"``, ``"margin"``, ``"regression"``,
    ``"log-link"``) up to ``additivity_gap``.

    Multi-class: ``values`` hold the class ``class_index`` (given by the caller, else the class
    predicted most often: ``class_choice`` says which); ``values_by_class`` hold every class,
    and :meth:`row` uses each row's own predicted class unless the caller fixed one.
    Multi-output regression (a model fitted on ``y`` with several columns): ``values`` hold the
    target ``class_index`` (given as ``target=``, else the first: ``class_choice`` is "given"
    or "first target"), ``target_names`` name the targets, ``values_by_class`` hold every
    target and :meth:`for_target` gives another; ``note`` says which target is shown and how
    to pick another.
    When SHAP could not be used (``explainer == "permutation-importance"``) ``values`` has
    zero rows and ``importance`` holds the global importances; ``note`` says why.
    """

    values: np.ndarray
    base_values: np.ndarray
    feature_names: list[str]
    data: pd.DataFrame
    explainer: str
    output_kind: str
    class_index: int | None = None
    class_names: list[str] | None = None
    n_rows_total: int = 0
    n_rows_explained: int = 0
    note: str | None = None
    additivity_gap: float | None = None
    feature_groups: dict[str, list[str]] = field(default_factory=dict)
    importance: np.ndarray | None = None
    original_data: pd.DataFrame | None = None
    values_by_class: np.ndarray | None = None
    base_values_by_class: np.ndarray | None = None
    predicted_class: np.ndarray | None = None
    class_choice: str | None = None
    model_name: str = ""
    is_grouped: bool = False
    target_names: list[str] | None = None  # multi-output regression only

    # ------------------------------------------------------------------ summaries

    @property
    def has_row_values(self) -> bool:
        """False for the permutation-importance fallback (global importances only)."""
        return self.values.shape[0] > 0

    @property
    def measure(self) -> str:
        return "permutation_importance" if not self.has_row_values else "mean_abs_shap"

    def global_importance(self) -> np.ndarray:
        if self.importance is not None:
            return np.asarray(self.importance, dtype=float)
        return np.abs(self.values).mean(axis=0)

    def to_frame(self) -> pd.DataFrame:
        """Mean |SHAP| per feature (permutation importance in the fallback), descending."""
        frame = pd.DataFrame(
            {self.measure: self.global_importance()},
            index=pd.Index(list(self.feature_names), name="feature"),
        )
        return frame.sort_values(self.measure, ascending=False, kind="stable")

    def top_features(self, k: int = 10) -> list[tuple[str, float]]:
        frame = self.to_frame().head(k)
        return [(str(name), float(v)) for name, v in frame.iloc[:, 0].items()]

    @property
    def output_label(self) -> str:
        """Human words for the explained output, e.g. "probability of class 'b'"."""
        label = {
            "probability": "probability",
            "log-odds": "log-odds",
            "margin": "raw score (margin)",
            "regression": "prediction",
            "log-link": "log of the prediction",
        }.get(self.output_kind, self.output_kind)
        if self.class_names and self.class_index is not None and self.output_kind != "regression":
            label += f" of class {self.class_names[self.class_index]!r}"
        if self.target_names and self.class_index is not None:
            label += (f" of target {self.target_names[self.class_index]!r} "
                      f"({self.class_index + 1} of {len(self.target_names)})")
        return label

    # ------------------------------------------------------------------ per row

    def row(self, i: int) -> tuple[np.ndarray, float, int | None]:
        """SHAP values, base value and class of row position ``i``.

        Uses the row's own predicted class when the class was not fixed by the caller
        (``class_choice == "most-predicted"``), else ``class_index``.
        """
        if not self.has_row_values:
            raise ValueError("this explanation has no per-row values (permutation-importance fallback)")
        k = self.class_index
        if (
            self.class_choice == "most-predicted"
            and self.values_by_class is not None
            and self.predicted_class is not None
            and self.base_values_by_class is not None
        ):
            k = int(self.predicted_class[i])
            return self.values_by_class[i, :, k], float(self.base_values_by_class[i, k]), k
        return self.values[i], float(self.base_values[i]), k

    def display_values(self, j: int) -> pd.Series:
        """Values of feature ``j`` in the user's units: the original column when the feature is
        a 1:1 transform of it (e.g. scaled), else what the final estimator saw."""
        name = self.feature_names[j]
        if self.original_data is not None:
            for group, members in self.feature_groups.items():
                if members == [name] and group in self.original_data.columns:
                    return self.original_data[group]
        return self.data.iloc[:, j]

    def position_of(self, label: Any) -> int:
        """Position among the explained rows of the row with index label ``label`` in X."""
        hits = np.flatnonzero(self.data.index == label)
        if len(hits) == 0:
            raise ValueError(
                f"row {label!r} is not among the {self.n_rows_explained:,} explained rows; explain "
                f"it with keep_rows=[{label!r}] (or max_rows=None)."
            )
        return int(hits[0])

    def for_target(self, target: int | str) -> Explanation:
        """The same explanation for another target of a multi-output regressor (index or name)."""
        if not self.target_names:
            raise ValueError("only explanations of multi-output models have other targets")
        k = _check_target(target, self.target_names)
        other = self.for_class(k)
        return replace(other, note=_target_note(self.target_names, k, "given", self.note))

    def for_class(self, k: int) -> Explanation:
        """The same explanation for class ``k`` (multi-class explanations only)."""
        if self.values_by_class is None or self.base_values_by_class is None:
            if k == self.class_index:
                return self
            raise ValueError("only multi-class explanations hold values for other classes")
        if not 0 <= k < self.values_by_class.shape[2]:
            raise ValueError(f"class index {k} out of range 0..{self.values_by_class.shape[2] - 1}")
        return replace(
            self,
            values=self.values_by_class[:, :, k],
            base_values=self.base_values_by_class[:, k],
            class_index=k,
            class_choice="given",
            importance=None,
        )

    # ------------------------------------------------------------------ grouping

    def grouped(self) -> Explanation:
        """One feature per original column: one-hot (and other derived) columns summed.

        SHAP values are additive, so a group's value is the sum of its members' values.
        ``data`` then shows the original column's values (e.g. the category, not 0/1).
        """
        if self.is_grouped or not self.feature_groups:
            return self
        index = {name: j for j, name in enumerate(self.feature_names)}
        groups: list[tuple[str, list[int]]] = []
        covered: set[int] = set()
        for group, members in self.feature_groups.items():
            cols = [index[m] for m in members if m in index]
            if cols:
                groups.append((group, cols))
                covered.update(cols)
        for j, name in enumerate(self.feature_names):  # features not in any group stay
            if j not in covered:
                groups.append((name, [j]))

        def sum_cols(arr: np.ndarray | None) -> np.ndarray | None:
            if arr is None:
                return None
            return np.stack([arr[:, cols].sum(axis=1) for _, cols in groups], axis=1)

        names = [g for g, _ in groups]
        columns = {}
        for g, cols in groups:
            if self.original_data is not None and g in self.original_data.columns:
                columns[g] = self.original_data[g].to_numpy()
            elif len(cols) == 1:
                columns[g] = self.data.iloc[:, cols[0]].to_numpy()
            else:  # a derived group without an original column: show nothing rather than guess
                columns[g] = np.full(len(self.data), np.nan)
        data = pd.DataFrame(columns, index=self.data.index)

        by_class = None
        if self.values_by_class is not None:
            by_class = np.stack(
                [sum_cols(self.values_by_class[:, :, k]) for k in range(self.values_by_class.shape[2])],
                axis=2,
            )
        importance = self.importance
        if importance is not None:  # permutation importance is not additive: keep the max
            importance = np.array([np.max(np.asarray(importance)[cols]) for _, cols in groups])
        return replace(
            self,
            values=sum_cols(self.values) if self.has_row_values else np.zeros((0, len(names))),
            feature_names=names,
            data=data,
            values_by_class=by_class,
            importance=importance,
            feature_groups={g: [self.feature_names[c] for c in cols] for g, cols in groups},
            is_grouped=True,
        )

    # ------------------------------------------------------------------ (de)serialisation

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable (no NaN/inf: they become None), reversible with :meth:`from_dict`."""
        return {
            "version": 1,
            "values": _json_array(self.values),
            "base_values": _json_array(self.base_values),
            "feature_names": list(map(str, self.feature_names)),
            "data": _frame_to_json(self.data),
            "explainer": self.explainer,
            "output_kind": self.output_kind,
            "class_index": self.class_index,
            "class_names": None if self.class_names is None else [str(c) for c in self.class_names],
            "n_rows_total": int(self.n_rows_total),
            "n_rows_explained": int(self.n_rows_explained),
            "note": self.note,
            "additivity_gap": _json_scalar(self.additivity_gap),
            "feature_groups": {str(k): list(map(str, v)) for k, v in self.feature_groups.items()},
            "importance": None if self.importance is None else _json_array(self.importance),
            "original_data": None if self.original_data is None else _frame_to_json(self.original_data),
            "values_by_class": None if self.values_by_class is None else _json_array(self.values_by_class),
            "base_values_by_class": None
            if self.base_values_by_class is None
            else _json_array(self.base_values_by_class),
            "predicted_class": None if self.predicted_class is None else [int(c) for c in self.predicted_class],
            "class_choice": self.class_choice,
            "model_name": self.model_name,
            "is_grouped": self.is_grouped,
            "target_names": self.target_names,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Explanation:
        n_features = len(d["feature_names"])

        def arr(v: Any, shape_tail: tuple[int, ...] = ()) -> np.ndarray:
            a = np.array(v, dtype=float) if v is not None else None
            if a is not None and a.size == 0:
                a = a.reshape((0, *shape_tail))
            return a

        return cls(
            values=arr(d["values"], (n_features,)),
            base_values=arr(d["base_values"]),
            feature_names=list(d["feature_names"]),
            data=_frame_from_json(d["data"]),
            explainer=d["explainer"],
            output_kind=d["output_kind"],
            class_index=d.get("class_index"),
            class_names=d.get("class_names"),
            n_rows_total=d.get("n_rows_total", 0),
            n_rows_explained=d.get("n_rows_explained", 0),
            note=d.get("note"),
            additivity_gap=d.get("additivity_gap"),
            feature_groups={k: list(v) for k, v in (d.get("feature_groups") or {}).items()},
            importance=arr(d.get("importance")),
            original_data=None if d.get("original_data") is None else _frame_from_json(d["original_data"]),
            values_by_class=arr(d.get("values_by_class")),
            base_values_by_class=arr(d.get("base_values_by_class")),
            predicted_class=None
            if d.get("predicted_class") is None
            else np.array(d["predicted_class"], dtype=int),
            class_choice=d.get("class_choice"),
            model_name=d.get("model_name", ""),
            is_grouped=bool(d.get("is_grouped", False)),
            target_names=d.get("target_names"),
        )

    def __repr__(self) -> str:
        top = ", ".join(f"{n}={v:.3g}" for n, v in self.top_features(3))
        return (
            f"Explanation({self.model_name or 'model'}, explainer={self.explainer!r}, "
            f"output={self.output_kind!r}, rows={self.n_rows_explained}/{self.n_rows_total}, "
            f"features={len(self.feature_names)}, top: {top})"
        )


def _json_scalar(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (pd.Timestamp, pd.Timedelta, np.datetime64, np.timedelta64)):
        return None if pd.isna(v) else str(v)
    if isinstance(v, str):
        return v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def _json_array(a: np.ndarray) -> list:
    a = np.asarray(a, dtype=float)
    out = a.astype(object)
    out[~np.isfinite(a)] = None
    return out.tolist()


def _frame_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "columns": [str(c) for c in frame.columns],
        "index": [_json_scalar(i) for i in frame.index],
        "numeric": [bool(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t))
                    for t in frame.dtypes],
        "values": [[_json_scalar(v) for v in frame[c].tolist()] for c in frame.columns],
    }


def _frame_from_json(d: dict[str, Any]) -> pd.DataFrame:
    cols = {}
    for name, numeric, values in zip(d["columns"], d["numeric"], d["values"], strict=True):
        if numeric:
            cols[name] = np.array([np.nan if v is None else v for v in values], dtype=float)
        else:
            cols[name] = pd.array(values, dtype=object)
    return pd.DataFrame(cols, index=pd.Index(d["index"]), columns=d["columns"])


# --------------------------------------------------------------------------- the analysis


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
            raise ValueError(f"y has {len(y)} values but X has {len(X)} rows: pass the labels of X's rows.")

    n_total = len(X)
    rng = np.random.default_rng(random_state)
    if max_rows is not None and n_total > max_rows:
        positions = rng.choice(n_total, size=max_rows, replace=False)
        if keep_rows is not None:
            wanted = X.index.get_indexer(list(keep_rows))
            if (wanted < 0).any():
                raise ValueError(f"keep_rows {list(keep_rows)} are not all index labels of X.")
            others = positions[~np.isin(positions, wanted)][: max(0, max_rows - len(np.unique(wanted)))]
            positions = np.unique(np.concatenate([wanted, others]))
        positions = np.sort(positions)
        X_s = X.iloc[positions]
        y_s = None if y is None else y[positions]
    else:
        X_s, y_s = X, y

    pre, est = _split_pipeline(model)
    name = type(est).__name__
    if pre is not None and isinstance(est, str):
        raise TypeError("the pipeline's last step is not an estimator: pass a pipeline ending in a model.")

    non_numeric = [c for c, t in X_s.dtypes.items()  # dtypes, not X[c]: column access is slow
                   if not pd.api.types.is_numeric_dtype(t) or isinstance(t, pd.CategoricalDtype)]
    if pre is None and non_numeric:
        # Some models take raw categories (HistGradientBoosting from_dtype, custom models):
        # SHAP's maskers cannot, so those get permutation importance; others get an error.
        try:
            _output_fn(est, X_s.head(5).columns)(X_s.head(5))
        except Exception as exc:
            raise TypeError(
                f"columns {non_numeric} are not numeric ({_dtypes(X_s, non_numeric)}) and the model "
                f"cannot take them ({type(exc).__name__}: {exc}). Encode them first, e.g. explain the "
                "fitted Pipeline(ColumnTransformer(OneHotEncoder...), model) instead of the bare model."
            ) from None
        return _permutation_importance(
            model, X_s, y_s, n_total=n_total, random_state=random_state,
            reason=f"SHAP needs numeric input and the model takes non-numeric columns {non_numeric} directly",
        )

    # Transform through the pipeline: the final estimator is explained on what it sees.
    try:
        Xt, feature_names = _transform(pre, X_s)
    except Exception as exc:
        raise ValueError(
            f"the pipeline could not transform X ({type(exc).__name__}: {exc}); pass data shaped like "
            "the training frame."
        ) from exc
    bad = [n for n, c in zip(feature_names, Xt.T, strict=True) if c.dtype.kind not in "biuf"]
    if bad:
        raise TypeError(
            f"after the pipeline's transforms, features {bad[:10]} are not numeric; the final "
            "estimator cannot take them. Encode them in the pipeline (e.g. OneHotEncoder)."
        )
    Xt = Xt.astype(float, copy=False)
    data = pd.DataFrame(Xt, index=X_s.index, columns=feature_names)
    groups = _feature_groups(pre, list(X_s.columns), feature_names) if pre is not None else {}

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
        return _permutation_importance(
            model, X_s, y_s, n_total=n_total, random_state=random_state,
            reason="the shap package is not installed (pip install 'mlops-jupyter[explain]')",
        )

    notes: list[str] = []
    kind = _model_kind(est)
    raw = None
    for attempt in (kind, "permutation") if kind != "permutation" else ("permutation",):
        try:
            raw = _run_shap(attempt, est, Xt, background, pre, X_s, rng, random_state, progress)
            break
        except _InputError:
            raise
        except Exception as exc:  # SHAP cannot do this model this way: try the next way
            notes.append(f"{attempt} explainer failed ({type(exc).__name__}: {_short(exc)})")
    if raw is None:
        return _permutation_importance(
            model, X_s, y_s, n_total=n_total, random_state=random_state,
            reason="SHAP could not explain this model: " + "; ".join(notes),
        )
    if notes:
        notes[-1] += f"; used the {raw['explainer']} explainer instead"

    expl = _assemble(raw, est, class_index, common, notes, target, target_names)
    return expl.grouped() if group_features else expl


class _InputError(Exception):
    """Errors about the user's input: never swallowed by the fallback chain."""


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
        raise TypeError(f"{type(model).__name__} is not a model: pass a fitted estimator or Pipeline.")
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
                f"drop the unexpected ones ({what}.drop(columns={extra!r}))" if extra and not missing
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


def _split_pipeline(model: Any) -> tuple[Any, Any]:
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        if len(model.steps) == 1:
            return None, model.steps[-1][1]
        return model[:-1], model.steps[-1][1]
    return None, model


def _transform(pre: Any, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    if pre is None:
        return X.to_numpy(), [str(c) for c in X.columns]
    Xt = pre.transform(X)
    names = None
    if isinstance(Xt, pd.DataFrame):
        names = [str(c) for c in Xt.columns]
        Xt = Xt.to_numpy()
    elif hasattr(Xt, "toarray"):  # scipy sparse (OneHotEncoder's default output)
        Xt = Xt.toarray()
    Xt = np.asarray(Xt)
    if names is None:
        try:
            names = [str(c) for c in pre.get_feature_names_out()]
        except Exception:  # a step without get_feature_names_out: positional names
            names = [f"feature_{i}" for i in range(Xt.shape[1])]
    return Xt, names


# --------------------------------------------------------------------------- feature groups


def _step_mapping(step: Any, in_names: list[str], out_names: list[str]) -> dict[str, list[str]]:
    """Which inputs each output of one transformer comes from (best effort, by structure)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if isinstance(step, ColumnTransformer):
        return _column_transformer_mapping(step, in_names, out_names)
    if isinstance(step, Pipeline):
        mapping = {n: [n] for n in in_names}
        names = in_names
        for _, sub in step.steps:
            if sub is None or sub == "passthrough":
                continue
            try:
                sub_out = [str(c) for c in sub.get_feature_names_out(names)]
            except Exception:
                return _name_mapping(in_names, out_names)
            m = _step_mapping(sub, names, sub_out)
            mapping = {o: sorted({r for i in m[o] for r in mapping.get(i, [])}) for o in sub_out}
            names = sub_out
        return mapping
    if hasattr(step, "get_support"):  # feature selectors keep a subset, names unchanged
        kept = [n for n, keep in zip(in_names, step.get_support(), strict=True) if keep]
        if len(kept) == len(out_names):
            return {o: [i] for o, i in zip(out_names, kept, strict=True)}
    if len(in_names) == len(out_names):  # one-to-one transformers (scalers, imputers...)
        return {o: [i] for o, i in zip(out_names, in_names, strict=True)}
    return _name_mapping(in_names, out_names)


def _name_mapping(in_names: list[str], out_names: list[str]) -> dict[str, list[str]]:
    """By name: ``color_red`` comes from ``color`` (longest matching prefix, OneHotEncoder style)."""
    by_len = sorted(in_names, key=len, reverse=True)
    mapping = {}
    for o in out_names:
        hit = next((i for i in by_len if o == i or o.startswith(i + "_")), None)
        mapping[o] = [hit] if hit is not None else []
    return mapping


def _column_transformer_mapping(ct: Any, in_names: list[str], out_names: list[str]) -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = {}
    pos = 0
    for _name, trans, cols in ct.transformers_:
        if trans == "drop":
            continue
        if isinstance(cols, slice) or np.ndim(cols) == 0:
            cols = [cols] if np.ndim(cols) == 0 and not isinstance(cols, slice) else list(
                np.arange(len(in_names))[cols])
        cols = list(cols)
        if len(cols) == 0:
            continue
        if all(isinstance(c, (bool, np.bool_)) for c in cols):
            cols = [in_names[i] for i, keep in enumerate(cols) if keep]
        elif all(isinstance(c, (int, np.integer)) for c in cols):
            cols = [in_names[int(i)] for i in cols]
        cols = [str(c) for c in cols]
        if trans == "passthrough":
            n_out = len(cols)
            m = {f"out{k}": [c] for k, c in enumerate(cols)}
            sub_out = list(m)
        else:
            try:
                sub_out = [str(c) for c in trans.get_feature_names_out(cols)]
            except Exception:
                sub_out = []
            n_out = len(sub_out)
            m = _step_mapping(trans, cols, sub_out)
        ct_names = out_names[pos: pos + n_out]
        for ct_name, sub_name in zip(ct_names, sub_out, strict=False):
            mapping[ct_name] = m.get(sub_name, [])
        pos += n_out
    for o in out_names:
        mapping.setdefault(o, [])
    return mapping


def _feature_groups(pre: Any, in_names: list[str], out_names: list[str]) -> dict[str, list[str]]:
    """Original column -> the transformed features that come from it alone.

    A feature made from several columns (or from none we can tell) forms its own group,
    so summing a group never double-counts.
    """
    try:
        mapping = _step_mapping(pre, in_names, out_names)
    except Exception:
        mapping = {}
    groups: dict[str, list[str]] = {}
    for o in out_names:
        src = mapping.get(o, [])
        key = src[0] if len(src) == 1 else o
        groups.setdefault(key, []).append(o)
    # order groups like the original columns, derived ones after
    order = {c: i for i, c in enumerate(in_names)}
    return dict(sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order))))


# --------------------------------------------------------------------------- explainers


def _qualname(est: Any) -> tuple[str, str]:
    t = type(est)
    return t.__module__.split(".")[0], t.__name__


def _model_kind(est: Any) -> str:
    root, cls = _qualname(est)
    if cls in _TREE_MODELS.get(root, set()):
        if cls.startswith("HistGradientBoosting") and getattr(est, "is_categorical_", None) is not None \
                and np.any(est.is_categorical_):
            return "permutation"  # TreeExplainer ignores HGB's categorical splits: would be wrong
        return "tree"
    if hasattr(est, "coef_") and hasattr(est, "intercept_") and root == "sklearn" \
            and type(est).__module__.startswith(("sklearn.linear_model", "sklearn.svm")):
        return "linear"
    return "permutation"


def _is_classifier(est: Any) -> bool:
    return hasattr(est, "classes_")


def _output_fn(est: Any, columns: Any = None) -> Any:
    """The output the model-agnostic explainer explains: probabilities or predictions."""
    method = est.predict_proba if _is_classifier(est) and hasattr(est, "predict_proba") else (
        est.decision_function if _is_classifier(est) and hasattr(est, "decision_function") else est.predict
    )
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
        kind = "log-odds" if "logistic" in obj else ("margin" if _is_classifier(est) else "regression")
        return kind, lambda a: est.predict(a, output_margin=True)
    if root == "lightgbm":
        kind = "margin" if _is_classifier(est) else "regression"
        if _is_classifier(est) and len(est.classes_) == 2:
            kind = "log-odds"
        return kind, lambda a: est.predict(a, raw_score=True)
    if cls.startswith(("RandomForestC", "ExtraTreesC", "DecisionTreeC", "ExtraTreeC")):
        return "probability", est.predict_proba
    if _is_classifier(est):  # gradient boosting: raw = decision function
        return ("log-odds" if len(est.classes_) == 2 else "margin"), est.decision_function
    loss = str(getattr(est, "loss", ""))
    if cls.startswith("HistGradientBoosting") and loss in {"poisson", "gamma"}:
        return "log-link", lambda a: np.log(est.predict(a))
    return "regression", est.predict


def _linear_output(est: Any) -> tuple[str, Any]:
    if _is_classifier(est):
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


def _background(background: pd.DataFrame | None, pre: Any, X_s: pd.DataFrame, Xt: np.ndarray,
                rng: np.random.Generator, n: int) -> np.ndarray:
    if background is None:
        bg = Xt
    else:
        bg, _ = _transform(pre, background)
        bg = np.asarray(bg, dtype=float)
    if len(bg) > n:
        bg = bg[np.sort(rng.choice(len(bg), size=n, replace=False))]
    return bg


def _run_shap(kind: str, est: Any, Xt: np.ndarray, background: pd.DataFrame | None, pre: Any,
              X_s: pd.DataFrame, rng: np.random.Generator, random_state: int,
              progress: bool) -> dict[str, Any]:
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
            bg = _background(background, pre, X_s, Xt, rng, _LINEAR_BACKGROUND_ROWS)
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
            out_fn = _output_fn(est)
            output_kind = "probability" if _is_classifier(est) and hasattr(est, "predict_proba") else (
                "margin" if _is_classifier(est) else "regression")
            bg = _background(background, pre, X_s, Xt, rng, _AGNOSTIC_BACKGROUND_ROWS)
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
    model_in = pd.DataFrame(Xt, columns=list(names)) if names is not None and kind != "permutation" else Xt
    model_out = np.asarray(out_fn(model_in), dtype=float).reshape(n, -1)
    return {
        "explainer": kind,
        "output_kind": output_kind,
        "values": values,  # (n, F, outputs)
        "base": base,  # (n, outputs)
        "model_out": model_out,  # (n, outputs) in the explained space
    }


def _assemble(raw: dict[str, Any], est: Any, class_index: int | None, common: dict[str, Any],
              notes: list[str], target: int | str | None = None,
              target_names: list[str] | None = None) -> Explanation:
    values, base, model_out = raw["values"], raw["base"], raw["model_out"]
    n_out = values.shape[2]
    recon = base + values.sum(axis=1)
    gap = None
    if model_out.shape == recon.shape:
        gap = float(np.max(np.abs(recon - model_out))) if len(recon) else 0.0
    classes = [str(c) for c in est.classes_] if _is_classifier(est) else None
    values_by_class = base_by_class = predicted = None
    choice = None
    targets = None

    if classes is None and n_out > 1:
        # Multi-output regression: every target is explained; one is shown, and said so.
        targets = target_names if target_names and len(target_names) == n_out else [
            str(i) for i in range(n_out)]
        k = 0 if target is None else _check_target(target, targets)
        choice = "first target" if target is None else "given"
        vals, b = values[:, :, k], base[:, k]
        values_by_class, base_by_class = values, base
        notes.insert(0, _target_note(targets, k, choice, None))
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
    if gap is not None and gap > 1e-2 * max(1.0, float(np.max(np.abs(model_out))) if model_out.size else 1.0):
        notes.append(
            f"SHAP values do not add up to the model output (max gap {gap:.3g}); treat them as approximate"
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


def _check_target(target: int | str, names: list[str]) -> int:
    if isinstance(target, str) and target in names:
        return names.index(target)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool) and (
            0 <= target < len(names)):
        return int(target)
    raise ValueError(
        f"target must be a target position in 0..{len(names) - 1} or one of the names "
        f"{names}, got {target!r}"
    )


def _target_note(names: list[str], k: int, choice: str, previous: str | None) -> str:
    """Which target of a multi-output model is shown, and how to show another."""
    other = (k + 1) % len(names)
    how = "the first, by default" if choice == "first target" else "as asked"
    note = (f"multi-output model with {len(names)} targets ({', '.join(map(repr, names))}): "
            f"showing target {names[k]!r} (target={k}, {how}); for another pass "
            f"target={other} or use explanation.for_target({other})")
    if previous:
        rest = [p for p in previous.split("; ") if not p.startswith("multi-output model with")]
        note = "; ".join([note, *rest])
    return note


def _check_class(k: int, n: int) -> int:
    if not isinstance(k, (int, np.integer)) or not 0 <= k < n:
        raise ValueError(f"class_index must be an integer in 0..{n - 1}, got {k!r}")
    return int(k)


def _permutation_importance(model: Any, X_s: pd.DataFrame, y_s: Any, *, n_total: int,
                            random_state: int, reason: str) -> Explanation:
    """Global-only fallback: scikit-learn permutation importance on the whole model."""
    from sklearn.inspection import permutation_importance

    extra = ""
    if y_s is None:
        # Without labels, measure how much shuffling a feature changes the model's own predictions.
        y_s = np.asarray(model.predict(X_s))
        extra = " No y was given, so the target is the model's own predictions (agreement with them)."
    result = permutation_importance(
        model, X_s, y_s, n_repeats=_PERMUTATION_IMPORTANCE_REPEATS, random_state=random_state
    )
    names = [str(c) for c in X_s.columns]
    pre, est = _split_pipeline(model)
    classes = [str(c) for c in est.classes_] if _is_classifier(est) else None
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
             f"is shuffled, {_PERMUTATION_IMPORTANCE_REPEATS} repeats): global only, no per-row values."
             + extra,
        importance=np.asarray(result.importances_mean, dtype=float),
        model_name=type(est).__name__ if pre is None else f"Pipeline({type(est).__name__})",
    )
