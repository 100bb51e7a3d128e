"""Static HTML of a snapshot and of the diff between two snapshots.

``snapshot_html(snapshot)`` (what ``mj.snapshot`` returns) and ``snapshot_diff_html(diff)``
(what ``mj.diff_snapshots`` returns) are fragments: plain tables, inline styles, no script and
no widget, so they render in any front end and inside the page ``to_html()`` builds. Both are
drawn from stored metadata only (schema and profile), so their size does not grow with rows.

Everything a user named (snapshot and column names, category values) is escaped.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlops_jupyter.formatting import format_number, format_value

if TYPE_CHECKING:
    from mlops_jupyter.data.diff import SnapshotDiff
    from mlops_jupyter.tracking.snapshots import Snapshot

__all__ = ["snapshot_diff_html", "snapshot_html"]

ADDED_COLOR = "#2e7d32"
REMOVED_COLOR = "#c0392b"
CHANGED_COLOR = "#b9770e"
SAME_COLOR = "#2e7d32"
MUTED_COLOR = "#57606a"
MAX_SCHEMA_ROWS = 300  # columns listed in a snapshot's schema table
MAX_STAT_ROWS = 400  # statistic changes listed in a diff (the rest are counted)
_DIGITS = 6  # a diff shows before/after values precisely enough to see what changed

_TH = 'style="text-align:left;padding:2px 8px;border-bottom:1px solid #ccc"'
_TD = 'style="padding:2px 8px;border-bottom:1px solid #eee;vertical-align:top"'
_TD_NUM = 'style="padding:2px 8px;border-bottom:1px solid #eee;text-align:right"'
_BOX = 'style="font-family:sans-serif;font-size:13px;max-width:1100px"'
_H = 'style="margin:10px 0 4px 0;font-size:13px"'

e = html.escape


def _head(*names: str) -> str:
    return "<thead><tr>" + "".join(f"<th {_TH}>{e(n)}</th>" for n in names) + "</tr></thead>"


def _badge(text: str, color: str) -> str:
    return (f'<span style="color:white;background:{color};border-radius:3px;padding:0 5px;'
            f'font-size:11px">{e(text)}</span>')


def _muted(text: str) -> str:
    return f'<p style="color:{MUTED_COLOR};margin:2px 0">{text}</p>'


def _size(n_bytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.2f} {unit}"
    return f"{n_bytes} B"


# --------------------------------------------------------------------------- one snapshot


def _column_summary(stats: Mapping[str, Any]) -> str:
    """A short text of a column's profile: mean and range, or distinct count and top values."""
    if "mean" in stats or "min" in stats:
        parts = []
        if stats.get("mean") is not None:
            parts.append(f"mean {format_number(stats['mean'])}")
        if stats.get("min") is not None or stats.get("max") is not None:
            parts.append(f"range {format_number(stats.get('min'))} .. "
                         f"{format_number(stats.get('max'))}")
        return ", ".join(parts)
    parts = []
    if stats.get("distinct") is not None:
        parts.append(f"{stats['distinct']:,} distinct")
    top = [format_value(value) for value, _ in (stats.get("top") or [])[:3]]
    if top:
        parts.append("top: " + ", ".join(top))
    return "; ".join(parts)


def snapshot_html(snapshot: Snapshot) -> str:
    """A snapshot: name, version, shape, fingerprint, stored size and its schema table."""
    columns = (snapshot.profile or {}).get("columns") or {}
    created = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(snapshot.created_at))
    out = [
        f'<div class="mlops-snapshot" {_BOX}>',
        f"<p style=\"margin:2px 0\"><b>snapshot {e(snapshot.name)}</b> "
        f"v{e(str(snapshot.version))}: {snapshot.n_rows:,} rows &times; "
        f"{len(snapshot.columns):,} columns</p>",
        _muted(f"fingerprint <code>{e(snapshot.fingerprint)}</code> &middot; "
               f"{e(_size(snapshot.size))} stored &middot; created {e(created)} &middot; "
               f"id <code>{e(snapshot.id)}</code>"),
        f"<table>{_head('column', 'dtype', 'kind', 'nulls', 'summary')}<tbody>",
    ]
    for entry in snapshot.schema[:MAX_SCHEMA_ROWS]:
        stats = columns.get(entry.get("name"), {})
        nulls = stats.get("nulls")
        share = stats.get("null_share")
        null_text = "-" if nulls is None else f"{nulls:,}"
        if nulls and share is not None:
            null_text += f" ({format_number(share, 3, percent=True)})"
        out.append(
            f"<tr><td {_TD}><b>{e(str(entry.get('name')))}</b></td>"
            f"<td {_TD}><code>{e(str(entry.get('dtype')))}</code></td>"
            f"<td {_TD}>{e(str(entry.get('kind', '')))}</td>"
            f"<td {_TD_NUM}>{e(null_text)}</td>"
            f"<td {_TD}>{e(_column_summary(stats))}</td></tr>"
        )
    out.append("</tbody></table>")
    hidden = len(snapshot.schema) - MAX_SCHEMA_ROWS
    if hidden > 0:
        out.append(_muted(f"&hellip; and {hidden:,} more columns"))
    out.append("</div>")
    return "".join(out)


