"""Paged run listings for front ends (the lab extension's runs panel): SQL only.

A page of 200 runs out of 10,000 must not read 10,000 runs' params, metrics and tags. What
is read for every run in scope is only what the filter and the order need (the run row and
the few keys they name, :func:`narrow_tables`); everything a row shows is read for the page
alone (:func:`page_rows`), the min/max/number of steps of each metric in one aggregate query
over the metrics table. Without a filter, the order and the paging are done in SQL too
(:func:`page_ids`). :func:`change_token` tells a polling panel cheaply whether to refetch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from . import schema as t

MODEL_KIND = "model"
# Attributes whose SQL order is the listing's order (numbers; missing values last).
SQL_ORDERS = {"start_time": t.runs.c.start_time, "end_time": t.runs.c.end_time,
              "duration": t.runs.c.end_time - t.runs.c.start_time}


@dataclass(frozen=True)
class RunScope:
    """Which runs a listing covers. ``notebooks``: the spellings (relative, absolute) of one
    notebook's path that its runs may carry; ``conditions``: filter terms the database may
    apply first (``runs_query.prefilter_conditions``)."""

    experiment: str | None = None
    notebooks: tuple[str, ...] = ()
    has_model: bool = False
    conditions: tuple[tuple[str, str, str, Any], ...] = ()
    sql_filter: Any = None  # a runs_query.sql_tree: the whole filter, exactly
    ids: tuple[str, ...] | None = None


def scope_clauses(condition: Any, scope: RunScope, dialect: str = "sqlite") -> list[Any]:
    """WHERE clauses (over runs joined with experiments) for the runs in ``scope``;
    ``condition`` is :meth:`Store._condition` (SQL of one prefilter term)."""
    clauses: list[Any] = [condition(*c) for c in scope.conditions]
    if scope.sql_filter is not None:
        clauses.append(filter_clause(scope.sql_filter, dialect))
    if scope.ids is not None:
        clauses.append(t.runs.c.id.in_(list(scope.ids)))
    if scope.experiment is not None:
        clauses.append(t.experiments.c.name == scope.experiment)
    if scope.notebooks:
        clauses.append(t.runs.c.notebook_path.in_(list(scope.notebooks)))
    if scope.has_model:
        clauses.append(t.runs.c.id.in_(
            sa.select(t.artifacts.c.run_id).where(t.artifacts.c.kind == MODEL_KIND)))
    return clauses


def _runs_query(*columns: Any) -> sa.Select:
    return sa.select(*columns).select_from(
        t.runs.join(t.experiments, t.runs.c.experiment_id == t.experiments.c.id))


def page_ids(conn: sa.Connection, clauses: Sequence[Any],
             order: Sequence[tuple[str, bool]], limit: int | None, offset: int,
             count: bool = True) -> tuple[int | None, list[str]]:
    """(number of runs in scope, ids of the page) with the order and paging done in SQL.

    ``order``: (column, ascending) pairs, a column being an attribute of
    :data:`SQL_ORDERS` or :data:`TEXT_ORDERS` or ``metrics.<key>`` (its latest value;
    numbers, and text by code points, order the same in SQL as in ``runs_query.sort_runs``).
    ``limit`` None: all; ``count`` False: the total is not counted (None). Missing values (NaN is stored as NULL) come last in
    both directions; ties are newest first, then by run id, as ``sort_runs`` orders.
    """
    total = conn.execute(_runs_query(sa.func.count()).where(*clauses)).scalar_one() \
        if count else None
    source = t.runs.join(t.experiments, t.runs.c.experiment_id == t.experiments.c.id)
    keys: list[Any] = []
    for i, (name, ascending) in enumerate(order):
        if name.startswith("metrics."):
            latest = t.latest_metrics.alias(f"order_{i}")
            source = source.outerjoin(latest, sa.and_(latest.c.run_id == t.runs.c.id,
                                                      latest.c.key == name[len("metrics."):]))
            column = latest.c.value
        elif name in TEXT_ORDERS:
            column = code_points(TEXT_ORDERS[name], conn.dialect.name)
        else:
            column = SQL_ORDERS[name]
        keys += [column.is_(None), column.asc() if ascending else column.desc()]
    keys += [t.runs.c.start_time.desc(), t.runs.c.id.asc()]
    ids = conn.execute(sa.select(t.runs.c.id).select_from(source).where(*clauses)
                       .order_by(*keys).limit(limit).offset(offset)).scalars().all()
    return total, list(ids)


RUN_COLUMNS = ("run_id", "name", "experiment", "status", "start_time", "end_time",
               "parent_run_id", "notebook_path")


_RUN_ROW = (t.runs.c.id, t.runs.c.name, t.experiments.c.name.label("experiment"),
            t.runs.c.status, t.runs.c.start_time, t.runs.c.end_time, t.runs.c.parent_run_id,
            t.runs.c.notebook_path)


def narrow_tables(conn: sa.Connection, clauses: Sequence[Any],
                  keys: Mapping[str, Collection[str]], scoped_values: bool = True,
                  attributes: Collection[str] | None = None) -> dict[str, Any]:
    """What ``tracking.runs_frame.build_runs_frame`` needs for the runs in scope, with only
    the params/metrics/tags ``keys`` names (``{"params": {...}, "metrics": ..., "tags": ...}``;
    metrics are the latest values). Plain tuples from the driver's cursor: row objects cost
    more than the queries here. ``scoped_values`` False: the keys' values of every run are
    read (build_runs_frame drops the others), cheaper than evaluating a whole filter twice.
    ``attributes``: the run columns to read besides run_id and the times (others are None).
    """
    if attributes is None:
        row = _RUN_ROW
    else:
        wanted = {"run_id", "start_time", "end_time", *attributes}
        row = tuple(c if c.name in wanted or (c.name == "id" and "run_id" in wanted)
                    else sa.null().label(c.name) for c in _RUN_ROW)
    run_q = _runs_query(*row).where(*clauses)
    in_scope = _runs_query(t.runs.c.id).where(*clauses).scalar_subquery() \
        if clauses and scoped_values else None
    out: dict[str, Any] = {"runs": conn.execute(run_q).cursor.fetchall()}
    for name, table in (("params", t.params), ("metrics", t.latest_metrics), ("tags", t.tags)):
        wanted = sorted(keys.get(name, ()))
        if not wanted:
            out[name] = []
            continue
        raw = sa.type_coerce(table.c.value, sa.Text) if name == "params" else table.c.value
        q = sa.select(table.c.run_id, table.c.key, raw).where(table.c.key.in_(wanted))
        if in_scope is not None:
            q = q.where(table.c.run_id.in_(in_scope))
        rows = conn.execute(q).cursor.fetchall()
        if name == "params":  # JSON text: one json.loads for all values
            decoded = json.loads("[" + ",".join(r[2] if r[2] is not None else "null"
                                                for r in rows) + "]")
            rows = [(r[0], r[1], v) for r, v in zip(rows, decoded, strict=True)]
        out[name] = rows
    return out


def existing_keys(conn: sa.Connection, kind: str, keys: Collection[str]) -> set[str]:
    """Which of ``keys`` some run of the store has as a ``kind`` (params/metrics/tags)."""
    if not keys:
        return set()
    table = {"params": t.params, "metrics": t.latest_metrics, "tags": t.tags}[kind]
    return set(conn.execute(sa.select(table.c.key).distinct()
                            .where(table.c.key.in_(sorted(keys)))).scalars())


def all_keys(conn: sa.Connection, clauses: Sequence[Any] = ()) -> dict[str, list[str]]:
    """The params/metrics/tags keys of the runs in scope (all runs without clauses), sorted."""
    in_scope = _runs_query(t.runs.c.id).where(*clauses).scalar_subquery() if clauses else None
    out: dict[str, list[str]] = {}
    for name, table in (("params", t.params), ("metrics", t.latest_metrics), ("tags", t.tags)):
        if in_scope is None:
            out[name] = distinct_keys(conn, table)
            continue
        q = sa.select(table.c.key).distinct()
        q = q.where(table.c.run_id.in_(in_scope))
        out[name] = sorted(conn.execute(q).scalars())
    return out


def distinct_keys(conn: sa.Connection, table: sa.Table) -> list[str]:
    """The distinct keys of ``table`` (params, latest_metrics or tags), sorted, by a skip
    scan of its key index: one index lookup per key, where ``SELECT DISTINCT`` reads every
    row (a million params at 100,000 runs; PostgreSQL has no skip scan of its own)."""
    key = table.c.key
    first = sa.select(sa.func.min(key).label("key")).cte("distinct_keys", recursive=True)
    following = sa.select(sa.select(sa.func.min(key)).where(key > first.c.key)
                          .scalar_subquery()).where(first.c.key.isnot(None))
    walk = first.union_all(following)
    return sorted(conn.execute(sa.select(walk.c.key).where(walk.c.key.isnot(None))).scalars())


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def page_rows(conn: sa.Connection, run_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Everything a listing shows of each of ``run_ids`` (in that order; unknown ids are
    left out): the run's columns, ``params``, ``tags``, ``models`` (model artifact names)
    and ``metrics`` as ``{key: {"latest", "min", "max", "steps"}}`` (NaN for a NaN value;
    min/max over the non-NaN values, NaN when there are none)."""
    ids = list(dict.fromkeys(run_ids))
    if not ids:
        return []
    r = t.runs
    rows = {row["run_id"]: {**row, "params": {}, "metrics": {}, "tags": {}, "models": []}
            for row in conn.execute(
                _runs_query(r.c.id.label("run_id"), r.c.name,
                            t.experiments.c.name.label("experiment"), r.c.status,
                            r.c.start_time, r.c.end_time, r.c.parent_run_id, r.c.notebook_path,
                            r.c.cell_id, r.c.execution_count)
                .where(r.c.id.in_(ids))).mappings()}
    params = conn.execute(sa.select(t.params.c.run_id, t.params.c.key,
                                    sa.type_coerce(t.params.c.value, sa.Text))
                          .where(t.params.c.run_id.in_(ids))
                          .order_by(t.params.c.run_id, t.params.c.key)).all()
    decoded = json.loads("[" + ",".join(p[2] if p[2] is not None else "null"
                                        for p in params) + "]")
    for (run_id, key, _), value in zip(params, decoded, strict=True):
        rows[run_id]["params"][key] = value
    m, lm = t.metrics, t.latest_metrics
    # One aggregate over the metrics table for the page's histories (its index starts
    # with run_id, key), joined with the latest value kept per key.
    stats = (sa.select(m.c.run_id, m.c.key, sa.func.min(m.c.value).label("min"),
                       sa.func.max(m.c.value).label("max"), sa.func.count().label("steps"))
             .where(m.c.run_id.in_(ids)).group_by(m.c.run_id, m.c.key).subquery())
    for run_id, key, latest, low, high, steps in conn.execute(
            sa.select(lm.c.run_id, lm.c.key, lm.c.value, stats.c.min, stats.c.max, stats.c.steps)
            .join(stats, sa.and_(stats.c.run_id == lm.c.run_id, stats.c.key == lm.c.key))
            .where(lm.c.run_id.in_(ids)).order_by(lm.c.run_id, lm.c.key)):
        rows[run_id]["metrics"][key] = {"latest": _nan(latest), "min": _nan(low),
                                        "max": _nan(high), "steps": steps}
    for run_id, key, value in conn.execute(
            sa.select(t.tags.c.run_id, t.tags.c.key, t.tags.c.value)
            .where(t.tags.c.run_id.in_(ids)).order_by(t.tags.c.run_id, t.tags.c.key)):
        rows[run_id]["tags"][key] = value
    for run_id, name in conn.execute(
            sa.select(t.artifacts.c.run_id, t.artifacts.c.name)
            .where(t.artifacts.c.run_id.in_(ids), t.artifacts.c.kind == MODEL_KIND)
            .order_by(t.artifacts.c.id)):
        rows[run_id]["models"].append(name)
    return [rows[i] for i in ids if i in rows]


