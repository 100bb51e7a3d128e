"""The run comparison view: runs table, parallel coordinates, metric curves, final values and
the diff of two runs.

Two renderings of one :class:`~mlops_jupyter.analysis.compare.Comparison`:

- interactive (:class:`CompareView`, an ipywidgets ``VBox``): the :class:`RunsTable` (filter,
  sort, select), a metric picker with its direction, and tabs with the charts. Selecting
  rows redraws the curves, the bars and the diff; filtering redraws the parallel coordinates.
- static (:func:`comparison_mimebundle`): ``text/html`` with the table and the charts as
  inline SVG (no JavaScript, no CDN: renders on GitHub, in nbconvert HTML and air-gapped).

Figures are plain plotly JSON dicts (``view.figures["parcoords"]`` ...), displayed with the
plotly mimetype in ``Output`` widgets. Building them as dicts skips plotly's validators, which
cost about a second on first use, and keeps the JSON small (values rounded to 4 digits).
``go.Figure(view.figures["curves"])`` gives a regular figure back.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mlops_jupyter.analysis.compare import (
    Comparison,
    Curve,
    MetricInfo,
    ParallelCoordinates,
    RunDiff,
    _fmt,
    final_values,
    metric_curves,
    parallel_coordinates,
)
from mlops_jupyter.views.runs_table import RunsTable, runs_table_html

from .widget_output import show_in

__all__ = [
    "CompareView", "bars_figure", "comparison_html", "comparison_mimebundle", "curves_figure",
    "display_comparison", "parcoords_figure",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
VIRIDIS = ((0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)),
           (0.75, (94, 201, 98)), (1.0, (253, 231, 37)))
MAX_PARCOORDS_LINES = 2000  # best runs kept beyond this; WebGL copes, the saved JSON would not
MAX_STATIC_LINES = 150
MAX_CURVE_POINTS = 1000  # per run; long histories are thinned (MLflow's UI freezes on them)
TABS = ("Parallel coordinates", "Curves", "Final values", "Diff of two runs")


def _r(values: Sequence[float]) -> list[float | None]:
    """4 significant digits: plenty on screen, and a third of the JSON size."""
    return [None if v is None or not math.isfinite(v) else float(f"{v:.4g}") for v in values]


def _color_of(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


# --------------------------------------------------------------------------- figures (dicts)


def _layout(title: str, height: int, **extra: Any) -> dict[str, Any]:
    layout = {"title": {"text": title, "font": {"size": 13}}, "height": height,
              "margin": {"l": 60, "r": 30, "t": 60, "b": 40}, "paper_bgcolor": "white",
              "plot_bgcolor": "white", "font": {"size": 11}}
    layout.update(extra)
    return layout


def parcoords_figure(pc: ParallelCoordinates) -> dict[str, Any] | None:
    """Plotly JSON of a parallel-coordinates plot; None when there is nothing to draw."""
    if not pc.axes or len(pc.run_ids) == 0:
        return None
    idx = np.arange(len(pc.run_ids))
    if len(idx) > MAX_PARCOORDS_LINES:
        color = np.asarray(pc.color)
        order = np.argsort(-color if pc.direction == "max" else color, kind="stable")
        idx = np.sort(order[:MAX_PARCOORDS_LINES])
    dims = []
    for axis in pc.axes:
        values = np.asarray(axis.values)[idx]
        dim: dict[str, Any] = {"label": axis.label, "values": _r(values.tolist())}
        if axis.tickvals is not None:
            dim["tickvals"] = _r(axis.tickvals)
            dim["ticktext"] = [t[:18] for t in axis.ticktext]
        if axis.range is not None:
            dim["range"] = _r(axis.range)
        dims.append(dim)
    metric = (pc.metric or "").removeprefix("metrics.")
    trace = {
        "type": "parcoords",
        "dimensions": dims,
        "line": {"color": _r(np.asarray(pc.color)[idx].tolist()), "colorscale": "Viridis",
                 # the best runs are drawn yellow whichever way the metric improves
                 "reversescale": pc.direction == "min", "showscale": True,
                 "colorbar": {"title": {"text": metric}, "thickness": 12}},
        "labelangle": -20 if len(dims) > 8 else 0,
    }
    shown = f"{len(idx)} runs" + (f" (best {len(idx)} of {len(pc.run_ids)})"
                                  if len(idx) < len(pc.run_ids) else "")
    arrow = "↑" if pc.direction == "max" else "↓"
    return {"data": [trace], "layout": _layout(f"params vs {metric} {arrow}: {shown}", 420,
                                               margin={"l": 70, "r": 40, "t": 90, "b": 30})}


def _thin(steps: Sequence[int], values: Sequence[float]) -> tuple[list[int], list[float]]:
    n = len(steps)
    if n <= MAX_CURVE_POINTS:
        return list(steps), list(values)
    keep = np.unique(np.r_[np.linspace(0, n - 1, MAX_CURVE_POINTS).astype(int), n - 1])
    return [steps[i] for i in keep], [values[i] for i in keep]


def curves_figure(curves: Sequence[Curve], metric: str, colors: Mapping[str, str] | None = None
                  ) -> dict[str, Any] | None:
    """One line per run over the steps; None when no curve."""
    if not curves:
        return None
    data = []
    for i, c in enumerate(curves):
        steps, values = _thin(c.steps, c.values)
        data.append({"type": "scatter", "mode": "lines+markers" if len(steps) <= 40 else "lines",
                     "x": steps, "y": _r(values), "name": c.label,
                     "line": {"color": (colors or {}).get(c.run_id, _color_of(i)), "width": 2},
                     "marker": {"size": 4}})
    key = metric.removeprefix("metrics.")
    return {"data": data, "layout": _layout(
        f"{key} by step ({len(curves)} runs)", 360,
        xaxis={"title": {"text": "step"}, "gridcolor": "#eee", "zeroline": False},
        yaxis={"title": {"text": key}, "gridcolor": "#eee", "zeroline": False},
        legend={"orientation": "h", "y": -0.2}, hovermode="x unified")}


def bars_figure(values: Sequence[tuple[str, str, float]], info: MetricInfo,
                colors: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """Horizontal bars of the metric's final value per run, best at the top."""
    if not values:
        return None
    labels = [("★ " if i == 0 else "") + label for i, (_, label, _) in enumerate(values)]
    nums = [v for _, _, v in values]
    trace = {"type": "bar", "orientation": "h", "y": labels, "x": _r(nums),
             "text": [_fmt(v) for v in nums], "textposition": "auto",
             "marker": {"color": [(colors or {}).get(r, _color_of(i)) for i, (r, _, _) in enumerate(values)]},
             "hovertemplate": "%{y}: %{x}<extra></extra>"}
    lo, hi = min(nums), max(nums)
    span = (hi - lo) or abs(hi) or 1.0
    # start near the smallest value: 0.951 vs 0.958 must not look equal
    start = lo - span * 0.5 if lo > 0 and lo - span * 0.5 > 0 else min(0.0, lo - span * 0.1)
    return {"data": [trace], "layout": _layout(
        f"{info.key} ({info.direction_text})", 80 + 28 * len(values),
        xaxis={"range": _r([start, hi + span * 0.1]), "gridcolor": "#eee"},
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 10, "r": 30, "t": 40, "b": 30})}


