"""Static drift report: verdict banner, severity-sorted table with sparklines, and overlaid
reference/current histograms per column, as HTML with inline SVG.

No JavaScript, no widget, no IPython: this is what ``DriftReport._repr_html_``,
``to_html()`` and ``save_html()`` show (a saved notebook, nbconvert, GitHub, VS Code, a
colleague's browser), and the fallback in the interactive view's display bundle
(:mod:`.drift_view`). Everything is drawn from the report's aggregated bins, so the size does
not grow with the number of rows: a report of 20 columns is a few tens of kB whatever the
frames' length.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..analysis.drift import ColumnDrift, DriftReport, Histogram, describe_column
from ..formatting import format_number

__all__ = ["drift_report_html", "table_html", "verdict", "method_note", "bin_labels", "shares",
           "REF_COLOR", "CUR_COLOR"]

REF_COLOR = "#7f8c9b"
CUR_COLOR = "#e8710a"
DRIFT_COLOR = "#c0392b"
WARN_COLOR = "#b9770e"
OK_COLOR = "#2e7d32"
MAX_DETAILED = 30  # columns with a full static histogram (the table lists them all)
_DIGITS = 3  # significant digits of the statistics in the table


def shares(counts: tuple[int, ...]) -> np.ndarray:
    """Counts as shares of their total (zeros when the total is 0)."""
    arr = np.asarray(counts, dtype=float)
    total = arr.sum()
    return arr / total if total > 0 else arr


def bin_labels(h: Histogram) -> list[str]:
    """A readable label per bar: the category, or the bin's range (dates for datetimes)."""
    if h.kind == "categorical":
        return list(h.labels)
    edges = np.asarray(h.edges)
    if h.kind == "datetime":
        times = pd.to_datetime(edges.astype("int64"))
        return [f"{a:%Y-%m-%d %H:%M} - {b:%Y-%m-%d %H:%M}"
                for a, b in zip(times[:-1], times[1:], strict=True)]
    return [f"{a:.4g} - {b:.4g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


def verdict(report: DriftReport) -> tuple[str, str]:
    """The banner: (text, background colour)."""
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
        return text, DRIFT_COLOR if broken else WARN_COLOR
    return f"No drift: 0 of {report.n_columns} columns drifted", OK_COLOR


def method_note(report: DriftReport) -> str:
    """One line on how the frames were compared (sizes, method, correction, sampling)."""
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


def banner_html(report: DriftReport) -> str:
    text, color = verdict(report)
    return (f'<div style="background:{color};color:white;padding:8px 12px;border-radius:4px;'
            f'font-weight:bold">{html.escape(text)}</div>')


# --------------------------------------------------------------------------- SVG


def _sparkline(h: Histogram | None, width: int = 120, height: int = 26) -> str:
    if h is None or not h.reference:
        return ""
    ref, cur = shares(h.reference), shares(h.current)
    top = max(ref.max(initial=0), cur.max(initial=0)) or 1.0
    step = width / len(ref)
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
            rects.append(f'<rect x="{x:.1f}" y="{height - bh:.1f}" width="{w:.1f}" '
                         f'height="{bh:.1f}"/>')
        return f'<g fill="{color}" fill-opacity="{opacity}">{"".join(rects)}</g>'

    opacity = 0.85 if grouped else 0.55
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="distribution">'
            f'{bars(ref, REF_COLOR, opacity, 0)}{bars(cur, CUR_COLOR, opacity, 1)}</svg>')


