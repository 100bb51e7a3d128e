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


# Ids handed to SQL as a list up to this many; more are selected again by the filter itself.
_MAX_ID_LIST = 2_000


def pushed_filter(store: Store, tree: Any) -> Any:
    """The filter as SQL (``runs_query.sql_tree``) when the database can apply it exactly
    on this store, else None (the frame filter decides).

    Beyond the filter's shape, two things depend on the store: every key compared must
    exist in it (else the frame filter's error, with close names, is due), and no run's
    time may lie within a millisecond of a time compared (see ``sql_tree``)."""
    from ..analysis.runs_query import keys_needed, sql_tree, time_literals

    if tree is None:
        return None
    pushed = sql_tree(tree)
    if pushed is None:
        return None
    for kind, wanted in keys_needed(tree).items():
        if wanted and store.existing_keys(kind, wanted) != wanted:
            return None
    literals = time_literals(tree)
    if literals and store.times_near(literals):
        return None
    return pushed


def _sql_order(store: Store, order: Sequence[tuple[Any, bool, str]]
               ) -> list[tuple[str, bool]] | None:
    """``order`` as ``listing.page_ids`` orders in SQL, or None when a column needs the
    frame's order (params and tags mix numbers, booleans and text) or names a metric no
    run has (the frame's error names close keys)."""
    from ..store.listing import SQL_ORDERS, TEXT_ORDERS

    out = []
    for column, ascending, _ in order:
        if column.name in SQL_ORDERS or column.name in TEXT_ORDERS or column.kind == "metrics":
            out.append((column.name, ascending))
        else:
            return None
    metrics = {name.partition(".")[2] for name, _ in out if name.startswith("metrics.")}
    if metrics and store.existing_keys("metrics", metrics) != metrics:
        return None
    return out


def _keys_of(columns: Any) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {"params": set(), "metrics": set(), "tags": set()}
    for column in columns:
        if column.kind in keys:
            keys[column.kind].add(column.name.partition(".")[2])
    return keys


def _selected_ids(store: Store, scope: Any, order: Sequence[tuple[Any, bool, str]],
                  order_by: Any, limit: int | None, offset: int = 0, count: bool = True
                  ) -> tuple[int | None, list[str]]:
    """(number of runs in ``scope``, the ids of the page) for a scope SQL selects exactly:
    ordered in SQL when it can, else in the frame over the run rows and the order's keys."""
    from ..analysis.runs_query import sort_runs
    from .runs_frame import build_runs_frame

    sql_order = _sql_order(store, order)
    if sql_order is not None:
        return store.page_ids(scope, sql_order, limit, offset, count)
    keys = _keys_of(column for column, _, _ in order)
    attributes = {column.name for column, _, _ in order if column.kind not in keys}
    frame = build_runs_frame(store.narrow_runs_tables(scope, keys, attributes))
    known: set[str] = set()
    for kind, wanted in keys.items():
        missing = {k for k in wanted if f"{kind}.{k}" not in frame.columns}
        known |= {f"{kind}.{k}" for k in store.existing_keys(kind, missing)}
        if missing - store.existing_keys(kind, missing):  # the error names close keys
            known |= {f"{kind2}.{k}" for kind2, ks in store.run_keys().items() for k in ks}
    frame = sort_runs(frame, order_by, known_columns=known)
    ids = frame["run_id"].tolist()
    return len(ids), ids[offset:] if limit is None else ids[offset:offset + limit]