# --------------------------------------------------------------------------- static SVG


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
            ticks = [(lo, _fmt(lo)), (hi, _fmt(hi))] if hi > lo else [(lo, _fmt(lo))]
        span = (hi - lo) or 1.0
        for value, text in ticks:
            y = top + (1 - (value - lo) / span) * plot_h if hi > lo or axis.ticktext else top + plot_h / 2
            parts.append(f'<text x="{x + 3:.1f}" y="{y + 3:.1f}" fill="#444">{e(str(text)[:14])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(values: Sequence[tuple[str, str, float]], info: MetricInfo,
             colors: Mapping[str, str] | None = None, width: int = 560) -> str:
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
                     f'fill="{(colors or {}).get(run_id, _color_of(i))}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{e(_fmt(v))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def curves_svg(curves: Sequence[Curve], colors: Mapping[str, str] | None = None,
               width: int = 560, height: int = 200) -> str:
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
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{e(_fmt(y1))}</text>',
             f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end">{e(_fmt(y0))}</text>',
             f'<text x="{left}" y="{height - 6}">step {x0}</text>',
             f'<text x="{width - right}" y="{height - 6}" text-anchor="end">{x1}</text>']
    for i, c in enumerate(curves):
        steps, values = _thin(c.steps, c.values)
        if len(steps) > 200:
            keep = np.unique(np.r_[np.linspace(0, len(steps) - 1, 200).astype(int), len(steps) - 1])
            steps, values = [steps[k] for k in keep], [values[k] for k in keep]
        pts = " ".join(f"{left + (s - x0) * sx:.1f},{height - bottom - (v - y0) * sy:.1f}"
                       for s, v in zip(steps, values, strict=True) if math.isfinite(v))
        color = (colors or {}).get(c.run_id, _color_of(i))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.6"/>')
        parts.append(f'<text x="{left}" y="{height + 12 + 16 * i}" fill="{color}">&#9632; {e(c.label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- static bundle


def _banner(messages: Sequence[str]) -> str:
    if not messages:
        return ""
    items = "".join(f'<pre style="margin:0;white-space:pre-wrap;font-size:12px">{html.escape(m)}</pre>'
                    for m in messages)
    return (f'<div style="background:#fff3cd;border:1px solid #e0c36a;border-radius:4px;'
            f'padding:6px 10px;margin-bottom:6px">{items}</div>')


def _best_line(comparison: Comparison, frame: Any) -> str:
    info = comparison.best()
    if info is None:
        return ""
    if frame is not comparison.runs:
        from dataclasses import replace

        from mlops_jupyter.analysis.compare import _metric_info

        info = _metric_info(frame, info.name, info.direction, info.direction_known, info.has_steps) \
            if not frame.empty else replace(info, best_run_id=None, best_value=None)
    if info.best_run_id is None:
        return f'<div style="font-size:13px">no run has a value of <b>{html.escape(info.key)}</b></div>'
    row = frame.loc[frame["run_id"] == info.best_run_id].iloc[0]
    return (f'<div style="font-size:13px">best <b>{html.escape(info.key)}</b> '
            f'({html.escape(info.direction_text)}): <b style="background:#d4edda;padding:0 4px">'
            f"{html.escape(_fmt(info.best_value))}</b> in <b>{html.escape(str(row['name']))}</b> "
            f"<code>{html.escape(info.best_run_id[:8])}</code></div>")


def _run_colors(run_ids: Sequence[str]) -> dict[str, str]:
    return {r: _color_of(i) for i, r in enumerate(run_ids)}


def _directions(comparison: Comparison) -> dict[str, str]:
    return {name: info.direction for name, info in comparison.metrics.items()}


def comparison_html(comparison: Comparison, *, diff: RunDiff | None = None) -> str:
    """Self-contained HTML (inline SVG, no JavaScript) of the comparison."""
    e = html.escape
    out = ['<div class="mlops-compare" style="font-family:sans-serif;font-size:13px;max-width:1100px">',
           f'<div style="font-weight:bold;font-size:14px">{e(comparison.title)}</div>',
           _banner(comparison.messages)]
    if comparison.empty:
        if not comparison.messages:
            out.append("<i>no runs to compare</i>")
        out.append("</div>")
        return "".join(out)
    frame = comparison.runs
    out.append(_best_line(comparison, frame))
    info = comparison.best()
    out.append(runs_table_html(frame, directions=_directions(comparison),
                               sort_by=comparison.metric,
                               ascending=info is not None and info.direction == "min",
                               selected=comparison.selected))
    selected = list(comparison.selected)
    colors = _run_colors(selected)
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
                   f"{e(diff.a_name)} vs {e(diff.b_name)}</summary>{diff.to_html()}</details>")
    out.append('<div style="color:#888;font-size:11px;margin-top:6px">static copy: run the cell '
               "with a kernel for the interactive view</div></div>")
    return "".join(out)


