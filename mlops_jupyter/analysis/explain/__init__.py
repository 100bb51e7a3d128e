"""SHAP explanations of fitted models: model + pandas in, a frozen :class:`Explanation` out.

Pure analysis: no IPython, no views, no store. ``shap`` is imported when a model is
explained, never at import, because importing it costs seconds (docs/explain.md).

- :mod:`.result`: :class:`Explanation` (values, grouping, class/target selection, to_dict);
- :mod:`.features`: Pipelines and ColumnTransformers: transformed data, names, one-hot groups;
- :mod:`.backends`: the tree / linear / permutation SHAP explainers and the scikit-learn
  permutation-importance fallback;
- :mod:`.compute`: :func:`explain_model`: input checks, sampling, the fallback chain, and which
  class (multi-class) or target (multi-output) is shown.
"""

from __future__ import annotations

from .compute import explain_model
from .result import Explanation

__all__ = ["Explanation", "explain_model"]
