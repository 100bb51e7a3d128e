"""The static form of an :class:`~mlops_jupyter.analysis.explain.Explanation`: plain HTML/CSS.

No JavaScript, no plotly, no widgets: it renders on GitHub and nbviewer, in a saved notebook,
in front ends without a widget manager, and as the page ``Explanation.to_html()`` /
``save_html()`` writes (the object names :func:`explanation_html` as its renderer). Cheap to
import: NumPy and the standard library only.

The interactive view (plotly figures, pickers) is ``views/explain_view.py``.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops_jupyter.formatting import format_number, format_value

if TYPE_CHECKING:
    from mlops_jupyter.analysis.explain import Explanation

__all__ = ["explanation_html", "index_label", "static_html", "summary_html", "value_text"]

TOP_FEATURES = 15
ROW_FEATURES = 10  # contributions listed for the one row shown
POS, NEG = "#d62728", "#1f77b4"  # the red/blue convention shap users know


def index_label(value: object) -> str:
    """An index label as people write it: 1137, not np.int64(1137); strings quoted."""
    if hasattr(value, "item"):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def value_text(value: Any) -> str:
    """A feature's value in a label (``age = 41.5``): numbers to 4 significant digits."""
    if isinstance(value, np.generic):  # np.int64(52000) reads as 52000, not 5.2e+04
        value = value.item()
    return format_value(value)


def _signed(v: float) -> str:
    text = format_number(v)
    return text if text.startswith("-") or text in ("NaN", "0") else "+" + text


def _summary_lines(expl: Explanation) -> list[str]:
    lines = [
        f"<b>{html.escape(expl.model_name or 'model')}</b> explained with the "
        f"<b>{html.escape(expl.explainer)}</b> explainer; output: {html.escape(expl.output_label)}",
    ]
    sampled = expl.n_rows_explained < expl.n_rows_total
    lines.append(
        f"{expl.n_rows_explained:,} of {expl.n_rows_total:,} rows explained"
        + (" (seeded random sample)" if sampled else "")
        + f", {len(expl.feature_names)} features"
    )
    if expl.class_choice == "most-predicted" and expl.class_names:
        lines.append(
            f"global views: class {html.escape(expl.class_names[expl.class_index])} (predicted "
            "most often); the waterfall uses each row's predicted class"
        )
    if expl.additivity_gap is not None:
        ok = expl.additivity_gap <= 1e-6
        lines.append(
            "additivity: base value + SHAP values = model output within "
            f"{format_number(expl.additivity_gap, 2)}" + ("" if ok else " (approximate)")
        )
    return lines


def _bars_html(names: list[str], vals: list[float], signed: bool) -> str:
    """One table row per value: name, a bar as long as |value|, the value."""
    m = max((abs(v) for v in vals), default=0) or 1.0
    rows = []
    for name, v in zip(names, vals, strict=True):
        width = 100 * abs(v) / m
        color = POS if (v >= 0 or not signed) else NEG
        rows.append(
            f"<tr><td style='text-align:right;padding-right:6px'>{html.escape(name)}</td>"
            f"<td style='width:260px'><div style='background:{color};height:10px;"
            f"width:{width:.1f}%'></div></td><td style='text-align:right;font-family:monospace'>"
            f"{_signed(v) if signed else format_number(v)}</td></tr>"
        )
    return "<table style='border-collapse:collapse;font-size:12px'>" + "".join(rows) + "</table>"


def summary_html(expl: Explanation) -> str:
    """What was explained, how, on how many rows; and the note (fallback, target shown...)."""
    parts = ["<div>" + "<br>".join(_summary_lines(expl)) + "</div>"]
    if expl.note:
        parts.append(
            "<div style='margin:6px 0;padding:4px 8px;border-left:3px solid #e69f00;"
            f"background:#fff8e6'><b>Note:</b> {html.escape(expl.note)}</div>"
        )
    return "".join(parts)


def static_html(expl: Explanation, row: int = 0, top: int = TOP_FEATURES) -> str:
    """Self-contained HTML (no JavaScript): summary, importance bars, one row's contributions.

    ``row`` is a position among the explained rows (clipped to the range).
    """
    parts = ["<div class='mlops-explanation' style='font-family:sans-serif;font-size:13px'>"]
    parts.append(summary_html(expl))
    top_items = expl.top_features(top)
    label = "mean |SHAP value|" if expl.has_row_values else "permutation importance"
    parts.append(f"<h4 style='margin:8px 0 4px'>Global importance ({label})</h4>")
    parts.append(_bars_html([n for n, _ in top_items], [v for _, v in top_items], signed=False))
    if expl.has_row_values:
        row = min(max(row, 0), expl.values.shape[0] - 1)
        vals, base, k = expl.row(row)
        order = np.argsort(-np.abs(vals), kind="stable")[:ROW_FEATURES]
        cls = ""
        if expl.class_names and k is not None and expl.output_kind != "regression":
            cls = f", class {html.escape(str(expl.class_names[k]))}"
        parts.append(
            f"<h4 style='margin:8px 0 4px'>Row {html.escape(index_label(expl.data.index[row]))}: "
            f"{format_number(base + vals.sum())} ({html.escape(expl.output_kind)}{cls}) = base "
            f"{format_number(base)} + contributions</h4>"
        )
        parts.append(_bars_html(
            [f"{expl.feature_names[j]} = {value_text(expl.display_values(j).iloc[row])}"
             for j in order],
            [float(vals[j]) for j in order], signed=True,
        ))
    parts.append("</div>")
    return "".join(parts)


def explanation_html(expl: Explanation) -> str:
    """The renderer ``Explanation`` names for ``_repr_html_``, ``to_html()`` and ``save_html()``."""
    return static_html(expl)
