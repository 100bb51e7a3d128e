"""The static forms of a run comparison: HTML with the charts as inline SVG, no JavaScript.

They render on GitHub, in nbconvert HTML, in front ends without a kernel and air-gapped:

- :func:`comparison_fragment`: :class:`~mlops_jupyter.analysis.compare.Comparison`'s HTML (its
  ``_repr_html_``, ``to_html()`` and ``save_html()``): the runs table, parallel coordinates,
  final values, metric curves and the diff of the two best selected runs;
- :func:`run_diff_fragment`: :class:`~mlops_jupyter.analysis.compare.RunDiff`'s HTML;
- the pieces the interactive view (:mod:`.compare_view`) shares: :func:`best_line`,
  :func:`banner`, :func:`run_diff_html`, the run colours and :func:`thin_series`.

Nothing heavy is imported here (no plotly, no ipywidgets).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mlops_jupyter.analysis.compare import (
    Comparison,
    Curve,
    MetricInfo,
    ParallelCoordinates,
    RunDiff,
    ValueChange,
    final_values,
    metric_curves,
    parallel_coordinates,
)
from mlops_jupyter.formatting import format_number, format_value
from mlops_jupyter.views.runs_table_static import BEST_BG, runs_table_html

__all__ = [
    "banner", "bars_svg", "best_line", "color_of", "comparison_fragment", "comparison_html",
    "curves_svg", "parcoords_svg", "run_colors", "run_diff_fragment", "run_diff_html",
    "static_diff", "thin_series",
]

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
VIRIDIS = ((0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)),
           (0.75, (94, 201, 98)), (1.0, (253, 231, 37)))
MAX_STATIC_LINES = 150
MAX_CURVE_POINTS = 1000  # per run; long histories are thinned (MLflow's UI freezes on them)
MAX_STATIC_CURVE_POINTS = 200


def color_of(i: int) -> str:
    """The colour of the ``i``-th selected run, the same in every chart."""
    return PALETTE[i % len(PALETTE)]


def run_colors(run_ids: Sequence[str]) -> dict[str, str]:
    return {r: color_of(i) for i, r in enumerate(run_ids)}


def thin_series(steps: Sequence[int], values: Sequence[float],
                max_points: int = MAX_CURVE_POINTS) -> tuple[list[int], list[float]]:
    """At most ``max_points`` evenly spread points of a step series, the last one kept."""
    n = len(steps)
    if n <= max_points:
        return list(steps), list(values)
    keep = np.unique(np.r_[np.linspace(0, n - 1, max_points).astype(int), n - 1])
    return [steps[i] for i in keep], [values[i] for i in keep]


# --------------------------------------------------------------------------- SVG charts


def _viridis(t: float) -> str:
    t = min(max(t, 0.0), 1.0)
    for (a, ca), (b, cb) in zip(VIRIDIS[:-1], VIRIDIS[1:], strict=True):
        if t <= b:
            f = (t - a) / (b - a)
            rgb = [int(round(x + (y - x) * f)) for x, y in zip(ca, cb, strict=True)]
            return "#" + "".join(f"{c:02x}" for c in rgb)
    return "#fde725"


def parcoords_svg(pc: ParallelCoordinates, width: int = 760, height: int = 260) -> str:
    """Parallel coordinates as inline SVG (best ``MAX_STATIC_LINES`` runs, best on top)."""
    if not pc.axes or not pc.run_ids:
        return ""
    e = html.escape
    n_axes = len(pc.axes)
    top, bottom, left, right = 34, 22, 40, 60
    xs = [left + i * (width - left - right) / max(1, n_axes - 1) for i in range(n_axes)]
    color = np.asarray(pc.color, dtype=float)
    order = np.argsort(color if pc.direction == "max" else -color, kind="stable")
    order = order[-MAX_STATIC_LINES:]  # drawn last = on top = best
    lo_c, hi_c = float(color.min()), float(color.max())
    norm = []
    for axis in pc.axes:
        vals = np.asarray(axis.values, dtype=float)
        lo, hi = axis.range if axis.range is not None else (float(vals.min()), float(vals.max()))
        if axis.kind == "categorical" and axis.range is None:
            lo, hi = -0.5, len(axis.ticktext or ()) - 0.5
        span = (hi - lo) or 1.0
        norm.append((vals - lo) / span)
    plot_h = height - top - bottom
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="parallel coordinates" style="font:10px sans-serif">',
             '<g fill="none" stroke-opacity="0.7" stroke-width="1.2">']
    for i in order:
        t = (color[i] - lo_c) / ((hi_c - lo_c) or 1.0)
        if pc.direction == "min":
            t = 1 - t
        pts = " ".join(f"{xs[k]:.0f},{top + (1 - min(max(norm[k][i], 0), 1)) * plot_h:.0f}"
                       for k in range(n_axes))
        parts.append(f'<polyline points="{pts}" stroke="{_viridis(t)}"/>')
    parts.append("</g>")
    for k, axis in enumerate(pc.axes):
        x = xs[k]
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#333"/>')
        anchor = "end" if k == n_axes - 1 else ("start" if k == 0 else "middle")
        parts.append(f'<text x="{x:.1f}" y="{top - 18}" text-anchor="{anchor}" font-weight="bold">'
                     f"{e(axis.label[:22])}</text>")
        vals = np.asarray(axis.values, dtype=float)
        if axis.ticktext:
            lo, hi = axis.range if axis.range is not None else (-0.5, len(axis.ticktext) - 0.5)
            ticks = list(zip(axis.tickvals, axis.ticktext, strict=True))[:12]
        else:
            lo, hi = float(vals.min()), float(vals.max())
            ticks = [(lo, format_number(lo)), (hi, format_number(hi))] if hi > lo else [(lo, format_number(lo))]
        span = (hi - lo) or 1.0
        for value, text in ticks:
            y = top + (1 - (value - lo) / span) * plot_h if hi > lo or axis.ticktext else top + plot_h / 2
            parts.append(f'<text x="{x + 3:.1f}" y="{y + 3:.1f}" fill="#444">{e(str(text)[:14])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(values: Sequence[tuple[str, str, float]], info: MetricInfo,
             colors: Mapping[str, str] | None = None, width: int = 560) -> str:
    """The final value of each run as horizontal bars, best first and starred."""
    if not values:
        return ""
    e = html.escape
    label_w, bar_h = 220, 18
    height = 10 + len(values) * (bar_h + 4)
    nums = [v for _, _, v in values]
    lo, hi = min(nums), max(nums)
    span = (hi - lo) or abs(hi) or 1.0
    start = lo - span * 0.5 if lo > 0 and lo - span * 0.5 > 0 else min(0.0, lo - span * 0.1)
    scale = (width - label_w - 70) / ((hi - start) or 1.0)
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="final values" style="font:11px sans-serif">']
    for i, (run_id, label, v) in enumerate(values):
        y = 5 + i * (bar_h + 4)
        w = max(1.0, (v - start) * scale)
        star = "★ " if i == 0 else ""
        parts.append(f'<text x="{label_w - 4}" y="{y + 13}" text-anchor="end">{e(star + label[:34])}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                     f'fill="{(colors or {}).get(run_id, color_of(i))}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{e(format_number(v))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def curves_svg(curves: Sequence[Curve], colors: Mapping[str, str] | None = None,
               width: int = 560, height: int = 200) -> str:
    """One line per run over the steps."""
    if not curves:
        return ""
    e = html.escape
    left, right, top, bottom = 50, 10, 10, 20
    all_x = [s for c in curves for s in c.steps]
    all_y = [v for c in curves for v in c.values if math.isfinite(v)]
    if not all_y:
        return ""
    x0, x1 = min(all_x), max(all_x)
    y0, y1 = min(all_y), max(all_y)
    sx = (width - left - right) / ((x1 - x0) or 1)
    sy = (height - top - bottom) / ((y1 - y0) or 1)
    parts = [f'<svg width="{width}" height="{height + 16 * len(curves)}" role="img" '
             f'aria-label="metric curves" style="font:10px sans-serif">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#999"/>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{e(format_number(y1))}</text>',
             f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end">{e(format_number(y0))}</text>',
             f'<text x="{left}" y="{height - 6}">step {x0}</text>',
             f'<text x="{width - right}" y="{height - 6}" text-anchor="end">{x1}</text>']
    for i, c in enumerate(curves):
        steps, values = thin_series(c.steps, c.values, MAX_STATIC_CURVE_POINTS)
        pts = " ".join(f"{left + (s - x0) * sx:.1f},{height - bottom - (v - y0) * sy:.1f}"
                       for s, v in zip(steps, values, strict=True) if math.isfinite(v))
        color = (colors or {}).get(c.run_id, color_of(i))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.6"/>')
        parts.append(f'<text x="{left}" y="{height + 12 + 16 * i}" fill="{color}">&#9632; {e(c.label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- the comparison


def banner(messages: Sequence[str]) -> str:
    """The comparison's messages (unknown ids, a bad filter...) in a yellow box."""
    if not messages:
        return ""
    items = "".join(f'<pre style="margin:0;white-space:pre-wrap;font-size:12px">{html.escape(m)}</pre>'
                    for m in messages)
    return (f'<div style="background:#fff3cd;border:1px solid #e0c36a;border-radius:4px;'
            f'padding:6px 10px;margin-bottom:6px">{items}</div>')


