"""The result of an explanation: :class:`Explanation`, a frozen dataclass of SHAP values.

Pure: NumPy/pandas only. How it shows itself (``_repr_html_``, ``to_html()``,
``save_html()``) is rendered by ``views/explain_static.py``, named by string and imported only
when the object is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from mlops_jupyter.formatting import format_number
from mlops_jupyter.rendering import HtmlReport

__all__ = ["Explanation", "check_target", "target_note"]


@dataclass(frozen=True, eq=False)
class Explanation(HtmlReport):
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

    Outside a live widget it shows itself as static HTML (``_repr_html_``), and
    ``to_html()`` / ``save_html(path)`` give one self-contained page to share.

    Examples
    --------
    >>> expl = explain_model(model, X_test)                  # doctest: +SKIP
    >>> expl.top_features(3)                                 # doctest: +SKIP
    [('bmi', 27.1), ('s5', 22.9), ('bp', 11.8)]
    >>> expl.save_html("explanation.html")                   # doctest: +SKIP
    PosixPath('explanation.html')
    """

    _html_renderer: ClassVar[str] = "mlops_jupyter.views.explain_static:explanation_html"

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
        """What :meth:`global_importance` measures: ``"mean_abs_shap"`` or
        ``"permutation_importance"`` (the fallback)."""
        return "permutation_importance" if not self.has_row_values else "mean_abs_shap"

    def global_importance(self) -> np.ndarray:
        """One number per feature (in ``feature_names`` order): mean |SHAP value| over the
        explained rows, or the permutation importance of the fallback."""
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
        """The ``k`` most important features as ``(name, importance)``, largest first."""
        frame = self.to_frame().head(k)
        return [(str(name), float(v)) for name, v in frame.iloc[:, 0].items()]

    def feature_order(self, top: int | None = None) -> list[int]:
        """Positions of the features, most important first (ties keep their order);
        the first ``top`` only when given."""
        order = [int(j) for j in np.argsort(-self.global_importance(), kind="stable")]
        return order if top is None else order[:top]

    @property
    def shown_target(self) -> str | None:
        """Name of the target shown, for a multi-output regressor (else None)."""
        if self.target_names and self.class_index is not None:
            return self.target_names[self.class_index]
        return None

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
        if self.shown_target is not None:
            label += (f" of target {self.shown_target!r} "
                      f"({self.class_index + 1} of {len(self.target_names)})")
        return label

    # ------------------------------------------------------------------ per row

    def row(self, i: int) -> tuple[np.ndarray, float, int | None]:
        """SHAP values, base value and class of row position ``i``.

        Uses the row's own predicted class when the class was not fixed by the caller
        (``class_choice == "most-predicted"``), else ``class_index``.
        """
        if not self.has_row_values:
            raise ValueError(
                "this explanation has no per-row values (permutation-importance fallback)")
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
        k = check_target(target, self.target_names)
        other = self.for_class(k)
        return replace(other, note=target_note(self.target_names, k, "given", self.note))

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
                [sum_cols(self.values_by_class[:, :, k])
                 for k in range(self.values_by_class.shape[2])],
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
            "original_data": None
            if self.original_data is None
            else _frame_to_json(self.original_data),
            "values_by_class": None
            if self.values_by_class is None
            else _json_array(self.values_by_class),
            "base_values_by_class": None
            if self.base_values_by_class is None
            else _json_array(self.base_values_by_class),
            "predicted_class": None
            if self.predicted_class is None
            else [int(c) for c in self.predicted_class],
            "class_choice": self.class_choice,
            "model_name": self.model_name,
            "is_grouped": self.is_grouped,
            "target_names": self.target_names,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Explanation:
        """The explanation :meth:`to_dict` described (e.g. a stored ``explanation.json``)."""
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
            original_data=None
            if d.get("original_data") is None
            else _frame_from_json(d["original_data"]),
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

    def _html_title(self) -> str:
        return f"Explanation of {self.model_name or 'a model'}"

    def __repr__(self) -> str:
        top = ", ".join(f"{n}={format_number(v, 3)}" for n, v in self.top_features(3))
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


def check_target(target: int | str, names: list[str]) -> int:
    """Position of ``target`` (a position or a name) among a multi-output model's targets."""
    if isinstance(target, str) and target in names:
        return names.index(target)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool) and (
            0 <= target < len(names)):
        return int(target)
    raise ValueError(
        f"target must be a target position in 0..{len(names) - 1} or one of the names "
        f"{names}, got {target!r}"
    )


def target_note(names: list[str], k: int, choice: str, previous: str | None) -> str:
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