def _static_diff(comparison: Comparison) -> RunDiff | None:
    if comparison.source is None or len(comparison.selected) < 2:
        return None
    try:
        return comparison.diff(comparison.selected[0], comparison.selected[1])
    except Exception:  # noqa: BLE001 - the static copy must not fail on a deleted run
        return None


def comparison_mimebundle(comparison: Comparison, *, include_plotly: bool = False,
                          include_diff: bool = True) -> dict[str, Any]:
    """Static rendering: ``text/html`` (table + SVG charts + diff of the two best selected runs)
    and ``text/plain``.

    ``include_plotly=True`` adds the parallel-coordinates plotly JSON. It is off by default
    because JupyterLab ranks plotly's mimetype above HTML, so without a kernel the figure
    would hide the table.
    """
    diff = _static_diff(comparison) if include_diff else None
    bundle: dict[str, Any] = {"text/html": comparison_html(comparison, diff=diff),
                              "text/plain": comparison.summary()}
    if include_plotly and not comparison.empty:
        info = comparison.best()
        fig = parcoords_figure(parallel_coordinates(
            comparison.runs, comparison.param_columns, comparison.metric,
            info.direction if info else "max"))
        if fig is not None:
            bundle[PLOTLY_MIME] = fig
    return bundle


# --------------------------------------------------------------------------- widget