def experiment_counts(conn: sa.Connection) -> list[tuple[str, int]]:
    """(experiment name, number of runs) of every experiment, by name."""
    e, r = t.experiments, t.runs
    return [tuple(row) for row in conn.execute(
        sa.select(e.c.name, sa.func.count(r.c.id)).select_from(e.outerjoin(r, r.c.experiment_id == e.c.id))
        .group_by(e.c.name).order_by(e.c.name))]


def change_token(conn: sa.Connection) -> tuple[str, int]:
    """(a token that changes when a run is created or ends, logs a metric, param, tag or
    artifact, or the registry changes; the number of runs), in one query.

    Maxima of autoincrement ids and of indexed times plus a few counts: no scan of the
    metrics history. A param logged again with a new value under the same key does not
    change it (the listing's columns stay the same; the run's end does).
    """
    def scalar(column: Any) -> Any:
        return sa.select(column).scalar_subquery()

    r = t.runs
    row = conn.execute(sa.select(
        sa.select(sa.func.count()).select_from(r).scalar_subquery(),
        scalar(sa.func.max(r.c.start_time)), scalar(sa.func.max(r.c.end_time)),
        sa.select(sa.func.count()).select_from(r).where(r.c.status == "RUNNING")
        .scalar_subquery(),
        scalar(sa.func.max(t.metrics.c.id)),
        sa.select(sa.func.count()).select_from(t.params).scalar_subquery(),
        sa.select(sa.func.count()).select_from(t.tags).scalar_subquery(),
        scalar(sa.func.max(t.artifacts.c.id)),
        scalar(sa.func.max(t.model_versions.c.id)),
        scalar(sa.func.max(t.audit_events.c.id)),
    )).one()
    return ":".join("" if v is None else repr(v) for v in row), int(row[0])


