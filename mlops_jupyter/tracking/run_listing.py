"""Listing runs of a given store: the runs frame (``mj.runs``) and paged listings for front
ends (the lab extension's runs panel), with the same filter and order language.

Both take the store explicitly: ``mj.runs`` hands in the store in use, the Jupyter server
extension the store a request names (it never changes the process-wide store).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store

MAX_PAGE = 10_000


def reap_crashed_runs(store: Store) -> None:
    """Mark RUNNING runs as CRASHED when their process is dead: at once for a dead pid on
    this host, on any host when their heartbeat stopped (tracking/heartbeat.py)."""
    from .heartbeat import crash_reason
    from .process import host_name, is_alive

    me = host_name()
    crashed: dict[str, tuple[str, float | None]] = {}
    for r in store.running_runs():
        if r["host"] == me and r["pid"] is not None and not is_alive(r["pid"], r["process_start"]):
            crashed[r["id"]] = ("the process running this run died before it ended", None)
        else:
            reason = crash_reason(r)
            if reason is not None:
                crashed[r["id"]] = (reason, r["heartbeat_at"])
    store.mark_crashed(crashed)


def runs_frame(store: Store, experiment: str | None = None, filter: str | None = None,
               order_by: str | list[str] | None = None, limit: int | None = None
               ) -> tuple[pd.DataFrame, frozenset[str]]:
    """``mj.runs(...)`` on ``store`` and the columns some run in the store has (for filters
    on the frame). Arguments are checked by the caller."""
    from ..analysis.runs_query import (
        apply_filter,
        is_empty,
        parse_filter,
        parse_order_by,
        prefilter_conditions,
        sort_runs,
    )
    from .runs_frame import build_runs_frame

    # Both are parsed before the store is touched: a typo costs no query.
    tree = None if is_empty(filter) else parse_filter(filter)
    parse_order_by(order_by)
    reap_crashed_runs(store)
    conditions = prefilter_conditions(tree) if tree is not None else []
    tables = store.runs_tables(experiment, conditions)
    frame = build_runs_frame(tables)
    known = frozenset(map(str, frame.columns)) | frozenset(
        f"{kind}.{key}" for kind, keys in tables.get("store_keys", {}).items() for key in keys)
    if tree is not None:
        frame = apply_filter(frame, tree, known_columns=known, text=filter)
    frame = sort_runs(frame, order_by, known_columns=known)
    if limit is not None:
        frame = frame.head(int(limit))
    return frame, known


@dataclass(frozen=True)
class RunsPage:
    """One page of a run listing: ``total`` runs match, ``rows`` are those from ``offset``
    (dicts: the run's columns, params, tags, models and metrics as ``{key: {latest, min,
    max, steps}}``); ``columns``: the params and metrics keys of the runs listed (whatever
    the filter, so a table keeps its columns while a filter is typed)."""

    total: int
    offset: int
    limit: int
    rows: list[dict[str, Any]]
    columns: dict[str, list[str]]


def runs_page(store: Store, *, experiment: str | None = None, filter: str | None = None,
              order_by: str | list[str] | None = None, limit: int = 200, offset: int = 0,
              notebooks: Sequence[str] = (), has_model: bool = False) -> RunsPage:
    """A page of the runs of ``store``, filtered and ordered as ``mj.runs`` does.

    Only what the filter and the order name is read for every run in scope (the run rows
    and those keys); the page's rows are read in full, the min/max of each metric by one
    aggregate query. Without a filter and with no order other than times and duration, the
    database orders and pages.

    ``notebooks``: only runs whose notebook path is one of these spellings of one notebook.

    Raises FilterSyntaxError (with ``position``) for a filter or order that does not parse
    or names a key no run has.
    """
    from ..analysis.runs_query import (
        apply_filter,
        conditions_of,
        exact_conditions,
        is_empty,
        parse_filter,
        parse_order_by,
        prefilter_conditions,
        sort_runs,
    )
    from ..store.listing import SQL_ORDERS, RunScope
    from .runs_frame import build_runs_frame

    tree = None if is_empty(filter) else parse_filter(filter)
    order = parse_order_by(order_by)
    reap_crashed_runs(store)
    base = RunScope(experiment=experiment, notebooks=tuple(notebooks), has_model=has_model)
    exact = [] if tree is None else exact_conditions(tree)
    named = [c.column for c in conditions_of(tree)] if tree is not None else []
    named += [column for column, _, _ in order]
    keys: dict[str, set[str]] = {"params": set(), "metrics": set(), "tags": set()}
    for column in named:
        if column.kind in keys:
            keys[column.kind].add(column.name.partition(".")[2])
    if exact is not None and all(c.name in SQL_ORDERS or c.kind == "metrics" for c, _, _ in order) \
            and all(store.existing_keys(kind, wanted) == wanted for kind, wanted in keys.items()):
        # The database alone filters, orders and pages: the filter is exactly SQL conditions,
        # and times, durations and metrics are numbers, which SQL orders as sort_runs does.
        # (A key no run has goes the frame's way, which names it with close matches.)
        scope = RunScope(experiment=experiment, notebooks=tuple(notebooks),
                         has_model=has_model, conditions=tuple(exact))
        total, ids = store.page_ids(scope, [(c.name, asc) for c, asc, _ in order], limit, offset)
    else:
        scope = base if tree is None else RunScope(
            experiment=experiment, notebooks=tuple(notebooks), has_model=has_model,
            conditions=tuple(prefilter_conditions(tree)))
        frame = build_runs_frame(store.narrow_runs_tables(scope, keys))
        present = set(map(str, frame.columns))
        known: set[str] = set()
        for kind, wanted in keys.items():
            missing = {k for k in wanted if f"{kind}.{k}" not in present}
            found = store.existing_keys(kind, missing)
            known |= {f"{kind}.{k}" for k in found}
            if missing - found:  # an error follows: let it suggest from every key
                known |= {f"{kind2}.{k}" for kind2, ks in store.run_keys().items() for k in ks}
        if tree is not None:
            frame = apply_filter(frame, tree, known_columns=known, text=filter)
        frame = sort_runs(frame, order_by, known_columns=known)
        total = len(frame)
        ids = frame["run_id"].iloc[offset:offset + limit].tolist()
    columns = store.run_keys(base)
    return RunsPage(total=total, offset=offset, limit=limit, rows=store.page_rows(ids),
                    columns={"params": columns["params"], "metrics": columns["metrics"]})