def best_line(comparison: Comparison, runs: pd.DataFrame | None = None) -> str:
    """``best accuracy (higher is better): 0.95 in run-3 ab12cd34`` among ``runs`` (default:
    all runs of the comparison; the widget passes the rows its filter kept)."""
    frame = comparison.runs if runs is None else runs
    info = comparison.best_in(frame)
    if info is None:
        return ""
    if info.best_run_id is None:
        return f'<div style="font-size:13px">no run has a value of <b>{html.escape(info.key)}</b></div>'
    row = frame.loc[frame["run_id"] == info.best_run_id].iloc[0]
    return (f'<div style="font-size:13px">best <b>{html.escape(info.key)}</b> '
            f'({html.escape(info.direction_text)}): <b style="background:{BEST_BG};padding:0 4px">'
            f"{html.escape(format_number(info.best_value))}</b> in <b>{html.escape(str(row['name']))}</b> "
            f"<code>{html.escape(info.best_run_id[:8])}</code></div>")


def comparison_html(comparison: Comparison, *, diff: RunDiff | None = None,
                    kernel_note: bool = False) -> str:
    """Self-contained HTML (inline SVG, no JavaScript) of the comparison.

    ``kernel_note`` ends it with a line saying the interactive view needs a kernel (for the
    copy saved next to the widget in a notebook).
    """
    e = html.escape
    out = ['<div class="mlops-compare" style="font-family:sans-serif;font-size:13px;max-width:1100px">',
           f'<div style="font-weight:bold;font-size:14px">{e(comparison.title)}</div>',
           banner(comparison.messages)]
    if comparison.empty:
        if not comparison.messages:
            out.append("<i>no runs to compare</i>")
        out.append("</div>")
        return "".join(out)
    frame = comparison.runs
    out.append(best_line(comparison))
    info = comparison.best()
    out.append(runs_table_html(frame, directions=comparison.directions,
                               sort_by=comparison.metric,
                               ascending=info is not None and info.direction == "min",
                               selected=comparison.selected))
    selected = list(comparison.selected)
    colors = run_colors(selected)
    section = '<div style="margin-top:10px"><b>{}</b></div>'
    pc = parallel_coordinates(frame, comparison.param_columns, comparison.metric,
                              info.direction if info else "max")
    svg = parcoords_svg(pc)
    out.append(section.format("Parameters vs " + e((comparison.metric or "").removeprefix("metrics."))))
    out.append(svg or f'<div style="color:#555">{e(pc.message or "nothing to draw")}</div>')
    if pc.notes:
        out.append(f'<div style="color:#666;font-size:11px">{e("; ".join(pc.notes))}</div>')
    if info is not None:
        values, note = final_values(comparison, selected, comparison.metric)
        out.append(section.format(f"Final {e(info.key)} of the selected runs"))
        out.append(bars_svg(values, info, colors) or f'<div style="color:#555">{e(note or "")}</div>')
        curve_metric = comparison.metric if info.has_steps else next(iter(comparison.step_metrics), None)
        if curve_metric:
            curves, note = metric_curves(comparison, selected, curve_metric)
            out.append(section.format(f"{e(curve_metric.removeprefix('metrics.'))} by step"))
            out.append(curves_svg(curves, colors) or f'<div style="color:#555">{e(note or "")}</div>')
    if diff is not None:
        out.append(f'<details style="margin-top:10px"><summary style="cursor:pointer"><b>Diff</b>: '
                   f"{e(diff.a_name)} vs {e(diff.b_name)}</summary>{run_diff_html(diff)}</details>")
    if kernel_note:
        out.append('<div style="color:#888;font-size:11px;margin-top:6px">static copy: run the '
                   "cell with a kernel for the interactive view</div>")
    out.append("</div>")
    return "".join(out)