# -- a whole filter in SQL (runs_query.sql_tree) ---------------------------------------------
_RUN_TEXT = {"run_id": t.runs.c.id, "name": t.runs.c.name, "status": t.runs.c.status,
             "experiment": t.experiments.c.name, "parent_run_id": t.runs.c.parent_run_id,
             "notebook_path": t.runs.c.notebook_path}
_RUN_TIMES = {"start_time": t.runs.c.start_time, "end_time": t.runs.c.end_time}
# Text attributes the listing may order in SQL: code point order, as runs_query.sort_runs.
TEXT_ORDERS = _RUN_TEXT


def _cmp(column: Any, op: str, values: Sequence[Any]) -> Any:
    if op == "in":
        return column.in_(list(values))
    return {"=": column.__eq__, "!=": column.__ne__, "<": column.__lt__, "<=": column.__le__,
            ">": column.__gt__, ">=": column.__ge__}[op](values[0])


def _glob(pattern: str) -> str:
    """SQL LIKE's pattern as SQLite GLOB's (case-sensitive, as LIKE in the frame filter)."""
    special = {"*": "[*]", "?": "[?]", "[": "[[]", "%": "*", "_": "?"}
    return "".join(special.get(c, c) for c in pattern)


def code_points(column: Any, dialect: str) -> Any:
    """``column`` compared and ordered by code points (Python's str order): PostgreSQL's
    "C" collation; SQLite's default BINARY is already that for UTF-8."""
    return column.collate("C") if dialect == "postgresql" else column