def runs_frame(store: Store, experiment: str | None = None, filter: str | None = None,
               order_by: str | list[str] | None = None, limit: int | None = None
               ) -> tuple[pd.DataFrame, frozenset[str]]:
    """``mj.runs(...)`` on ``store`` and the columns some run in the store has (for filters
    on the frame). Arguments are checked by the caller.

    When the database can apply the filter exactly (``pushed_filter``), it selects (and,
    for metrics and attributes, orders and limits) the runs, and the frame is built for
    those runs alone; otherwise the whole frame of the experiment is filtered and sorted.
    """
    from ..analysis.runs_query import (
        apply_filter,
        is_empty,
        parse_filter,
        parse_order_by,
        prefilter_conditions,
        sort_runs,
    )
    from ..store.listing import RunScope
    from .runs_frame import build_runs_frame

    # Both are parsed before the store is touched: a typo costs no query.
    tree = None if is_empty(filter) else parse_filter(filter)
    order = parse_order_by(order_by)
    reap_crashed_runs(store)
    pushed = pushed_filter(store, tree)
    if pushed is not None or (tree is None and limit is not None):
        scope = RunScope(experiment=experiment, sql_filter=pushed)
        _, ids = _selected_ids(store, scope, order, order_by, limit, count=False)
        restrict = RunScope(ids=tuple(ids)) if len(ids) <= _MAX_ID_LIST \
            else RunScope(sql_filter=pushed)
        tables = store.runs_tables(experiment, scope=restrict)
        frame = build_runs_frame(tables)
        position = {run_id: i for i, run_id in enumerate(frame["run_id"])}
        frame = frame.iloc[[position[i] for i in ids]].reset_index(drop=True)
        return frame, _known(frame, tables)
    conditions = prefilter_conditions(tree) if tree is not None else []
    tables = store.runs_tables(experiment, conditions)
    frame = build_runs_frame(tables)
    known = _known(frame, tables)
    if tree is not None:
        frame = apply_filter(frame, tree, known_columns=known, text=filter)
    frame = sort_runs(frame, order_by, known_columns=known)
    if limit is not None:
        frame = frame.head(int(limit))
    return frame, known


def _known(frame: Any, tables: dict[str, Any]) -> frozenset[str]:
    return frozenset(map(str, frame.columns)) | frozenset(
        f"{kind}.{key}" for kind, keys in tables.get("store_keys", {}).items() for key in keys)


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

    When the database can apply the filter exactly (``pushed_filter``: and/or/not of most
    comparisons), it filters, and for metrics and attributes orders and pages too; an order
    on params or tags is done in the frame over the matching runs' run rows and those keys.
    Otherwise only what the filter and the order name is read for every run in scope and
    the frame filter decides. The page's rows are read in full, the min/max of each metric
    by one aggregate query.

    ``notebooks``: only runs whose notebook path is one of these spellings of one notebook.

    Raises FilterSyntaxError (with ``position``) for a filter or order that does not parse
    or names a key no run has.
    """
    from ..analysis.runs_query import (
        apply_filter,
        conditions_of,
        is_empty,
        parse_filter,
        parse_order_by,
        prefilter_conditions,
        sort_runs,
    )
    from ..store.listing import RunScope
    from .runs_frame import build_runs_frame

    tree = None if is_empty(filter) else parse_filter(filter)
    order = parse_order_by(order_by)
    reap_crashed_runs(store)
    base = RunScope(experiment=experiment, notebooks=tuple(notebooks), has_model=has_model)
    pushed = pushed_filter(store, tree)
    if tree is None or pushed is not None:
        # The database filters exactly; it orders and pages too unless the order names
        # params or tags (then the frame orders the run rows and those keys).
        scope = RunScope(experiment=experiment, notebooks=tuple(notebooks),
                         has_model=has_model, sql_filter=pushed)
        total, ids = _selected_ids(store, scope, order, order_by, limit, offset)
    else:
        keys = _keys_of([c.column for c in conditions_of(tree)]
                        + [column for column, _, _ in order])
        scope = RunScope(experiment=experiment, notebooks=tuple(notebooks),
                         has_model=has_model, conditions=tuple(prefilter_conditions(tree)))
        frame = build_runs_frame(store.narrow_runs_tables(scope, keys))
        present = set(map(str, frame.columns))
        known: set[str] = set()
        for kind, wanted in keys.items():
            missing = {k for k in wanted if f"{kind}.{k}" not in present}
            found = store.existing_keys(kind, missing)
            known |= {f"{kind}.{k}" for k in found}
            if missing - found:  # an error follows: let it suggest from every key
                known |= {f"{kind2}.{k}" for kind2, ks in store.run_keys().items() for k in ks}
        frame = apply_filter(frame, tree, known_columns=known, text=filter)
        frame = sort_runs(frame, order_by, known_columns=known)
        total = len(frame)
        ids = frame["run_id"].iloc[offset:offset + limit].tolist()
    columns = store.run_keys(base)
    return RunsPage(total=total, offset=offset, limit=limit, rows=store.page_rows(ids),
                    columns={"params": columns["params"], "metrics": columns["metrics"]})
