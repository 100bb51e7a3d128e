"""The run comparison view: runs table, parallel coordinates, metric curves, final values and
the diff of two runs.

Two renderings of one :class:`~mlops_jupyter.analysis.compare.Comparison`:

- interactive (:class:`CompareView`, an ipywidgets ``VBox``): the :class:`RunsTable` (filter,
  sort, select), a metric picker with its direction, and tabs with the charts. Selecting
  rows redraws the curves, the bars and the diff; filtering redraws the parallel coordinates.
- static (:mod:`.compare_static`, what :func:`comparison_mimebundle` puts next to the widget
  and what ``Comparison.to_html()`` saves): the table and the charts as inline SVG (no
  JavaScript, no CDN: renders on GitHub, in nbconvert HTML and air-gapped).

Figures are plain plotly JSON dicts (``view.figures["parcoords"]`` ...), displayed with the
plotly mimetype in ``Output`` widgets. Building them as dicts skips plotly's validators, which
cost about a second on first use, and keeps the JSON small (values rounded to 4 digits).
``go.Figure(view.figures["curves"])`` gives a regular figure back.
"""

from __future__ import annotations

import html
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
    final_values,
    metric_curves,
    parallel_coordinates,
)
from mlops_jupyter.formatting import format_number
from mlops_jupyter.views.compare_static import (
    banner,
    best_line,
    color_of,
    comparison_html,
    run_colors,
    run_diff_html,
    static_diff,
    thin_series,
)
from mlops_jupyter.views.runs_table import RunsTable

from .widget_output import show_in

__all__ = [
    "CompareView", "bars_figure", "comparison_html", "comparison_mimebundle", "curves_figure",
    "display_comparison", "parcoords_figure",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
MAX_PARCOORDS_LINES = 2000  # best runs kept beyond this; WebGL copes, the saved JSON would not
TABS = ("Parallel coordinates", "Curves", "Final values", "Diff of two runs")


def _r(values: Sequence[float]) -> list[float | None]:
    """4 significant digits: plenty on screen, and a third of the JSON size."""
    return [None if v is None or not math.isfinite(v) else float(f"{v:.4g}") for v in values]


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


def curves_figure(curves: Sequence[Curve], metric: str, colors: Mapping[str, str] | None = None
                  ) -> dict[str, Any] | None:
    """One line per run over the steps; None when no curve."""
    if not curves:
        return None
    data = []
    for i, c in enumerate(curves):
        steps, values = thin_series(c.steps, c.values)
        data.append({"type": "scatter", "mode": "lines+markers" if len(steps) <= 40 else "lines",
                     "x": steps, "y": _r(values), "name": c.label,
                     "line": {"color": (colors or {}).get(c.run_id, color_of(i)), "width": 2},
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
             "text": [format_number(v) for v in nums], "textposition": "auto",
             "marker": {"color": [(colors or {}).get(r, color_of(i)) for i, (r, _, _) in enumerate(values)]},
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


# --------------------------------------------------------------------------- static bundle


def comparison_mimebundle(comparison: Comparison, *, include_plotly: bool = False,
                          include_diff: bool = True) -> dict[str, Any]:
    """Static rendering: ``text/html`` (table + SVG charts + diff of the two best selected runs)
    and ``text/plain``.

    ``include_plotly=True`` adds the parallel-coordinates plotly JSON. It is off by default
    because JupyterLab ranks plotly's mimetype above HTML, so without a kernel the figure
    would hide the table.
    """
    diff = static_diff(comparison) if include_diff else None
    bundle: dict[str, Any] = {"text/html": comparison_html(comparison, diff=diff,
                                                             kernel_note=True),
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
        self.banner = w.HTML(banner(comparison.messages))
        if comparison.empty:
            self.table = None
            note = "" if comparison.messages else "<i>no runs to compare</i>"
            super().__init__([self.title, self.banner, w.HTML(note)], **kwargs)
            return
        self.best_line = w.HTML()
        info = comparison.best()
        self.table = RunsTable(comparison.runs, directions=comparison.directions,
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
        self.best_line.value = best_line(self.comparison, frame)

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
        spec = curves_figure(curves, metric or "", run_colors(selected)) if curves else None
        if curves and len(curves) < len(selected):
            note = f"{len(selected) - len(curves)} selected run(s) have no steps of " \
                   f"{(metric or '').removeprefix('metrics.')}"
        self._show("curves", spec, note)

    def _draw_bars(self) -> None:
        selected = self.selected
        values, note = final_values(self.comparison, selected, self.comparison.metric)
        info = self.comparison.best()
        spec = bars_figure(values, info, run_colors(selected)) if values and info else None
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
        self.diff_html.value = (run_diff_html(self.diff) if self.diff is not None else
                                f'<div style="color:#555;font-size:12px">{html.escape(self.notes["diff"])}</div>')


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