def _text_test(column: Any, op: str, values: Sequence[str], dialect: str) -> Any:
    """``column op values`` for a present text ``column`` (never NULL)."""
    column = code_points(column, dialect)
    if op in ("like", "ilike"):
        if dialect == "postgresql":  # backslash is PostgreSQL's default LIKE escape
            pattern = values[0].replace("\\", "\\\\")
            return (column.like if op == "like" else column.ilike)(pattern, escape="\\")
        if op == "like":
            return column.op("GLOB", is_comparison=True)(_glob(values[0]))
        return column.op("LIKE", is_comparison=True)(values[0])  # SQLite: ASCII case folding, no escape
    if op == "contains":
        finder = sa.func.strpos if dialect == "postgresql" else sa.func.instr
        return finder(column, values[0]) > 0
    return _cmp(column, op, values)


def filter_clause(tree: Any, dialect: str) -> Any:
    """The WHERE clause (over runs joined with experiments) true exactly for the runs a
    ``runs_query.sql_tree`` keeps.

    Each node compiles to a two-valued SQL test of "true" or of "false" (three-valued
    logic: a comparison with a missing value is neither), so ``not`` swaps the two and no
    NULL of SQL's own logic ever decides: ``not (metrics.a > 1)`` keeps only runs with an
    ``a`` that is not above 1, as the frame filter does.
    """
    return _compile(tree, True, dialect)


