"""The runs table as static HTML (no JavaScript, no widget): what a saved notebook, nbconvert,
GitHub and a comparison's ``to_html()`` show. The interactive table (:mod:`.runs_table`)
draws its rows with the same helpers.

Nothing heavy is imported here (no ipywidgets).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlops_jupyter.analysis.compare import table_rows
from mlops_jupyter.analysis.metric_names import metric_direction
from mlops_jupyter.formatting import format_value, status_color

__all__ = ["BEST_BG", "SELECTED_BG", "best_positions", "cell_text", "header_text",
           "runs_table_html", "status_chip", "table_columns"]

BEST_BG = "#d4edda"
SELECTED_BG = "#e8f0fe"
STATIC_ROWS = 50  # rows in the static copy: the output stays small with 10,000 runs


def status_chip(status: Any) -> str:
    """A run's status as a small coloured badge (every status of ``RUN_STATUSES`` has its own
    colour, an unknown one is grey)."""
    text = str(status or "?")
    color = status_color(text)
    return (f'<span style="color:{color};border:1px solid {color};border-radius:3px;'
            f'padding:0 3px;font-size:11px">{html.escape(text)}</span>')


def table_columns(frame: pd.DataFrame, *, differing_only: bool = True,
                  metrics_first: bool = False) -> list[str]:
    """The columns shown: name, status, start, duration, (experiment), params, metrics.

    With ``differing_only`` a param holding the same value in every run is hidden: it
    cannot explain why one run beats another.
    """
    cols = ["name", "status", "start_time", "duration"]
    if "experiment" in frame and frame["experiment"].nunique(dropna=True) > 1:
        cols.append("experiment")
    params = [c for c in frame.columns if str(c).startswith("params.")]
    if differing_only and len(frame) > 1:
        params = [c for c in params if _varies(frame[c])] or params[:0]
    params = [c for c in params if frame[c].notna().any()]
    metrics = [c for c in frame.columns if str(c).startswith("metrics.") and frame[c].notna().any()]
    return cols + (metrics + params if metrics_first else params + metrics)


def _varies(series: pd.Series) -> bool:
    seen = {repr(v) if not _missing(v) else None for v in series.tolist()}
    return len(seen) > 1


def _missing(v: Any) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) or v is pd.NA



def header_text(col: str) -> str:
    """A column's header: ``accuracy`` for ``metrics.accuracy``, ``started`` for ``start_time``."""
    if col.startswith("params."):
        return col[len("params."):]
    if col.startswith("metrics."):
        return col[len("metrics."):]
    return {"start_time": "started", "duration": "duration"}.get(col, col)


def cell_text(col: str, value: Any) -> str:
    """A cell's text: times and durations short, numbers and params via ``format_value``."""
    if _missing(value):
        return ""
    if col == "start_time":
        try:
            return pd.Timestamp(value).tz_convert(None).strftime("%m-%d %H:%M:%S")
        except (TypeError, ValueError):
            return str(value)
    if col == "duration":
        v = float(value)
        return f"{v:.2f}s" if v < 60 else f"{v / 60:.1f}m" if v < 3600 else f"{v / 3600:.1f}h"
    return format_value(value)


def best_positions(frame: pd.DataFrame, directions: Mapping[str, str]) -> dict[str, set[int]]:
    """Row positions holding the best value of each metric column (ties all count)."""
    out: dict[str, set[int]] = {}
    for col in frame.columns:
        if not str(col).startswith("metrics."):
            continue
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        finite = np.isfinite(values)
        if not finite.any():
            continue
        direction = directions.get(col) or metric_direction(col)[0]
        best = values[finite].max() if direction == "max" else values[finite].min()
        out[col] = set(np.flatnonzero(finite & (values == best)).tolist())
    return out



def runs_table_html(frame: pd.DataFrame, *, directions: Mapping[str, str] | None = None,
                    sort_by: str | None = None, ascending: bool = True,
                    max_rows: int = STATIC_ROWS, selected: Sequence[str] = (),
                    title: str | None = None) -> str:
    """Static HTML table (no JavaScript): best metric values starred, candidates folded."""
    e = html.escape
    if frame.empty:
        return '<div style="font-family:sans-serif;color:#555">no runs</div>'
    columns = table_columns(frame)
    frame = frame.reset_index(drop=True)
    rows = table_rows(frame, sort_by=sort_by, ascending=ascending, show_children=False)
    best = best_positions(frame, directions or {})
    chosen = set(selected)
    # plain <th>/<td>: Jupyter, nbconvert and GitHub style tables themselves, and per-cell
    # styles would triple the size of the saved output
    head = "".join(f"<th>{e(header_text(c))}"
                   + (f" {'&#8593;' if (directions or {}).get(c, metric_direction(c)[0]) == 'max' else '&#8595;'}"
                      if c.startswith("metrics.") else "") + "</th>" for c in columns)
    best_style = f' style="background:{BEST_BG};font-weight:bold"'
    body = []
    for row in rows[:max_rows]:
        rec = frame.iloc[row.position]
        tds = []
        for col in columns:
            value = rec.get(col)
            attrs = ""
            if col == "name":
                text = f"{e(str(value))} <code>{e(str(rec['run_id'])[:8])}</code>"
                if row.n_children:
                    text += f" [{row.n_children} candidates]"
            elif col == "status":
                text = e(str(value)) if value == "FINISHED" else status_chip(value)
            else:
                text = e(cell_text(col, value))
                if col in best and row.position in best[col]:
                    attrs = best_style
                    text = "&#9733; " + text
            tds.append(f"<td{attrs}>{text}</td>")
        bg = f' style="background:{SELECTED_BG}"' if rec["run_id"] in chosen else ""
        body.append(f"<tr{bg}>{''.join(tds)}</tr>")
    more = len(rows) - max_rows
    n_children = len(frame) - len(rows)
    foot = []
    if more > 0:
        foot.append(f"{more} more runs not shown here (run the cell with a kernel to page, "
                    "sort and filter)")
    if n_children:
        foot.append(f"{n_children} search candidates folded under their parent runs")
    caption = f'<div style="font-weight:bold;margin-bottom:4px">{e(title)}</div>' if title else ""
    return (f'<div class="mlops-runs" style="font-family:sans-serif">{caption}'
            f'<div style="overflow-x:auto;font-size:12px"><table>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            + (f'<div style="color:#666;font-size:11px">{e("; ".join(foot))}. '
               f'&#9733; best value of each metric.</div>' if foot else
               '<div style="color:#666;font-size:11px">&#9733; best value of each metric.</div>')
            + "</div>")
