"""Static HTML of one run, as ``mj.get_run`` returns it (a ``RunRecord``).

``run_html(record)`` is a fragment: who the run is (name, id, experiment, status, times), what
it recorded (params, latest metrics with an SVG sparkline of each metric's history, tags,
models, input snapshots) and how it ended (the error text of a failed run, the cell's code).
No script and no widget, so it renders in any front end and in the page ``to_html()`` builds.

``track_summary_html(summary)`` is the one line a ``%%track`` cell shows under its output.

Everything a user wrote (names, values, code, error text) is escaped.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlops_jupyter.formatting import format_number, format_value, status_color

if TYPE_CHECKING:
    from mlops_jupyter.tracking.records import RunRecord
    from mlops_jupyter.tracking.tracked_cell import TrackSummary

__all__ = ["format_duration", "metric_sparkline", "run_html", "track_summary_html"]

LINE_COLOR = "#1a73e8"
MUTED_COLOR = "#57606a"
ERROR_COLOR = "#c0392b"
MAX_POINTS = 240  # points drawn in a sparkline; longer histories are thinned evenly
MAX_VALUE_CHARS = 500  # a param or tag value longer than this is cut (the record keeps it all)

_TH = 'style="text-align:left;padding:2px 8px;border-bottom:1px solid #ccc"'
_TD = 'style="padding:2px 8px;border-bottom:1px solid #eee;vertical-align:middle"'
_TD_NUM = 'style="padding:2px 8px;border-bottom:1px solid #eee;text-align:right"'
_BOX = 'style="font-family:sans-serif;font-size:13px;max-width:1100px"'
_H = 'style="margin:10px 0 4px 0;font-size:13px"'
_PRE = ('style="background:#f6f8fa;border:1px solid #e5e7eb;border-radius:4px;padding:8px;'
        'overflow:auto;max-height:480px;font-size:12px;white-space:pre"')

e = html.escape


def _head(*names: str) -> str:
    return "<thead><tr>" + "".join(f"<th {_TH}>{e(n)}</th>" for n in names) + "</tr></thead>"


def _muted(text: str) -> str:
    return f'<span style="color:{MUTED_COLOR}">{text}</span>'


def _cut(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "\u2026"


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(ts))


def format_duration(seconds: float | None) -> str:
    """``2.35 s``, ``3 min 12 s``, ``1 h 02 min``; ``-`` while a run has no end."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def metric_sparkline(history: Sequence[tuple[int, float, float]], width: int = 120,
                     height: int = 24) -> str:
    """An inline SVG line of a metric's ``(step, value, time)`` history ("" under 2 points)."""
    points = [(step, value) for step, value, _ in history
              if value is not None and math.isfinite(value)]
    if len(points) < 2:
        return ""
    if len(points) > MAX_POINTS:
        last = len(points) - 1
        points = [points[round(i * last / (MAX_POINTS - 1))] for i in range(MAX_POINTS)]
    steps = [s for s, _ in points]
    # Steps place the points when they increase; otherwise (repeated steps) the order does.
    xs = steps if all(a < b for a, b in zip(steps[:-1], steps[1:], strict=True)) else list(range(len(points)))
    ys = [v for _, v in points]
    x0, x1, y0, y1 = xs[0], xs[-1], min(ys), max(ys)
    pad = 2.0

    def px(x: float) -> float:
        return pad + (x - x0) / (x1 - x0) * (width - 2 * pad)

    def py(y: float) -> float:
        if y1 == y0:
            return height / 2
        return height - pad - (y - y0) / (y1 - y0) * (height - 2 * pad)

    line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys, strict=True))
    label = (f"{len(history)} values, steps {steps[0]}..{steps[-1]}, "
             f"min {format_number(y0)}, max {format_number(y1)}")
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{e(label)}"><title>{e(label)}</title>'
            f'<polyline fill="none" stroke="{LINE_COLOR}" stroke-width="1.3" points="{line}"/>'
            f'<circle cx="{px(xs[-1]):.1f}" cy="{py(ys[-1]):.1f}" r="2" fill="{LINE_COLOR}"/>'
            "</svg>")


def _facts(record: RunRecord) -> str:
    rows: list[tuple[str, str]] = [
        ("run id", f"<code>{e(record.id)}</code>"),
        ("experiment", e(record.experiment)),
        ("started", e(_when(record.start_time))),
        ("ended", e(_when(record.end_time))),
        ("duration", e(format_duration(record.duration))),
    ]
    if record.parent_run_id:
        rows.append(("parent run", f"<code>{e(record.parent_run_id)}</code>"))
    if record.children:
        rows.append(("child runs", e(f"{len(record.children)}")))
    if record.notebook_path:
        cell = f" (cell [{record.execution_count}])" if record.execution_count is not None else ""
        rows.append(("notebook", e(record.notebook_path + cell)))
    if record.git_commit:
        dirty = " (uncommitted changes)" if record.git_dirty else ""
        rows.append(("git commit", f"<code>{e(record.git_commit)}</code>{e(dirty)}"))
    return "<table><tbody>" + "".join(
        f"<tr><th {_TH}>{e(key)}</th><td {_TD}>{value}</td></tr>" for key, value in rows
    ) + "</tbody></table>"


