"""Drift report view: verdict banner, severity-sorted table with sparklines, column picker and
overlaid reference/current distributions.

Two renderings of the same ``DriftReport``:

- interactive: an ipywidgets ``VBox`` (banner, table, column picker, plotly figure shown in an
  ``Output``); picking a column redraws the figure;
- static: ``text/html`` with inline SVG sparklines and per-column overlaid histograms, no
  JavaScript, so a saved notebook, nbconvert HTML, GitHub or VS Code still show the result.

``display_drift_report`` sends both in one display bundle: front ends with a live kernel show
the widget, the others fall back to the HTML. Everything is drawn from the report's
aggregated bins, so the output size does not grow with the number of rows.
"""

from __future__ import annotations

import html
import json
from typing import Any

import numpy as np
import pandas as pd

from mlops_jupyter.analysis.drift import ColumnDrift, DriftReport, Histogram, describe_column

from .widget_output import show_in

__all__ = [
    "DriftReportWidget",
    "display_drift_report",
    "drift_figure",
    "drift_report_html",
    "drift_report_mimebundle",
]

REF_COLOR = "#7f8c9b"
CUR_COLOR = "#e8710a"
DRIFT_COLOR = "#c0392b"
OK_COLOR = "#2e7d32"
MAX_DETAILED = 30  # columns with a full static histogram (the table lists them all)
PLOTLY_MIME = "application/vnd.plotly.v1+json"
REPORT_MIME = "application/vnd.mlops-jupyter.drift+json"


# --------------------------------------------------------------------------- shared helpers