def _detail_svg(h: Histogram, width: int = 460, height: int = 150) -> str:
    ref, cur = shares(h.reference), shares(h.current)
    top = max(ref.max(initial=0), cur.max(initial=0)) or 1.0
    labels = bin_labels(h)
    n = len(ref)
    plot_h = height - 20
    step = width / n
    e = html.escape
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
            parts.append(f'<rect x="{x:.1f}" y="{plot_h - bh:.1f}" width="{w:.1f}" '
                         f'height="{bh:.1f}" fill="{color}" '
                         f'fill-opacity="{0.85 if grouped else 0.55}">'
                         f'<title>{e(labels[i])}: {"reference" if j == 0 else "current"} '
                         f'{v:.1%}</title></rect>')
    parts.append(f'<line x1="0" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="#999"/>')
    if grouped:
        for i, lab in enumerate(labels[:12]):
            parts.append(f'<text x="{i * step + 2:.1f}" y="{height - 6}">{e(lab[:10])}</text>')
    else:
        first, last = labels[0].split(" - ")[0], labels[-1].split(" - ")[-1]
        parts.append(f'<text x="0" y="{height - 6}">{e(first)}</text>')
        parts.append(f'<text x="{width}" y="{height - 6}" text-anchor="end">{e(last)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- HTML

_TABLE_HEAD = ("column", "kind", "test", "statistic", "p-value", "distance", "PSI", "threshold",
               "missing ref / cur", "distribution", "")


def _row_html(c: ColumnDrift, weighted: bool) -> str:
    e = html.escape
    style = f"color:{DRIFT_COLOR};font-weight:bold" if c.drifted else ""
    p_text = format_number(c.p_value_shown, _DIGITS)
    if c.p_value_adjusted is not None:
        p_text += " (adj.)"
    dist = "-"
    if c.distance is not None:
        dist = f"{format_number(c.distance, _DIGITS)} {c.distance_label}"
    extra = ""
    if c.n_unseen:
        more = f" (+{c.n_unseen - 5})" if c.n_unseen > 5 else ""
        extra = (f'<br><span style="color:#555">unseen: '
                 f'{e(", ".join(c.unseen_categories[:5]))}{more}</span>')
    if c.reason:
        extra += f'<br><span style="color:#555">{e(c.reason)}</span>'
    missing = (f"{format_number(c.reference_missing, _DIGITS, percent=True)} / "
               f"{format_number(c.current_missing, _DIGITS, percent=True)}")
    cells = [
        f"<b>{e(c.column)}</b>{extra}", e(c.kind), e(c.test or "-"),
        format_number(c.statistic, _DIGITS), p_text, dist,
        format_number(c.psi, _DIGITS), format_number(c.threshold, _DIGITS),
        (f'<span style="{style}">' if c.missing_drifted else "<span>") + f"{missing}</span>",
        _sparkline(c.histogram), f'<span style="{style}">{c.label}</span>',
    ]
    if weighted:
        cells.append(format_number(c.weighted_score, _DIGITS))
    return "<tr>" + "".join(
        f'<td style="padding:2px 6px;border-bottom:1px solid #eee;vertical-align:top">{x}</td>'
        for x in cells
    ) + "</tr>"


def table_html(report: DriftReport) -> str:
    """The summary table: one row per column, most severe first."""
    e = html.escape
    head = "".join(
        f'<th style="text-align:left;padding:2px 6px;border-bottom:1px solid #ccc">{e(h)}</th>'
        for h in _TABLE_HEAD + (("weighted drift",) if report.importance_given else ()))
    rows = "".join(_row_html(c, report.importance_given) for c in report.columns)
    return (f'<table style="border-collapse:collapse;font-size:12px"><thead><tr>{head}</tr>'
            f"</thead><tbody>{rows}</tbody></table>")


def drift_report_html(report: DriftReport) -> str:
    """Self-contained HTML fragment (inline SVG, no JavaScript) of the whole report."""
    e = html.escape
    out = [
        '<div class="mlops-drift" style="font-family:sans-serif;font-size:13px;max-width:1100px">',
        banner_html(report),
        f'<div style="color:#555;margin:4px 0 8px 0;font-size:12px">{e(method_note(report))}. '
        f'<span style="color:{REF_COLOR}">&#9632; reference</span> '
        f'<span style="color:{CUR_COLOR}">&#9632; current</span></div>',
        table_html(report),
    ]
    detailed = [c for c in report.columns if c.histogram is not None][:MAX_DETAILED]
    if detailed:
        out.append('<div style="margin-top:8px">')
        for c in detailed:
            open_attr = " open" if c.drifted and c is detailed[0] else ""
            mark = "&#9888; " if c.drifted else ""
            out.append(
                f'<details{open_attr}><summary style="cursor:pointer">{mark}<b>{e(c.column)}</b>'
                f": {e(describe_column(c))}</summary>{_detail_svg(c.histogram)}</details>"
            )
        out.append("</div>")
    out.append("</div>")
    return "".join(out)