def _metrics(record: RunRecord) -> str:
    if not record.metrics:
        return f"<p>{_muted('no metrics')}</p>"
    out = [f"<table>{_head('metric', 'latest', 'steps', 'history')}<tbody>"]
    for key in sorted(record.metrics):
        history = record.metric_history.get(key, [])
        out.append(
            f"<tr><td {_TD}><b>{e(key)}</b></td>"
            f"<td {_TD_NUM}>{e(format_number(record.metrics[key]))}</td>"
            f"<td {_TD_NUM}>{len(history) or ''}</td>"
            f"<td {_TD}>{metric_sparkline(history)}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def _key_values(values: dict[str, Any], what: str) -> str:
    if not values:
        return f"<p>{_muted('no ' + what)}</p>"
    return f"<table>{_head(what[:-1], 'value')}<tbody>" + "".join(
        f"<tr><td {_TD}><b>{e(str(key))}</b></td>"
        f"<td {_TD}><code>{e(_cut(format_value(values[key])))}</code></td></tr>"
        for key in sorted(values)
    ) + "</tbody></table>"


def _models(record: RunRecord) -> str:
    models = [a for a in record.artifacts if a.get("kind") == "model"]
    if not models:
        return f"<p>{_muted('no models')}</p>"
    items = []
    for model in models:
        size = model.get("size")
        extra = f" ({format_number(size / 1e6, 3)} MB)" if isinstance(size, (int, float)) else ""
        items.append(f"<li><b>{e(str(model.get('name')))}</b>{e(extra)}</li>")
    return f'<ul style="margin:2px 0">{"".join(items)}</ul>'


def _inputs(record: RunRecord) -> str:
    if not record.inputs:
        return f"<p>{_muted('no input snapshots')}</p>"
    out = [f"<table>{_head('role', 'snapshot', 'version', 'rows', 'fingerprint')}<tbody>"]
    for item in record.inputs:
        rows = item.get("n_rows")
        out.append(
            f"<tr><td {_TD}>{e(str(item.get('role')))}</td>"
            f"<td {_TD}><b>{e(str(item.get('name')))}</b></td>"
            f"<td {_TD_NUM}>v{e(str(item.get('version')))}</td>"
            f"<td {_TD_NUM}>{'-' if rows is None else f'{rows:,}'}</td>"
            f"<td {_TD}><code>{e(str(item.get('fingerprint') or '')[:12])}</code></td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def run_html(record: RunRecord) -> str:
    """One run as a static HTML fragment (see the module docstring for what it shows)."""
    color = status_color(record.status)
    out = [
        f'<div class="mlops-run" {_BOX}>',
        f'<p style="margin:2px 0;font-size:14px">'
        f'<span style="color:white;background:{color};border-radius:3px;padding:0 6px;'
        f'font-size:12px">{e(record.status)}</span> '
        f"run <b>{e(record.name)}</b> <code>{e(record.id[:8])}</code> "
        f"in <i>{e(record.experiment)}</i></p>",
        _facts(record),
    ]
    if record.error:
        out.append(f'<h4 style="margin:10px 0 4px 0;font-size:13px;color:{ERROR_COLOR}">'
                   "Error</h4>"
                   f'<pre {_PRE}>{e(record.error)}</pre>')
    out += [f"<h4 {_H}>Metrics</h4>", _metrics(record),
            f"<h4 {_H}>Parameters</h4>", _key_values(record.params, "params"),
            f"<h4 {_H}>Tags</h4>", _key_values(record.tags, "tags"),
            f"<h4 {_H}>Models</h4>", _models(record),
            f"<h4 {_H}>Input snapshots</h4>", _inputs(record)]
    if record.warnings:
        items = "".join(f"<li>{e(str(w))}</li>" for w in record.warnings)
        out.append(f"<h4 {_H}>Warnings</h4><ul style=\"margin:2px 0\">{items}</ul>")
    if record.cell_source:
        out.append(f"<h4 {_H}>Code</h4><pre {_PRE}>{e(record.cell_source)}</pre>")
    out.append("</div>")
    return "".join(out)


def track_summary_html(summary: TrackSummary) -> str:
    """The line a ``%%track`` cell shows under its output: a status dot, the run's name, id,
    status and duration, then what it recorded (params, metrics...) and any warnings."""
    details = " | ".join(summary.details())
    warnings = "".join(f"<br>  warning: {e(str(w))}" for w in summary.warnings)
    return (
        f'<div style="font-size:12px;color:{MUTED_COLOR};font-family:monospace">'
        f'<span style="color:{status_color(summary.status)}">&#9679;</span> '
        f"run <b>{e(summary.name)}</b> <code>{e(summary.run_id[:8])}</code> "
        f"{e(summary.status)} in {summary.duration:.2f}s &middot; {e(details)}{warnings}</div>"
    )