def _widget_base():
    import ipywidgets

    return ipywidgets.VBox


class CompareView(_widget_base()):  # type: ignore[misc]
    """Interactive comparison. Drive it like a user: ``table`` (a :class:`RunsTable`),
    ``metric_dropdown``, ``direction_toggle``, ``scope_toggle`` (parallel coordinates of the
    table's runs or of the selected ones), ``curve_dropdown``, ``tabs``, ``diff_a``/``diff_b``.
    Read ``figures`` (plotly JSON dicts or None), ``notes`` (why a chart is empty) and
    ``diff`` (the current :class:`RunDiff`).
    """

    def __init__(self, comparison: Comparison, **kwargs: Any) -> None:
        import ipywidgets as w

        self.comparison = comparison
        self.figures: dict[str, dict[str, Any] | None] = {"parcoords": None, "curves": None, "bars": None}
        self.notes: dict[str, str] = {"parcoords": "", "curves": "", "bars": "", "diff": ""}
        self.diff: RunDiff | None = None
        self._diff_cache: dict[tuple[str, str], RunDiff | str] = {}
        self._quiet = False
        self.title = w.HTML(f'<div style="font-weight:bold;font-size:14px">{html.escape(comparison.title)}</div>')
        self.banner = w.HTML(_banner(comparison.messages))
        if comparison.empty:
            self.table = None
            note = "" if comparison.messages else "<i>no runs to compare</i>"
            super().__init__([self.title, self.banner, w.HTML(note)], **kwargs)
            return
        self.best_line = w.HTML()
        info = comparison.best()
        self.table = RunsTable(comparison.runs, directions=_directions(comparison),
                               selected=comparison.selected, filter=comparison.filter,
                               sort_by=comparison.metric,
                               ascending=info.direction == "min" if info else None)
        options = [(f"{m.removeprefix('metrics.')} {comparison.metrics[m].arrow}", m)
                   for m in comparison.metric_columns]
        self.metric_dropdown = w.Dropdown(options=options, value=comparison.metric,
                                          description="metric", layout=w.Layout(width="300px"))
        self.direction_toggle = w.ToggleButtons(
            options=[("higher is better", "max"), ("lower is better", "min")],
            value=info.direction if info else "max", style={"button_width": "auto"})
        self.scope_toggle = w.ToggleButtons(options=[("runs in table", "table"), ("selected runs", "selected")],
                                            value="table", style={"button_width": "auto"})
        self.curve_dropdown = w.Dropdown(description="curve of", layout=w.Layout(width="300px"))
        self.diff_a = w.Dropdown(description="A", layout=w.Layout(width="360px"))
        self.diff_b = w.Dropdown(description="B", layout=w.Layout(width="360px"))
        self.outputs = {k: w.Output() for k in ("parcoords", "curves", "bars")}
        self.note_html = {k: w.HTML() for k in ("parcoords", "curves", "bars")}
        self.diff_html = w.HTML()
        self.tabs = w.Tab(children=[
            w.VBox([self.scope_toggle, self.note_html["parcoords"], self.outputs["parcoords"]]),
            w.VBox([self.curve_dropdown, self.note_html["curves"], self.outputs["curves"]]),
            w.VBox([self.note_html["bars"], self.outputs["bars"]]),
            w.VBox([w.HBox([self.diff_a, self.diff_b]), self.diff_html]),
        ])
        for i, name in enumerate(TABS):
            self.tabs.set_title(i, name)
        self.table.on_change(self._on_table)
        self.metric_dropdown.observe(self._on_metric, names="value")
        self.direction_toggle.observe(self._on_direction, names="value")
        self.scope_toggle.observe(lambda _: self._draw_parcoords(), names="value")
        self.curve_dropdown.observe(lambda _: self._draw_curves(), names="value")
        self.diff_a.observe(lambda _: self._draw_diff(), names="value")
        self.diff_b.observe(lambda _: self._draw_diff(), names="value")
        self.tabs.observe(lambda _: self._draw_diff(), names="selected_index")
        controls = w.HBox([self.metric_dropdown, self.direction_toggle])
        super().__init__([self.title, self.banner, self.best_line, self.table, controls, self.tabs],
                         **kwargs)
        self._sync_curve_options()
        self._last_filtered: tuple[str, ...] | None = None
        self._on_table(self.table)

    # -- reading ---------------------------------------------------------------------------
    @property
    def selected(self) -> list[str]:
        return list(self.table.selected) if self.table is not None else []

    @property
    def metric(self) -> str | None:
        return self.comparison.metric

    def figure(self, name: str):
        """``figures[name]`` as a ``plotly.graph_objects.Figure`` (None when empty)."""
        spec = self.figures.get(name)
        if spec is None:
            return None
        import plotly.graph_objects as go

        return go.Figure(spec)

    # -- events ----------------------------------------------------------------------------
    def _on_table(self, table: RunsTable) -> None:
        selected = tuple(table.selected)
        missing = [r for r in selected if r not in self.comparison.histories]
        if missing and self.comparison.source is not None:
            try:
                self.comparison = self.comparison.with_histories(self.comparison.source.histories(missing))
            except Exception as exc:  # noqa: BLE001 - the store went away: say so, keep the rest
                self.notes["curves"] = f"could not load metric histories: {exc}"
            self._sync_curve_options()
        self._update_best()
        filtered = tuple(table.filtered["run_id"])
        if self.scope_toggle.value == "selected" or filtered != self._last_filtered:
            self._draw_parcoords()
            self._last_filtered = filtered
        self._draw_curves()
        self._draw_bars()
        self._sync_diff_options()

    def _on_metric(self, change: dict) -> None:
        if self._quiet or change.get("new") is None:
            return
        self.comparison = self.comparison.with_metric(change["new"])
        info = self.comparison.best()
        with self._hold():
            self.direction_toggle.value = info.direction
        self.table.sort(info.name, info.direction == "min")  # best first: redraws via _on_table
        if info.has_steps:
            self.curve_dropdown.value = info.name
        self._draw_parcoords()

    def _on_direction(self, change: dict) -> None:
        if self._quiet or self.comparison.metric is None:
            return
        self.comparison = self.comparison.with_direction(self.comparison.metric, change["new"])
        info = self.comparison.best()
        self.table.set_directions({info.name: info.direction})
        with self._hold():
            self.metric_dropdown.options = [
                (f"{m.removeprefix('metrics.')} {self.comparison.metrics[m].arrow}", m)
                for m in self.comparison.metric_columns]
            self.metric_dropdown.value = info.name
        self.table.sort(info.name, info.direction == "min")
        self._draw_parcoords()

    def _hold(self):
        view = self

        class _Quiet:
            def __enter__(self):
                view._quiet = True

            def __exit__(self, *exc):
                view._quiet = False

        return _Quiet()

    # -- drawing ---------------------------------------------------------------------------
    def _show(self, name: str, spec: dict[str, Any] | None, note: str | None) -> None:

        self.figures[name] = spec
        self.notes[name] = note or ""
        self.note_html[name].value = (f'<div style="color:#555;font-size:12px">{html.escape(note)}</div>'
                                      if note else "")
        show_in(self.outputs[name], None if spec is None else
                {PLOTLY_MIME: spec, "text/plain": f"<{name} figure>"})

    def _update_best(self) -> None:
        frame = self.table.filtered if self.table.error is None else self.comparison.runs
        self.best_line.value = _best_line(self.comparison, frame)

    def _draw_parcoords(self) -> None:
        info = self.comparison.best()
        frame = self.table.filtered
        if self.scope_toggle.value == "selected":
            frame = frame[frame["run_id"].isin(self.table.selected)]
            if frame.empty:
                self._show("parcoords", None, "select runs in the table (or switch to 'runs in table')")
                return
        pc = parallel_coordinates(frame, self.comparison.param_columns, self.comparison.metric,
                                  info.direction if info else "max")
        spec = None if pc.message and len(pc.axes) <= 1 else parcoords_figure(pc)
        notes = [n for n in (pc.message, *pc.notes) if n]
        self._show("parcoords", spec, "; ".join(notes))

    def _sync_curve_options(self) -> None:
        steps = list(self.comparison.step_metrics)
        options = [(m.removeprefix("metrics."), m) for m in steps]
        with self._hold():
            current = self.curve_dropdown.value
            self.curve_dropdown.options = options
            if current in steps:
                self.curve_dropdown.value = current
            elif self.comparison.metric in steps:
                self.curve_dropdown.value = self.comparison.metric
            elif steps:
                self.curve_dropdown.value = steps[0]
        self.curve_dropdown.layout.display = "" if steps else "none"

    def _draw_curves(self) -> None:
        if self._quiet:
            return
        selected = self.selected
        metric = self.curve_dropdown.value or self.comparison.metric
        curves, note = metric_curves(self.comparison, selected, metric)
        spec = curves_figure(curves, metric or "", _run_colors(selected)) if curves else None
        if curves and len(curves) < len(selected):
            note = f"{len(selected) - len(curves)} selected run(s) have no steps of " \
                   f"{(metric or '').removeprefix('metrics.')}"
        self._show("curves", spec, note)

    def _draw_bars(self) -> None:
        selected = self.selected
        values, note = final_values(self.comparison, selected, self.comparison.metric)
        info = self.comparison.best()
        spec = bars_figure(values, info, _run_colors(selected)) if values and info else None
        if values and len(values) < len(selected):
            note = f"{len(selected) - len(values)} selected run(s) have no value of {info.key}"
        self._show("bars", spec, note)

    def _sync_diff_options(self) -> None:
        labels = {r: f"{n} ({r[:8]})" for r, n in zip(self.comparison.runs["run_id"],
                                                       self.comparison.runs["name"], strict=True)}
        options = [(labels[r], r) for r in self.selected]
        with self._hold():
            a, b = self.diff_a.value, self.diff_b.value
            self.diff_a.options = options
            self.diff_b.options = options
            ids = [r for _, r in options]
            self.diff_a.value = a if a in ids else (ids[0] if ids else None)
            rest = [r for r in ids if r != self.diff_a.value]
            self.diff_b.value = b if b in rest else (rest[0] if rest else None)
        self._draw_diff()

    def _draw_diff(self) -> None:
        if self._quiet:
            return
        a, b = self.diff_a.value, self.diff_b.value
        if len(self.selected) < 2 or a is None or b is None:
            self.diff = None
            self.notes["diff"] = "select two runs in the table to diff them"
        elif a == b:
            self.diff = None
            self.notes["diff"] = "pick two different runs"
        elif self.tabs.selected_index != TABS.index("Diff of two runs"):
            return  # loading two records is deferred until the tab is opened
        elif self.comparison.source is None:
            self.diff = None
            self.notes["diff"] = "this comparison has no run source to read records from"
        else:
            key = (a, b)
            if key not in self._diff_cache:
                try:
                    self._diff_cache[key] = self.comparison.diff(a, b)
                except Exception as exc:  # noqa: BLE001 - a deleted run: say which, keep the view
                    self._diff_cache[key] = f"could not diff these runs: {exc}"
            found = self._diff_cache[key]
            self.diff = found if isinstance(found, RunDiff) else None
            self.notes["diff"] = "" if self.diff is not None else str(found)
        self.diff_html.value = (self.diff.to_html() if self.diff is not None else
                                f'<div style="color:#555;font-size:12px">{html.escape(self.notes["diff"])}</div>')

    def static_html(self) -> str:
        return comparison_html(self.comparison, diff=self.diff)


def display_comparison(comparison: Comparison) -> None:
    """Display the interactive view, with the static HTML fallback in the same output."""
    from IPython.display import display

    static = comparison_mimebundle(comparison)
    try:
        view = CompareView(comparison)
        bundle = dict(view._repr_mimebundle_() or {})
    except ImportError:  # no ipywidgets: the static view is complete
        bundle = {}
    # widget first (live kernel); text/html for saved notebooks, nbconvert and GitHub. The
    # plotly JSON stays inside the widget: a front end ranking it above the widget mimetype
    # would show one static figure instead of the view.
    bundle.update(static)
    display(bundle, raw=True)


def _json_size(bundle: Mapping[str, Any]) -> int:
    return len(json.dumps(bundle))
