"""The interactive runs table (what ``%runs`` shows, and the top of the comparison view).

``RunsTable`` is an ipywidgets ``VBox``: a filter box (the ``mj.runs`` filter language; a bad
expression shows its error in place), column headers that sort on click (and a sort dropdown
with a direction toggle), a checkbox per row for selection, status chips, the best value of
every metric highlighted, search candidates folded under their parent run (a toggle shows
them) and pages of ``page_size`` rows, so 1,000 runs cost the same few dozen widgets as 20.
Rows are HTML; only the checkboxes and headers are widgets, updated in place (no widget is
created after construction), which keeps every interaction one small round trip.

``display_runs_table(frame)`` shows the widget plus a static ``text/html`` copy of the first
rows in the same output, for saved notebooks, nbconvert and GitHub (drawn by
:mod:`.runs_table_static`, whose names are importable from here too).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from mlops_jupyter.analysis.compare import TableRow, filter_runs, table_rows
from mlops_jupyter.analysis.metric_names import metric_direction
from mlops_jupyter.views.runs_table_static import (
    BEST_BG,
    SELECTED_BG,
    best_positions,
    cell_text,
    header_text,
    runs_table_html,
    status_chip,
    table_columns,
)

__all__ = ["RunsTable", "display_runs_table", "runs_table_html", "status_chip", "table_columns"]

WIDTHS = {"name": 220, "status": 84, "start_time": 118, "duration": 72, "experiment": 110}
DEFAULT_WIDTH = 96
CHECK_WIDTH = 30


def _width(col: str) -> int:
    return WIDTHS.get(col, DEFAULT_WIDTH)



def _row_html(frame: pd.DataFrame, row: TableRow, columns: Sequence[str],
              best: Mapping[str, set[int]], selected: bool) -> str:
    """One table row as fixed-width cells (aligned under the header buttons)."""
    e = html.escape
    rec = frame.iloc[row.position]
    cells = []
    for col in columns:
        value = rec.get(col)
        cls = "mj-c"
        if col.startswith(("metrics.", "params.")) or col == "duration":
            cls += " mj-r"
        if col == "name":
            indent = "&nbsp;&nbsp;&nbsp;&#8627; " if row.depth else ""
            extra = f' <span class="mj-n">[{row.n_children} candidates]</span>' if row.n_children else ""
            text = f"{indent}{e(str(value))} <code class=\"mj-n\">{e(str(rec.get('run_id'))[:8])}</code>{extra}"
        elif col == "status":
            text = status_chip(value)
        else:
            text = e(cell_text(col, value))
            if col in best and row.position in best[col]:
                cls += " mj-b"
                text = "&#9733; " + text
        title = f' title="{e(str(value))}"' if col == "name" or col.startswith("params.") else ""
        cells.append(f'<div class="{cls}" style="width:{_width(col)}px"{title}>{text}</div>')
    selected_cls = " mj-s" if selected else ""
    # classes come from ROW_CSS (one HTML widget per table): inline styles per cell made the
    # saved widget state ~9 kB per row
    return f'<div class="mj-row{selected_cls}">{"".join(cells)}</div>'


ROW_CSS = (
    "<style>.mj-row{display:flex;font:12px sans-serif;line-height:22px;height:24px;"
    "border-bottom:1px solid #eee}.mj-row.mj-s{background:" + SELECTED_BG + "}"
    ".mj-c{flex:none;padding:0 4px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;"
    "box-sizing:border-box}.mj-r{text-align:right}.mj-b{background:" + BEST_BG + ";font-weight:bold}"
    ".mj-n{color:#666;font-size:10px}</style>"
)




def _widget_base():
    import ipywidgets

    return ipywidgets.VBox


class RunsTable(_widget_base()):  # type: ignore[misc]
    """Sortable, filterable, pageable runs table with row selection.

    Drive it like a user: ``filter_box.value = "metrics.f1 > 0.8"``, ``header_buttons[col]
    .click()``, ``sort_dropdown.value``, ``row_checkboxes[i].value = True``,
    ``candidates_toggle.value = True``, ``next_button.click()``. Read ``visible_ids`` (all
    filtered rows in table order), ``page_ids`` (the rows on screen), ``selected`` (ids in
    selection order) and ``filtered`` (the filtered frame). ``on_change(callback)`` is called
    with the table after any change of rows or selection.
    """

    def __init__(self, frame: pd.DataFrame, *, directions: Mapping[str, str] | None = None,
                 selected: Sequence[str] = (), filter: str | None = None,
                 sort_by: str | None = None, ascending: bool | None = None,
                 page_size: int = 20, max_selected: int | None = 20, **kwargs: Any) -> None:
        import ipywidgets as w

        self.frame = frame.reset_index(drop=True)
        self.directions = dict(directions or {})
        self.page_size = max(1, int(page_size))
        self.max_selected = max_selected
        self.page = 0
        self.selected: list[str] = [r for r in selected if r in set(self.frame["run_id"])]
        self.filtered = self.frame
        self.error: str | None = None
        self._rows: tuple[TableRow, ...] = ()
        self._callbacks: list[Callable[[RunsTable], None]] = []
        self._quiet = False
        if sort_by is None:
            metric = next((c for c in self.frame.columns if str(c).startswith("metrics.")), None)
            sort_by = metric if metric else "start_time"
        if ascending is None:
            ascending = (self.directions.get(sort_by) or metric_direction(sort_by)[0]) == "min" \
                if sort_by.startswith("metrics.") else False
        self.columns = table_columns(self.frame)
        sortable = [c for c in self.columns if c in self.frame.columns]

        self.filter_box = w.Text(value=filter or "", placeholder="filter, e.g. metrics.accuracy > 0.9 and params.model == 'rf'",
                                 continuous_update=False, layout=w.Layout(width="520px"))
        self.filter_status = w.HTML()
        self.sort_dropdown = w.Dropdown(options=[(header_text(c), c) for c in sortable],
                                        value=sort_by if sort_by in sortable else (sortable[0] if sortable else None),
                                        description="sort by", layout=w.Layout(width="240px"))
        self.ascending_toggle = w.ToggleButtons(options=[("desc", False), ("asc", True)], value=ascending,
                                                style={"button_width": "auto"})
        n_children = int(self.frame["parent_run_id"].isin(self.frame["run_id"]).sum()) \
            if "parent_run_id" in self.frame and not self.frame.empty else 0
        self.candidates_toggle = w.Checkbox(value=False, indent=False,
                                            description=f"show search candidates ({n_children})",
                                            layout=w.Layout(width="260px",
                                                            display="" if n_children else "none"))
        self.clear_button = w.Button(description="clear selection", layout=w.Layout(width="120px"))
        self.prev_button = w.Button(description="◀", layout=w.Layout(width="36px"))
        self.next_button = w.Button(description="▶", layout=w.Layout(width="36px"))
        self.page_label = w.HTML()
        self.header_buttons: dict[str, Any] = {}
        for col in self.columns:
            button = w.Button(description=header_text(col), tooltip=f"sort by {col}",
                              layout=w.Layout(width=f"{_width(col)}px", min_width=f"{_width(col)}px",
                                              margin="0", padding="0 4px", height="26px"))
            button.on_click(self._on_header(col))
            self.header_buttons[col] = button
        spacer = w.HTML(layout=w.Layout(width=f"{CHECK_WIDTH}px", min_width=f"{CHECK_WIDTH}px", margin="0"))
        header = w.HBox([spacer, *self.header_buttons.values()], layout=w.Layout(overflow="visible"))
        self.row_checkboxes = []
        self.row_html = []
        self._slots = []
        for i in range(self.page_size):
            box = w.Checkbox(value=False, indent=False,
                             layout=w.Layout(width=f"{CHECK_WIDTH}px", min_width=f"{CHECK_WIDTH}px",
                                             margin="0", height="24px"))
            box.observe(self._on_check(i), names="value")
            cells = w.HTML(layout=w.Layout(margin="0"))
            self.row_checkboxes.append(box)
            self.row_html.append(cells)
            # one Layout per slot: a shared one would hide every row at once
            self._slots.append(w.HBox([box, cells], layout=w.Layout(margin="0", padding="0")))
        self.empty_note = w.HTML()
        grid = w.VBox([w.HTML(ROW_CSS, layout=w.Layout(height="0px", margin="0")), header, *self._slots],
                      layout=w.Layout(overflow="auto hidden", width="100%"))
        toolbar = w.HBox([self.filter_box, self.sort_dropdown, self.ascending_toggle])
        toolbar2 = w.HBox([self.candidates_toggle, self.clear_button, self.prev_button,
                           self.page_label, self.next_button])

        self.filter_box.observe(lambda _: self._refresh(reset_page=True), names="value")
        self.sort_dropdown.observe(self._on_sort_dropdown, names="value")
        self.ascending_toggle.observe(lambda _: self._refresh(), names="value")
        self.candidates_toggle.observe(lambda _: self._refresh(), names="value")
        self.clear_button.on_click(lambda _: self.select([]))
        self.prev_button.on_click(lambda _: self._go(self.page - 1))
        self.next_button.on_click(lambda _: self._go(self.page + 1))
        super().__init__([toolbar, self.filter_status, toolbar2, self.empty_note, grid], **kwargs)
        self._refresh()

    # -- public ----------------------------------------------------------------------------
    @property
    def visible_ids(self) -> list[str]:
        return [r.run_id for r in self._rows]

    @property
    def page_ids(self) -> list[str]:
        start = self.page * self.page_size
        return [r.run_id for r in self._rows[start:start + self.page_size]]

    @property
    def sort_by(self) -> str | None:
        return self.sort_dropdown.value

    @property
    def ascending(self) -> bool:
        return bool(self.ascending_toggle.value)

    def on_change(self, callback: Callable[[RunsTable], None]) -> None:
        self._callbacks.append(callback)

    def select(self, run_ids: Sequence[str]) -> None:
        known = set(self.frame["run_id"])
        ids = list(dict.fromkeys(r for r in run_ids if r in known))
        if self.max_selected is not None:
            ids = ids[-self.max_selected:]
        self.selected = ids
        self._render_page()
        self._notify()

    def sort(self, column: str, ascending: bool | None = None) -> None:
        with self._hold():
            if ascending is not None:
                self.ascending_toggle.value = ascending
            self.sort_dropdown.value = column
        self._refresh()

    def set_directions(self, directions: Mapping[str, str]) -> None:
        self.directions.update(directions)
        self._render_page()

    # -- events ----------------------------------------------------------------------------
    def _hold(self):
        table = self

        class _Quiet:
            def __enter__(self):
                table._quiet = True

            def __exit__(self, *exc):
                table._quiet = False

        return _Quiet()

    def _on_header(self, col: str) -> Callable[[Any], None]:
        def click(_button: Any) -> None:
            if self.sort_dropdown.value == col:  # second click flips the direction
                self.sort(col, not self.ascending)
            else:
                natural = (self.directions.get(col) or metric_direction(col)[0]) == "min" \
                    if col.startswith("metrics.") else col not in ("start_time", "duration")
                self.sort(col, natural)  # best first for metrics
        return click

    def _on_sort_dropdown(self, _change: Any) -> None:
        if not self._quiet:
            self._refresh()

    def _on_check(self, slot: int) -> Callable[[dict], None]:
        def changed(change: dict) -> None:
            if self._quiet:
                return
            ids = self.page_ids
            if slot >= len(ids):
                return
            run_id = ids[slot]
            current = [r for r in self.selected if r != run_id]
            if change["new"]:
                current.append(run_id)
            self.select(current)
        return changed

    def _go(self, page: int) -> None:
        n_pages = max(1, math.ceil(len(self._rows) / self.page_size))
        self.page = min(max(0, page), n_pages - 1)
        self._render_page()

    # -- rendering -------------------------------------------------------------------------
    def _refresh(self, reset_page: bool = False) -> None:
        if self._quiet:
            return
        from mlops_jupyter.errors import FilterSyntaxError

        expr = self.filter_box.value.strip()
        try:
            self.filtered = filter_runs(self.frame, expr)
            self.error = None
        except (FilterSyntaxError, KeyError, TypeError, ValueError) as exc:
            # the table keeps its last good rows; the message says what to fix and where
            self.error = str(exc)
        if self.error:
            self.filter_status.value = (
                '<pre style="color:#c0392b;margin:0;font-size:12px;white-space:pre-wrap">'
                f"{html.escape(self.error)}</pre>")
        elif expr:
            self.filter_status.value = (f'<span style="font-size:12px;color:#555">{len(self.filtered)} of '
                                        f"{len(self.frame)} runs match</span>")
        else:
            self.filter_status.value = ""
        self._rows = table_rows(self.filtered, sort_by=self.sort_dropdown.value,
                                ascending=self.ascending,
                                show_children=bool(self.candidates_toggle.value))
        if reset_page:
            self.page = 0
        self._go(self.page)
        self._notify()

    def _render_page(self) -> None:
        frame = self.filtered.reset_index(drop=True)
        best = best_positions(frame, self.directions)
        ids = self.page_ids
        rows = self._rows[self.page * self.page_size:(self.page + 1) * self.page_size]
        chosen = set(self.selected)
        with self._hold():
            for i, slot in enumerate(self._slots):
                if i < len(rows):
                    self.row_html[i].value = _row_html(frame, rows[i], self.columns, best,
                                                       rows[i].run_id in chosen)
                    self.row_checkboxes[i].value = ids[i] in chosen
                    slot.layout.display = ""
                else:
                    self.row_html[i].value = ""
                    self.row_checkboxes[i].value = False
                    slot.layout.display = "none"
        for col, button in self.header_buttons.items():
            mark = (" ▲" if self.ascending else " ▼") if col == self.sort_dropdown.value else ""
            button.description = header_text(col) + mark
            button.button_style = "info" if mark else ""
        n = len(self._rows)
        n_pages = max(1, math.ceil(n / self.page_size))
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= n_pages - 1
        start = self.page * self.page_size
        self.page_label.value = (f'<span style="font-size:12px;padding:0 6px">rows {start + 1 if n else 0}-'
                                 f"{min(n, start + self.page_size)} of {n}; "
                                 f"{len(self.selected)} selected</span>")
        if self.frame.empty:
            self.empty_note.value = '<i>no runs to show</i>'
        elif not n:
            self.empty_note.value = '<i>no run matches the filter</i>'
        else:
            self.empty_note.value = ""

    def _notify(self) -> None:
        for callback in list(self._callbacks):
            callback(self)

    def static_html(self, title: str | None = None) -> str:
        return runs_table_html(self.filtered if self.error is None else self.frame,
                               directions=self.directions, sort_by=self.sort_by,
                               ascending=self.ascending, selected=self.selected, title=title)


def display_runs_table(frame: pd.DataFrame) -> None:
    """Show ``frame`` (a runs frame) as the interactive table, with a static HTML fallback."""
    from IPython.display import display

    plain = pd.DataFrame(frame)
    static = {"text/html": runs_table_html(plain, title=f"{len(plain)} runs"),
              "text/plain": f"<{len(plain)} runs; columns: {', '.join(map(str, plain.columns[:12]))}"
                            + (" ..." if plain.shape[1] > 12 else "") + ">"}
    try:
        table = RunsTable(plain)
        bundle = dict(table._repr_mimebundle_() or {})
    except ImportError:  # no ipywidgets: the static table is complete
        bundle = {}
    bundle.update(static)
    display(bundle, raw=True)

