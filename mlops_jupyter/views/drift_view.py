"""Interactive drift view: verdict banner, severity-sorted table, column picker and the
picked column's overlaid reference/current distributions as a plotly figure.

The static rendering (HTML + inline SVG, no JavaScript) lives in :mod:`.drift_static`; it is
what ``DriftReport`` shows by itself (``_repr_html_``, ``to_html()``, ``save_html()``).
``display_drift_report`` sends both in one display bundle: front ends with a live kernel show
the widget, the others fall back to the HTML.
"""

from __future__ import annotations

import html
import json
from typing import Any

import numpy as np
import pandas as pd

from mlops_jupyter.analysis.drift import DriftReport, describe_column

from .drift_static import (
    CUR_COLOR,
    REF_COLOR,
    banner_html,
    bin_labels,
    drift_report_html,
    method_note,
    shares,
    table_html,
)
from .widget_output import show_in

__all__ = [
    "DriftReportWidget",
    "display_drift_report",
    "drift_figure",
    "drift_report_html",
    "drift_report_mimebundle",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"


# --------------------------------------------------------------------------- plotly figure


def drift_figure(report: DriftReport, column: str):
    """Plotly figure of one column: reference and current shares per bin, overlaid."""
    import plotly.graph_objects as go

    c = report.column(column)
    fig = go.Figure()
    h = c.histogram
    if h is None:
        fig.update_layout(title=f"{column}: {describe_column(c)}", height=320,
                          annotations=[{"text": "no distribution to show", "showarrow": False,
                                        "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}])
        return fig
    ref, cur = shares(h.reference), shares(h.current)
    hover = bin_labels(h)
    if h.kind == "categorical":
        x = list(h.labels)
        for name, y, color in (("reference", ref, REF_COLOR), ("current", cur, CUR_COLOR)):
            fig.add_bar(x=x, y=y, name=name, marker_color=color, customdata=hover,
                        hovertemplate="%{x}<br>%{y:.1%}<extra>" + name + "</extra>")
        fig.update_layout(barmode="group")
    else:
        edges = np.asarray(h.edges)
        centers = (edges[:-1] + edges[1:]) / 2
        width = np.diff(edges)
        x: Any = centers
        if h.kind == "datetime":
            x = pd.to_datetime(centers.astype("int64"))
            width = width / 1e6  # plotly date axes are in milliseconds
        for name, y, color in (("reference", ref, REF_COLOR), ("current", cur, CUR_COLOR)):
            fig.add_bar(x=x, y=y, width=width, name=name, marker_color=color, opacity=0.55,
                        customdata=hover,
                        hovertemplate="%{customdata}<br>%{y:.1%}<extra>" + name + "</extra>")
        fig.update_layout(barmode="overlay", bargap=0)
    status = "DRIFT" if c.drifted else "no drift"
    fig.update_layout(
        # template "none": plotly's default template adds ~10 kB of JSON to every figure
        template="none", plot_bgcolor="white",
        xaxis={"showgrid": False, "linecolor": "#999"},
        title={"text": f"{html.escape(column)} ({status}): {html.escape(describe_column(c))}",
               "font": {"size": 13}, "x": 0.01, "xanchor": "left"},
        yaxis={"title": "share of rows", "tickformat": ".0%", "gridcolor": "#eee"},
        height=340, margin={"l": 50, "r": 20, "t": 60, "b": 40},
        legend={"y": 0.98, "x": 0.99, "xanchor": "right", "yanchor": "top",
                "bgcolor": "rgba(255,255,255,0.7)"},
    )
    return fig


def _figure_bundle(fig) -> dict[str, Any]:
    # Plotly's mimetype only: its "notebook" renderers would embed plotly.js (~3 MB) per output.
    return {PLOTLY_MIME: json.loads(fig.to_json()),
            "text/plain": f"<drift figure: {fig.layout.title.text}>"}


def drift_report_mimebundle(report: DriftReport, *, include_plotly: bool = False) -> dict[str, Any]:
    """Static rendering: ``text/html`` (table, sparklines, histograms) and ``text/plain``.

    ``include_plotly=True`` adds the plotly figure JSON of the most severe column. It is off by
    default because a front end shows one mimetype per output and JupyterLab ranks plotly's above
    HTML: the figure would hide the table.
    """
    bundle: dict[str, Any] = {"text/html": drift_report_html(report),
                              "text/plain": report.summary()}
    if include_plotly:
        shown = [c for c in report.columns if c.histogram is not None]
        if shown:
            bundle[PLOTLY_MIME] = json.loads(drift_figure(report, shown[0].column).to_json())
    return bundle


# --------------------------------------------------------------------------- widget


def _widget_base():
    import ipywidgets

    return ipywidgets.VBox


class DriftReportWidget(_widget_base()):  # type: ignore[misc]
    """Interactive drift view: banner, table, column picker and the picked column's figure.

    ``picker`` is the column ``Dropdown``; ``figure`` is the plotly figure currently shown
    (rebuilt when the picker changes).
    """

    def __init__(self, report: DriftReport, **kwargs: Any) -> None:
        import ipywidgets as w

        self.report = report
        self.banner = w.HTML(
            banner_html(report)
            + f'<div style="color:#555;font-size:12px">{html.escape(method_note(report))}</div>'
        )
        self.table = w.HTML(
            f'<div style="max-height:360px;overflow:auto">{table_html(report)}</div>')
        choices = [c for c in report.columns if c.histogram is not None]
        options = [(f"{'⚠ ' if c.drifted else ''}{c.column}", c.column) for c in choices]
        self.picker = w.Dropdown(options=options, value=options[0][1] if options else None,
                                 description="column", layout=w.Layout(width="360px"))
        self.details = w.HTML()
        self.output = w.Output()
        self.figure = None
        self.picker.observe(self._on_pick, names="value")
        super().__init__([self.banner, self.table, self.picker, self.details, self.output],
                         **kwargs)
        if options:
            self._show(options[0][1])

    def _on_pick(self, change: dict[str, Any]) -> None:
        if change.get("new") is not None:
            self._show(change["new"])

    def _show(self, column: str) -> None:
        c = self.report.column(column)
        self.figure = drift_figure(self.report, column)
        self.details.value = (f'<span style="font-size:12px">{html.escape(describe_column(c))}'
                              + (f"; notes: {html.escape('; '.join(c.notes))}" if c.notes else "")
                              + "</span>")
        show_in(self.output, _figure_bundle(self.figure))


def display_drift_report(report: DriftReport) -> None:
    """Display the interactive view, with the static HTML as fallback in the same output."""
    from IPython.display import display

    static = drift_report_mimebundle(report)
    try:
        widget = DriftReportWidget(report)
        bundle = dict(widget._repr_mimebundle_() or {})
    except Exception:  # no widget support (e.g. plain IPython): the static view is complete
        bundle = {}
    bundle.update(static)
    display(bundle, raw=True)