def _compile(node: Any, want: bool, dialect: str) -> Any:
    head = node[0]
    if head == "not":
        return _compile(node[1], not want, dialect)
    if head in ("and", "or"):
        parts = [_compile(c, want, dialect) for c in node[1]]
        return sa.and_(*parts) if (head == "and") == want else sa.or_(*parts)
    return _leaf(node, want, dialect)


def _keyed(kind: str, key: str, dialect: str, test: Any = None) -> Any:
    """Runs having ``kind`` ``key`` present (and passing ``test`` on its value).

    On SQLite the run id is tested as ``+runs.id``: SQLite then walks runs in the listing's
    order (ix_runs_start_time) and probes each subquery's list, built once, and stops after
    the page, instead of collecting every match through the id index and sorting them."""
    if kind == "metrics":
        table, value = t.latest_metrics, t.latest_metrics.c.value
        present = value.isnot(None)  # NaN is stored as NULL
    elif kind == "params":
        table, value = t.params, sa.type_coerce(t.params.c.value, sa.Text)
        present = value.notin_(["null", "NaN"])  # JSON of None and NaN: missing in the frame
    else:
        table, value, present = t.tags, t.tags.c.value, sa.true()
    where = [table.c.key == key, present]
    if test is not None:
        where.append(test(value))
    run_id = t.runs.c.id
    if dialect == "sqlite":
        run_id = sa.type_coerce(sa.literal_column("+runs.id"), t.runs.c.id.type)
    return run_id.in_(sa.select(table.c.run_id).where(*where))


def _leaf(leaf: tuple, want: bool, dialect: str) -> Any:
    kind, key, op, values = leaf
    if op in ("isnull", "notnull"):
        if kind in ("metrics", "params", "tags"):
            present = _keyed(kind, key, dialect)
        elif kind == "number":  # duration: missing while the run has not ended
            present = t.runs.c.end_time.isnot(None)
        else:
            column = _RUN_TEXT.get(key)
            present = (column if column is not None else _RUN_TIMES[key]).isnot(None)
        return present if (op == "notnull") == want else sa.not_(present)
    if kind in ("metrics", "params", "tags"):
        if kind == "params":  # JSON text of plain strings (sql_tree checked them)
            values = [json.dumps(v) for v in values]
        if kind in ("metrics", "params") or op in ("=", "!=", "in"):
            def test(value):
                positive = _cmp(value, op, values)
                return positive if want else sa.not_(positive)
        else:
            def test(value):
                positive = _text_test(value, op, values, dialect)
                return positive if want else sa.not_(positive)
        return _keyed(kind, key, dialect, test)
    if kind == "number":
        column = t.runs.c.end_time - t.runs.c.start_time
        present = t.runs.c.end_time.isnot(None)
        positive = _cmp(column, op, values)
    elif kind == "time":
        column = _RUN_TIMES[key]
        present = column.isnot(None)
        positive = _cmp(column, op, values)
    else:
        column = _RUN_TEXT[key]
        present = column.isnot(None)
        positive = _text_test(column, op, values, dialect)
    return sa.and_(present, positive if want else sa.not_(positive))


def times_near(conn: sa.Connection, literals: Mapping[str, Sequence[float]],
               slack: float = 1e-3) -> bool:
    """Whether some run's start/end time lies within ``slack`` seconds of one of
    ``literals`` (there the frame's nanoseconds and SQL's seconds may round apart)."""
    near = [sa.and_(_RUN_TIMES[name] >= v - slack, _RUN_TIMES[name] <= v + slack)
            for name, values in literals.items() for v in values]
    if not near:
        return False
    return conn.execute(sa.select(t.runs.c.id).where(sa.or_(*near)).limit(1)).first() is not None