def static_diff(comparison: Comparison) -> RunDiff | None:
    """The diff of the first two selected runs, or None (no run source, a deleted run)."""
    if comparison.source is None or len(comparison.selected) < 2:
        return None
    try:
        return comparison.diff(comparison.selected[0], comparison.selected[1])
    except Exception:  # noqa: BLE001 - the static copy must not fail on a deleted run
        return None


def comparison_fragment(comparison: Comparison) -> str:
    """:class:`Comparison`'s static HTML (``_repr_html_``, ``to_html``, ``save_html``), with the
    diff of its two best selected runs when their records can be read."""
    return comparison_html(comparison, diff=static_diff(comparison))


# --------------------------------------------------------------------------- the diff of two runs


_CHANGED_BG = "#fff3cd"
_ADD_BG, _DEL_BG = "#e6ffed", "#ffeef0"


def run_diff_html(diff: RunDiff) -> str:
    """The diff of two runs (no JavaScript): changed values marked, the code diff coloured."""
    e = html.escape
    cell = 'style="padding:2px 8px;border-bottom:1px solid #eee;vertical-align:top"'

    def table(title: str, changes: Sequence[ValueChange]) -> str:
        if not changes:
            return f"<div><b>{e(title)}</b>: none</div>"
        n = sum(c.changed for c in changes)
        rows = []
        for c in changes:
            bg = f"background:{_CHANGED_BG};" if c.changed else ""
            mark = "&#9679; " if c.changed else ""
            rows.append(f'<tr style="{bg}"><td {cell}>{mark}{e(str(c.key))}</td>'
                        f"<td {cell}>{e(format_value(c.a))}</td><td {cell}>{e(format_value(c.b))}</td>"
                        f'<td {cell} style="color:#666">{e(c.status if c.changed else "")}</td></tr>')
        return (f'<div style="margin-top:6px"><b>{e(title)}</b> ({n} of {len(changes)} differ)'
                f'<table style="border-collapse:collapse;font-size:12px"><thead><tr>'
                f'<th {cell}></th><th {cell}>A</th><th {cell}>B</th><th {cell}></th></tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table></div>')

    out = [
        '<div class="mlops-run-diff" style="font-family:sans-serif;font-size:13px">',
        f"<div><b>A</b> = {e(diff.a_name)} <code>{e(diff.a_run_id[:8])}</code> &nbsp; "
        f"<b>B</b> = {e(diff.b_name)} <code>{e(diff.b_run_id[:8])}</code></div>",
        table("params", diff.params),
        table("metrics", diff.metrics),
    ]
    if diff.code_a is None and diff.code_b is None:
        out.append('<div style="margin-top:6px"><b>code</b>: not recorded for these runs</div>')
    elif diff.same_code:
        out.append('<div style="margin-top:6px"><b>code</b>: identical cell source</div>')
    else:
        lines = []
        for line in diff.code_diff:
            if line.startswith(("+++", "---")):
                style = "color:#666"
            elif line.startswith("+"):
                style = f"background:{_ADD_BG}"
            elif line.startswith("-"):
                style = f"background:{_DEL_BG}"
            elif line.startswith("@@"):
                style = "color:#6f42c1"
            else:
                style = ""
            lines.append(f'<div style="{style};white-space:pre">{e(line) or "&nbsp;"}</div>')
        out.append('<div style="margin-top:6px"><b>code</b> (cell source, A &rarr; B)'
                   '<div style="font-family:monospace;font-size:12px;border:1px solid #ddd;'
                   f'padding:4px;max-height:320px;overflow:auto">{"".join(lines)}</div></div>')
    env = []
    if diff.python:
        env.append(f"<li>python: {e(str(diff.python[0]))} &rarr; {e(str(diff.python[1]))}</li>")
    env.extend(f"<li>{e(p.package)}: {e(p.a or '(not imported)')} &rarr; {e(p.b or '(not imported)')}</li>"
               for p in diff.packages)
    out.append('<div style="margin-top:6px"><b>environment</b>: '
               + (f"<ul style='margin:2px 0'>{''.join(env)}</ul>" if env else "same package versions")
               + "</div>")
    if diff.inputs:
        items = "".join(
            f"<li>{e(i.role)}: "
            + (f'<span style="color:#2e7d32">{e(i.details)}</span>' if i.same_content
               else f'<span style="background:{_CHANGED_BG}">{e(i.details)}</span>')
            + "</li>" for i in diff.inputs)
        out.append(f'<div style="margin-top:6px"><b>data</b><ul style="margin:2px 0">{items}</ul></div>')
    else:
        out.append('<div style="margin-top:6px"><b>data</b>: no snapshots recorded</div>')
    out.append("</div>")
    return "".join(out)


def run_diff_fragment(diff: RunDiff) -> str:
    """:class:`RunDiff`'s static HTML (``_repr_html_``, ``to_html``, ``save_html``)."""
    return run_diff_html(diff)