# --------------------------------------------------------------------------- a diff


def _delta(before: Any, after: Any) -> str:
    """``after - before`` (and the relative change) when both are plain numbers."""
    numbers = (int, float)
    if (isinstance(before, bool) or isinstance(after, bool)
            or not isinstance(before, numbers) or not isinstance(after, numbers)):
        return ""
    change = after - before
    text = ("+" if change > 0 else "") + format_number(change)
    if before:
        text += f" ({format_number(change / abs(before), 3, percent=True)})"
    return text


def _rows_line(diff: SnapshotDiff) -> str:
    change = diff.rows_after - diff.rows_before
    if change == 0:
        marker = f'<span style="color:{MUTED_COLOR}">(unchanged)</span>'
    else:
        color = ADDED_COLOR if change > 0 else REMOVED_COLOR
        pct = (f", {format_number(change / diff.rows_before, 3, percent=True)}"
               if diff.rows_before else "")
        marker = f'<b style="color:{color}">({change:+,}{pct})</b>'
    return (f'<p style="margin:2px 0">rows: {diff.rows_before:,} &rarr; {diff.rows_after:,} '
            f"{marker}</p>")


def _schema_section(diff: SnapshotDiff) -> list[str]:
    out = [f"<h4 {_H}>Schema changes</h4>"]
    rows: list[tuple[str, str, str | None, str | None]] = []
    for column in diff.added_columns:
        rows.append((column, _badge("added", ADDED_COLOR), "", diff.dtypes_after.get(column)))
    for column in diff.removed_columns:
        rows.append((column, _badge("removed", REMOVED_COLOR),
                     diff.dtypes_before.get(column), ""))
    for column, (before, after) in diff.dtype_changes.items():
        rows.append((column, _badge("dtype changed", CHANGED_COLOR), before, after))
    if rows:
        out.append(f"<table>{_head('column', 'change', 'dtype before', 'dtype after')}<tbody>")
        for column, badge, dtype_before, dtype_after in rows:
            out.append(
                f"<tr><td {_TD}><b>{e(str(column))}</b></td><td {_TD}>{badge}</td>"
                f"<td {_TD}><code>{e(str(dtype_before or ''))}</code></td>"
                f"<td {_TD}><code>{e(str(dtype_after or ''))}</code></td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append(_muted("no column added, removed or retyped"))
    if diff.columns_reordered:
        out.append(_muted(f"{_badge('reordered', CHANGED_COLOR)} the column order changed"))
    return out


def _stats_section(diff: SnapshotDiff) -> list[str]:
    out = [f"<h4 {_H}>Statistic changes</h4>"]
    changes = [(column, stat, pair) for column, stats in diff.column_changes.items()
               for stat, pair in stats.items()]
    if not changes:
        note = "no column statistic changed"
        if diff.rows_before == diff.rows_after and not (
                diff.added_columns or diff.removed_columns or diff.dtype_changes):
            note += "; the values differ (e.g. rows reordered or edited)"
        out.append(_muted(e(note)))
        return out
    out.append(f"<table>{_head('column', 'statistic', 'before', 'after', 'change')}<tbody>")
    previous = None
    for column, stat, (before, after) in changes[:MAX_STAT_ROWS]:
        name = f"<b>{e(str(column))}</b>" if column != previous else ""
        previous = column
        if stat == "top_values":
            before_text = "only before: " + format_value(list(before), _DIGITS)
            after_text = "only after: " + format_value(list(after), _DIGITS)
            delta = ""
        else:
            before_text = format_value(before, _DIGITS)
            after_text = format_value(after, _DIGITS)
            delta = _delta(before, after)
        out.append(
            f"<tr><td {_TD}>{name}</td><td {_TD}>{e(stat)}</td>"
            f"<td {_TD_NUM}>{e(before_text)}</td>"
            f'<td {_TD_NUM}><b style="color:{CHANGED_COLOR}">{e(after_text)}</b></td>'
            f"<td {_TD_NUM}>{e(delta)}</td></tr>"
        )
    out.append("</tbody></table>")
    hidden = len(changes) - MAX_STAT_ROWS
    if hidden > 0:
        out.append(_muted(f"&hellip; and {hidden:,} more statistic changes "
                          "(all of them: <code>diff.to_frame()</code>)"))
    return out


def snapshot_diff_html(diff: SnapshotDiff) -> str:
    """What changed from one snapshot to another: verdict, rows, schema, statistics."""
    out = [f'<div class="mlops-snapshot-diff" {_BOX}>']
    if diff.same_content:
        verdict = _badge("identical content", SAME_COLOR)
    else:
        verdict = _badge("content changed", CHANGED_COLOR)
    out.append(f'<p style="margin:2px 0"><b>Snapshot diff</b> {verdict}</p>')
    out.append(_muted(f"fingerprint <code>{e(diff.fingerprint_before[:12])}</code> &rarr; "
                      f"<code>{e(diff.fingerprint_after[:12])}</code>"))
    out.append(_rows_line(diff))
    if diff.same_content:
        out.append("</div>")
        return "".join(out)
    out.extend(_schema_section(diff))
    out.extend(_stats_section(diff))
    out.append("</div>")
    return "".join(out)
