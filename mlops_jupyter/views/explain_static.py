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

__all__ = ["beeswarm_svg", "color_scale", "display_rows", "explanation_html", "index_label",
           "static_html", "summary_html", "value_text"]

TOP_FEATURES = 15
ROW_FEATURES = 10  # contributions listed for the one row shown
SWARM_FEATURES = 10  # features in the static beeswarm
SWARM_POINTS = 200  # rows per feature in the static beeswarm: the shape, in a few kB
POS, NEG = "#d62728", "#1f77b4"  # the red/blue convention shap users know
# low -> high feature value, blue -> red (5 steps: one SVG path each keeps the file small)
_SWARM_COLORS = ("#1f77b4", "#8a77a8", "#b0779c", "#cb4f62", "#d62728")
_NO_VALUE_COLOR = "#999999"


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


def display_rows(expl: Explanation, max_points: int) -> np.ndarray:
    """Positions of at most ``max_points`` explained rows, a seeded sample (the same picture
    every time)."""
    n = expl.values.shape[0]
    if n <= max_points:
        return np.arange(n)
    rng = np.random.default_rng(0)
    return np.sort(rng.choice(n, size=max_points, replace=False))


def color_scale(values: Any) -> np.ndarray | None:
    """Feature values scaled to 0..1 between their 5th and 95th percentiles (None when not
    numeric); NaN stays NaN."""
    try:
        v = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return np.full(len(v), np.nan)
    lo, hi = np.percentile(finite, 5), np.percentile(finite, 95)
    return np.clip((v - lo) / (hi - lo), 0, 1) if hi > lo else np.full(len(v), 0.5)


def _swarm_offsets(x: np.ndarray, bin_px: float = 3.0, step: float = 1.6,
                   limit: float = 8.0) -> np.ndarray:
    """Vertical offsets that spread points sharing an x position: 0, +1, -1, +2, -2 ... steps."""
    bins = np.floor(x / bin_px).astype(int)
    order = np.argsort(bins, kind="stable")
    ranks = np.empty(len(x), dtype=int)
    sorted_bins = bins[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_bins)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(x)]))
    ranks[order] = np.arange(len(x)) - run_start
    offsets = ((ranks + 1) // 2) * step * np.where(ranks % 2, 1, -1)
    return np.clip(offsets, -limit, limit)


def beeswarm_svg(expl: Explanation, top: int = SWARM_FEATURES,
                 max_points: int = SWARM_POINTS) -> str:
    """SVG beeswarm: one dot per (sampled) row and feature, x = SHAP value, colour = the
    feature's value (blue low, red high, grey not numeric). Empty without per-row values."""
    if not expl.has_row_values:
        return ""
    rows = display_rows(expl, max_points)
    feats = expl.feature_order(top)
    vals = expl.values[np.ix_(rows, feats)]
    finite = vals[np.isfinite(vals)]
    lim = float(np.max(np.abs(finite))) if finite.size else 1.0
    lim = lim or 1.0
    label_w, plot_w, row_h, top_pad = 170, 420, 24, 8
    width, height = label_w + plot_w + 20, top_pad + row_h * len(feats) + 44

    def px(v: np.ndarray) -> np.ndarray:
        return label_w + (v + lim) / (2 * lim) * plot_w

    paths: dict[str, list[str]] = {}
    labels = []
    for i, j in enumerate(feats):
        cy = top_pad + row_h * i + row_h / 2
        labels.append(
            f'<text x="{label_w - 8}" y="{cy + 4:.0f}" text-anchor="end">'
            f"{html.escape(expl.feature_names[j][:28])}</text>")
        x = vals[:, i]
        ok = np.isfinite(x)
        xs = px(x[ok])
        ys = cy + _swarm_offsets(xs)
        scaled = color_scale(expl.display_values(j).iloc[rows].to_numpy()[ok])
        for k in range(len(xs)):
            c = scaled[k] if scaled is not None else np.nan
            color = _NO_VALUE_COLOR if not np.isfinite(c) else \
                _SWARM_COLORS[min(int(c * len(_SWARM_COLORS)), len(_SWARM_COLORS) - 1)]
            paths.setdefault(color, []).append(f"M{xs[k]:.0f} {ys[k]:.0f}h0")
    axis_y = top_pad + row_h * len(feats)
    zero = label_w + plot_w / 2
    parts = [
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'style="font:11px sans-serif" xmlns="http://www.w3.org/2000/svg">',
        f"<title>SHAP value per row and feature ({len(rows):,} of "
        f"{expl.n_rows_explained:,} rows)</title>",
        f'<line x1="{zero:.0f}" y1="{top_pad}" x2="{zero:.0f}" y2="{axis_y}" stroke="#999"/>',
        f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + plot_w}" y2="{axis_y}" '
        'stroke="#999"/>',
        *labels,
        *(f'<path d="{"".join(d)}" stroke="{color}" stroke-width="4" stroke-linecap="round" '
          'stroke-opacity="0.8"/>' for color, d in paths.items()),
    ]
    for v, anchor in ((-lim, "start"), (0.0, "middle"), (lim, "end")):
        parts.append(f'<text x="{px(np.array(v)):.0f}" y="{axis_y + 14}" '
                     f'text-anchor="{anchor}">{html.escape(format_number(v, 3))}</text>')
    parts.append(
        f'<text x="{zero:.0f}" y="{axis_y + 30}" text-anchor="middle">SHAP value (impact on '
        f"{html.escape(expl.output_label)}); colour: feature value, "
        f'<tspan fill="{NEG}">low</tspan> to <tspan fill="{POS}">high</tspan></text>')
    parts.append("</svg>")
    return "".join(parts)


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
    """Self-contained HTML (no JavaScript): summary, importance bars, a beeswarm (SVG), one
    row's contributions.

    ``row`` is a position among the explained rows (clipped to the range).
    """
    parts = ["<div class='mlops-explanation' style='font-family:sans-serif;font-size:13px'>"]
    parts.append(summary_html(expl))
    top_items = expl.top_features(top)
    label = "mean |SHAP value|" if expl.has_row_values else "permutation importance"
    parts.append(f"<h4 style='margin:8px 0 4px'>Global importance ({label})</h4>")
    parts.append(_bars_html([n for n, _ in top_items], [v for _, v in top_items], signed=False))
    if expl.has_row_values:
        shown = min(SWARM_POINTS, expl.values.shape[0])
        parts.append(f"<h4 style='margin:8px 0 4px'>SHAP values per row ({shown:,} of "
                     f"{expl.n_rows_explained:,} rows shown)</h4>")
        parts.append(beeswarm_svg(expl))
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
