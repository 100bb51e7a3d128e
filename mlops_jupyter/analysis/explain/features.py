"""Features of a scikit-learn Pipeline: the final estimator, the transformed data and its
names, and which original column each transformed feature comes from.

Pipelines are explained at their final estimator, on the transformed data, with the names
from ``get_feature_names_out``; :func:`feature_groups` maps every original column to the
transformed features it produced (one-hot columns, scaled copies) so they can be summed back
(``Explanation.grouped()``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["feature_groups", "split_pipeline", "transform"]


def split_pipeline(model: Any) -> tuple[Any, Any]:
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        if len(model.steps) == 1:
            return None, model.steps[-1][1]
        return model[:-1], model.steps[-1][1]
    return None, model


def transform(pre: Any, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
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
    """By name: ``color_red`` comes from ``color`` (longest matching prefix, as OneHotEncoder
    names its outputs)."""
    by_len = sorted(in_names, key=len, reverse=True)
    mapping = {}
    for o in out_names:
        hit = next((i for i in by_len if o == i or o.startswith(i + "_")), None)
        mapping[o] = [hit] if hit is not None else []
    return mapping


def _column_transformer_mapping(ct: Any, in_names: list[str],
                                out_names: list[str]) -> dict[str, list[str]]:
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


def feature_groups(pre: Any, in_names: list[str], out_names: list[str]) -> dict[str, list[str]]:
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