def _shares(counts: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(counts, dtype=float)
    total = arr.sum()
    return arr / total if total > 0 else arr


def _fmt(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "-"
    if pct:
        return f"{x:.1%}"
    if x == 0:
        return "0"
    if abs(x) < 1e-3 or abs(x) >= 1e4:
        return f"{x:.2e}"
    return f"{x:.3g}"


def _bin_labels(h: Histogram) -> list[str]:
    if h.kind == "categorical":
        return list(h.labels)
    edges = np.asarray(h.edges)
    if h.kind == "datetime":
        times = pd.to_datetime(edges.astype("int64"))
        return [f"{a:%Y-%m-%d %H:%M} - {b:%Y-%m-%d %H:%M}" for a, b in zip(times[:-1], times[1:], strict=True)]
    return [f"{a:.4g} - {b:.4g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _verdict(report: DriftReport) -> tuple[str, str]:
    broken = report.broken
    # Columns that cannot be compared any more are named in the banner, whatever the share.
    tail = (f"; {len(broken)} can no longer be compared: {', '.join(broken)}" if broken else "")
    if report.dataset_drift:
        text = (f"Dataset drift detected: {report.n_drifted} of {report.n_columns} columns drifted "
                f"({report.share_drifted:.0%}, threshold {report.drift_share_threshold:.0%}){tail}")
        return text, DRIFT_COLOR
    if report.n_drifted:
        text = (f"No dataset drift, but {report.n_drifted} of {report.n_columns} columns drifted "
                f"({report.share_drifted:.0%}, dataset threshold "
                f"{report.drift_share_threshold:.0%}){tail}")
        return text, DRIFT_COLOR if broken else "#b9770e"
    return f"No drift: 0 of {report.n_columns} columns drifted", OK_COLOR


def _method_note(report: DriftReport) -> str:
    parts = [f"reference {report.n_reference:,} rows, current {report.n_current:,} rows",
             f"method {report.method if isinstance(report.method, str) else 'per column'}"]
    if report.correction:
        parts.append(f"p-values corrected ({report.correction})")
    if report.sample:
        parts.append(f"sampled {report.sample:,} rows per frame")
    if report.missing_in_current:
        parts.append("only in reference: " + ", ".join(report.missing_in_current[:10]))
    if report.missing_in_reference:
        parts.append("only in current: " + ", ".join(report.missing_in_reference[:10]))
    parts.extend(report.notes)
    return "; ".join(parts)


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
    ref, cur = _shares(h.reference), _shares(h.current)
    hover = _bin_labels(h)
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
    return {PLOTLY_MIME: json.loads(fig.to_json()), "text/plain": f"<drift figure: {fig.layout.title.text}>"}


# --------------------------------------------------------------------------- static HTML


def _sparkline(h: Histogram | None, width: int = 120, height: int = 26) -> str:
    if h is None or not h.reference:
        return ""
    ref, cur = _shares(h.reference), _shares(h.current)
    top = max(ref.max(initial=0), cur.max(initial=0)) or 1.0
    n = len(ref)
    step = width / n

    grouped = h.kind == "categorical"  # categories side by side, bins overlaid

    def bars(values: np.ndarray, color: str, opacity: float, shift: int) -> str:
        rects = []
        for i, v in enumerate(values):
            bh = v / top * (height - 2)
            if bh <= 0:
                continue
            if grouped:
                x, w = i * step + shift * step / 2, max(step / 2 - 0.6, 0.6)
            else:
                x, w = i * step, max(step - 0.4, 0.6)
            rects.append(f'<rect x="{x:.1f}" y="{height - bh:.1f}" width="{w:.1f}" height="{bh:.1f}"/>')
        return f'<g fill="{color}" fill-opacity="{opacity}">{"".join(rects)}</g>'

    opacity = 0.85 if grouped else 0.55
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="distribution">'
            f'{bars(ref, REF_COLOR, opacity, 0)}{bars(cur, CUR_COLOR, opacity, 1)}</svg>')


def _detail_svg(h: Histogram, width: int = 460, height: int = 150) -> str:
    ref, cur = _shares(h.reference), _shares(h.current)
    top = max(ref.max(initial=0), cur.max(initial=0)) or 1.0
    labels = _bin_labels(h)
    n = len(ref)
    plot_h = height - 20
    step = width / n
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="reference and current distributions" style="font:10px sans-serif">']
    grouped = h.kind == "categorical"
    for i in range(n):
        for j, (values, color) in enumerate(((ref, REF_COLOR), (cur, CUR_COLOR))):
            v = values[i]
            bh = v / top * (plot_h - 4)
            if grouped:
                x, w = i * step + j * step / 2 + 0.5, max(step / 2 - 1, 0.6)
            else:
                x, w = i * step, max(step - 0.5, 0.6)
            parts.append(f'<rect x="{x:.1f}" y="{plot_h - bh:.1f}" width="{w:.1f}" height="{bh:.1f}" '
                         f'fill="{color}" fill-opacity="{0.85 if grouped else 0.55}">'
                         f'<title>{html.escape(labels[i])}: {"reference" if j == 0 else "current"} '
                         f'{v:.1%}</title></rect>')
    parts.append(f'<line x1="0" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="#999"/>')
    if grouped:
        for i, lab in enumerate(labels[:12]):
            parts.append(f'<text x="{i * step + 2:.1f}" y="{height - 6}">{html.escape(lab[:10])}</text>')
    else:
        first, last = labels[0].split(" - ")[0], labels[-1].split(" - ")[-1]
        parts.append(f'<text x="0" y="{height - 6}">{html.escape(first)}</text>')
        parts.append(f'<text x="{width}" y="{height - 6}" text-anchor="end">{html.escape(last)}</text>')
    parts.append("</svg>")
    return "".join(parts)


_TABLE_HEAD = ("column", "kind", "test", "statistic", "p-value", "distance", "PSI", "threshold",
               "missing ref / cur", "distribution", "")


def drift_report_html(report: DriftReport) -> str:
    """Self-contained HTML (inline SVG, no JavaScript) of the whole report."""
    text, color = _verdict(report)
    e = html.escape
    out = [
        '<div class="mlops-drift" style="font-family:sans-serif;font-size:13px;max-width:1100px">',
        f'<div style="background:{color};color:white;padding:8px 12px;border-radius:4px;'
        f'font-weight:bold">{e(text)}</div>',
        f'<div style="color:#555;margin:4px 0 8px 0;font-size:12px">{e(_method_note(report))}. '
        f'<span style="color:{REF_COLOR}">&#9632; reference</span> '
        f'<span style="color:{CUR_COLOR}">&#9632; current</span></div>',
        '<table style="border-collapse:collapse;font-size:12px">',
        "<thead><tr>" + "".join(
            f'<th style="text-align:left;padding:2px 6px;border-bottom:1px solid #ccc">{e(h)}</th>'
            for h in _TABLE_HEAD + (("weighted drift",) if report.importance_given else ())
        ) + "</tr></thead><tbody>",
    ]
    for c in report.columns:
        out.append(_row_html(c, report.importance_given))
    out.append("</tbody></table>")
    detailed = [c for c in report.columns if c.histogram is not None][:MAX_DETAILED]
    if detailed:
        out.append('<div style="margin-top:8px">')
        for c in detailed:
            open_attr = " open" if c.drifted and c is detailed[0] else ""
            mark = "&#9888; " if c.drifted else ""
            out.append(
                f'<details{open_attr}><summary style="cursor:pointer">{mark}<b>{e(c.column)}</b>: '
                f"{e(describe_column(c))}</summary>{_detail_svg(c.histogram)}</details>"
            )
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def _row_html(c: ColumnDrift, weighted: bool) -> str:
    e = html.escape
    style = f"color:{DRIFT_COLOR};font-weight:bold" if c.drifted else ""
    p = c.p_value_adjusted if c.p_value_adjusted is not None else c.p_value
    p_text = _fmt(p) + (" (adj.)" if c.p_value_adjusted is not None else "")
    dist = f"{_fmt(c.distance)} {'W/std' if c.distance_name == 'wasserstein_norm' else 'JS'}" if c.distance is not None else "-"
    flag = "DRIFT" if c.drifted else ("not tested" if not c.tested else "ok")
    if c.status == "broken":
        flag = "BROKEN"
    if c.tested and c.status == "missing only":
        flag = ("DRIFT" if c.drifted else "ok") + " (missing)"
    extra = ""
    if c.n_unseen:
        extra = f'<br><span style="color:#555">unseen: {e(", ".join(c.unseen_categories[:5]))}' + (
            f" (+{c.n_unseen - 5})" if c.n_unseen > 5 else "") + "</span>"
    if c.reason:
        extra += f'<br><span style="color:#555">{e(c.reason)}</span>'
    cells = [
        f"<b>{e(c.column)}</b>{extra}", e(c.kind), e(c.test or "-"), _fmt(c.statistic), p_text, dist,
        _fmt(c.psi), _fmt(c.threshold),
        (f'<span style="{style}">' if c.missing_drifted else "<span>")
        + f"{_fmt(c.reference_missing, True)} / {_fmt(c.current_missing, True)}</span>",
        _sparkline(c.histogram), f'<span style="{style}">{flag}</span>',
    ]
    if weighted:
        cells.append(_fmt(c.weighted_score))
    return "<tr>" + "".join(
        f'<td style="padding:2px 6px;border-bottom:1px solid #eee;vertical-align:top">{x}</td>' for x in cells
    ) + "</tr>"


def drift_report_mimebundle(report: DriftReport, *, include_plotly: bool = False) -> dict[str, Any]:
    """Static rendering: ``text/html`` (table, sparklines, histograms) and ``text/plain``.

    ``include_plotly=True`` adds the plotly figure JSON of the most severe column. It is off by
    default because a front end shows one mimetype per output and JupyterLab ranks plotly's above
    HTML: the figure would hide the table.
    """
    bundle: dict[str, Any] = {"text/html": drift_report_html(report), "text/plain": report.summary()}
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
        text, color = _verdict(report)
        self.banner = w.HTML(
            f'<div style="background:{color};color:white;padding:8px 12px;border-radius:4px;'
            f'font-weight:bold">{html.escape(text)}</div>'
            f'<div style="color:#555;font-size:12px">{html.escape(_method_note(report))}</div>'
        )
        self.table = w.HTML(_table_only_html(report))
        choices = [c for c in report.columns if c.histogram is not None]
        options = [(f"{'⚠ ' if c.drifted else ''}{c.column}", c.column) for c in choices]
        self.picker = w.Dropdown(options=options, value=options[0][1] if options else None,
                                 description="column", layout=w.Layout(width="360px"))
        self.details = w.HTML()
        self.output = w.Output()
        self.figure = None
        self.picker.observe(self._on_pick, names="value")
        super().__init__([self.banner, self.table, self.picker, self.details, self.output], **kwargs)
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


def _table_only_html(report: DriftReport) -> str:
    e = html.escape
    head = "".join(f'<th style="text-align:left;padding:2px 6px;border-bottom:1px solid #ccc">{e(h)}</th>'
                   for h in _TABLE_HEAD + (("weighted drift",) if report.importance_given else ()))
    rows = "".join(_row_html(c, report.importance_given) for c in report.columns)
    return (f'<div style="max-height:360px;overflow:auto"><table style="border-collapse:collapse;'
            f'font-size:12px"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>')


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
