"""The store: SQLAlchemy Core over SQLite (embedded) or PostgreSQL (team), plus the blobs.

This module and ``artifacts.py`` are the only code that touches SQL or artifact bytes.
"""

from __future__ import annotations

import errno
import json
import math
import os
import random
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from ..errors import NotFoundError, StoreError, StoreVersionError
from ..run_ids import match_run_id, run_id_prefix
from . import schema as t
from .artifacts import ArtifactStore, StoredBlob
from .location import StoreLocation, display_url, resolve_location

if TYPE_CHECKING:
    from .listing import RunScope
    from .registry import ModelChange

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest schema revision this code knows; bump with every new migration file.
HEAD_REVISION = "0006"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006")


# conn.info key of the experiment ids a write transaction found (kept once it commits).
_LEARNED = "mlops_jupyter.learned_experiment_ids"
# Concurrent snapshot writers on PostgreSQL retry a version another writer took this often.
_VERSION_ATTEMPTS = 20
# How the error text of a run CRASHED for want of heartbeats starts: only those come back
# to RUNNING when their process beats again (see Store.beat).
STOPPED_BEATING = "no heartbeat"


def _enable_wal(cur: Any, wait: float = 60.0) -> None:
    """Put the database in WAL mode (persistent: once set, later opens only read it).

    Switching needs an exclusive lock and SQLite answers "database is locked" at once,
    without its busy handler, while another process holds any lock: two processes opening a
    new store together would fail. Retry for up to ``wait`` seconds, as writes wait.
    """
    import sqlite3

    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            # Read first: a store already in WAL mode (every store after its first open)
            # needs no lock at all.
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else value


# Unique keys of numbered versions: a concurrent writer may take the number one wanted.
_VERSION_KEYS = frozenset({"uq_snapshots_name_version", "uq_model_versions"})


def _is_version_clash(exc: BaseException) -> bool:
    """A concurrent writer took the snapshot or model version this one wanted (PostgreSQL)."""
    diag = getattr(exc, "diag", None)
    return getattr(diag, "constraint_name", None) in _VERSION_KEYS


class Store:
    """One open store. Use :func:`open_store` (cached per location) rather than this directly."""

    def __init__(self, location: StoreLocation):
        self.location = location
        self._artifacts: ArtifactStore | None = None
        self._statements: dict[tuple[str, ...], Any] = {}
        # Filled only after the transaction that found an id commits (see write()).
        self._experiment_ids: dict[str, int] = {}  # experiments are never deleted
        self.db_path = self._sqlite_path(location.database_url)
        self.read_only = False
        try:
            if location.root is not None:
                location.root.mkdir(parents=True, exist_ok=True)
            if self.db_path is not None:
                self.read_only = self._sqlite_is_read_only(self.db_path)
            self.engine = self._make_engine(location.database_url)
            try:
                self._ensure_schema()
            except BaseException:
                self.engine.dispose()  # a store that did not open holds no connections
                raise
        except OSError as exc:
            raise StoreError(
                f"cannot open {self.describe()}: {exc.strerror or exc}; check that the folder "
                "exists, is a folder and is writable (or point MLOPS_STORE / mj.set_store at "
                "another store)"
            ) from None

    def describe(self) -> str:
        """The store as messages name it: its database file, or its URL without password."""
        if self.db_path is not None:
            return f"the store {self.db_path}"
        subject = display_url(self.location.database_url)
        if self.location.source == "MLOPS_STORE":
            return f"the store MLOPS_STORE={subject}"
        return f"the store {subject}"

    @staticmethod
    def _sqlite_path(url: str) -> Path | None:
        if not url.startswith("sqlite"):
            return None
        database = sa.engine.make_url(url).database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database).resolve()

    @staticmethod
    def _sqlite_is_read_only(path: Path) -> bool:
        """An existing database we may read but not write: a read-only mount or permissions.
        SQLite also needs to create its -wal/-shm files next to it, hence the folder check."""
        if not path.exists():
            return False
        return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))

    # -- connection management -------------------------------------------------------------
    def _make_engine(self, url: str) -> sa.Engine:
        if url.startswith("sqlite"):
            engine = self._sqlite_engine(url)
        else:
            try:
                engine = sa.create_engine(url, pool_pre_ping=True)
            except sa.exc.NoSuchModuleError as exc:
                raise StoreError(f"cannot open {self.describe()}: {exc}") from None
            except ModuleNotFoundError as exc:
                raise StoreError(
                    f"cannot open {self.describe()}: the database driver {exc.name!r} is not "
                    "installed (for PostgreSQL: pip install 'mlops-jupyter[postgres]')"
                ) from None
            except sa.exc.ArgumentError as exc:
                raise StoreError(f"cannot open {self.describe()}: {exc}") from None

        @sa.event.listens_for(engine, "handle_error")
        def _on_error(context):
            # Every failure of the database (damaged file, lost connection, full disk...)
            # reaches the user as a StoreError naming this store, never as a driver error.
            if _is_version_clash(context.original_exception):
                return  # insert_snapshot and change_model retry it
            failure = context.sqlalchemy_exception or context.original_exception
            raise self._store_error(failure) from context.original_exception

        return engine

    def _sqlite_engine(self, url: str) -> sa.Engine:
        read_only = self.read_only
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 60}}
        if read_only:
            kwargs = {"creator": self._read_only_connection}
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial
            # Manage transactions ourselves so writes can take the lock up front.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if not read_only:  # changing the journal mode is a write
                _enable_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn):
            # BEGIN IMMEDIATE takes the write lock at the start, so SQLite's busy handler
            # waits for it instead of failing with "database is locked" on lock upgrade.
            read_only = conn.get_execution_options().get("read_only", False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine

    def _read_only_connection(self):
        """A connection to a database this process may not write.

        ``mode=ro`` sees other writers' latest commits, but in WAL mode it needs the -shm
        file to exist already (a writer has the store open); with no writer and a folder we
        cannot write, SQLite can only open it ``immutable`` (nobody is writing it then)."""
        import sqlite3
        from urllib.parse import quote

        path = quote(str(self.db_path))
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60,
                               check_same_thread=False)
        try:
            conn.execute("PRAGMA schema_version").fetchall()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if "unable to open" not in str(exc):
                raise
        return sqlite3.connect(f"file:{path}?immutable=1", uri=True, check_same_thread=False)

    def _store_error(self, exc: BaseException) -> StoreError:
        """What a failure of the database means for the user, and what to do."""
        orig = getattr(exc, "orig", None) or exc
        text = " ".join(str(orig).split()) or type(orig).__name__
        lowered = text.lower()
        where = self.describe()
        if (isinstance(orig, OSError) and orig.errno == errno.ENOSPC) or "disk is full" in lowered:
            return StoreError(f"{where} is out of disk space ({text}); nothing of this write "
                              "was stored: free some space and try again")
        if self.db_path is not None:
            if "not a database" in lowered or "malformed" in lowered:
                return StoreError(
                    f"{self.db_path} is not a usable mlops-jupyter database ({text}): it is "
                    "damaged or another kind of file. Move it aside (sqlite3's .recover may "
                    "save its data) to start a new store there, or use another store "
                    "(MLOPS_STORE / mj.set_store)"
                )
            if "readonly" in lowered or "read-only" in lowered:
                return self._read_only_error()
            if "locked" in lowered:
                return StoreError(f"{where} stayed locked by another process for 60 s ({text}); "
                                  "try again when that process has finished writing")
            if "unable to open" in lowered:
                return StoreError(f"cannot open {where} ({text}): check that its folder exists "
                                  "and is readable")
        elif isinstance(exc, sa.exc.OperationalError):
            return StoreError(
                f"cannot reach {where} ({text}): check that the database server is running "
                "and that the URL (host, port, database, user, password) is right"
            )
        if isinstance(exc, sa.exc.IntegrityError):
            return StoreError(f"{where} refused the write ({text}); nothing of it was stored")
        return StoreError(f"{where} failed: {type(orig).__name__}: {text}")

    def _read_only_error(self) -> StoreError:
        return StoreError(
            f"{self.describe()} is read-only (a read-only mount or no write permission): it "
            "can be read (mj.runs, mj.get_run, mj.load_snapshot) but nothing can be written "
            "to it; write to a store you can write (mj.set_store / MLOPS_STORE)"
        )

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A write transaction. On SQLite it takes the write lock up front (BEGIN IMMEDIATE)
        and waits up to 60 s for it, so concurrent writers queue instead of failing.

        What the transaction learns for the in-process caches is kept only once it commits:
        no cache outlives a rolled-back transaction."""
        if self.read_only:
            raise self._read_only_error()
        learned: dict[str, int] = {}
        with self.engine.begin() as conn:
            conn.info[_LEARNED] = learned
            try:
                yield conn
            finally:
                conn.info.pop(_LEARNED, None)
        self._experiment_ids.update(learned)

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(read_only=True)
            with conn.begin():
                yield conn

    def _ensure_schema(self) -> None:
        with self.engine.connect() as conn:
            inspector = sa.inspect(conn)
            current = None
            if inspector.has_table("alembic_version"):
                current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        if current == HEAD_REVISION:
            return  # the common case costs one query and no Alembic import
        if current is not None and current not in KNOWN_REVISIONS:
            from .._version import __version__

            raise StoreVersionError(
                f"{self.describe()} has schema revision {current!r}, "
                f"written by a newer mlops-jupyter; this mlops-jupyter {__version__} knows "
                f"revisions up to {HEAD_REVISION!r}. Upgrade it: pip install -U mlops-jupyter"
            )
        if self.read_only:
            raise StoreError(
                f"{self.describe()} is read-only and needs its schema upgraded (revision "
                f"{current!r} to {HEAD_REVISION!r}) before this mlops-jupyter can read it: open "
                "it once where it is writable, or use the mlops-jupyter that wrote it"
            )
        self._upgrade()

    def _upgrade(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    @property
    def artifacts(self) -> ArtifactStore:
        if self._artifacts is None:
            self._artifacts = ArtifactStore(self.location.artifacts_url, read_only=self.read_only)
        return self._artifacts

    def _insert(self, table: sa.Table):
        """The dialect's INSERT (both SQLite and PostgreSQL have ON CONFLICT)."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def _upsert(self, table: sa.Table, keys: list[str]):
        # Built once per table: constructing and compiling statements per call was most of
        # the cost of logging a run.
        cached = self._statements.get((table.name, *keys))
        if cached is None:
            stmt = self._insert(table)
            update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
            cached = stmt.on_conflict_do_update(index_elements=keys, set_=update)
            self._statements[(table.name, *keys)] = cached
        return cached

    def _latest_metric_upsert(self):
        cached = self._statements.get(("latest_metrics", "newer"))
        if cached is None:
            lm = t.latest_metrics
            stmt = self._insert(lm)
            new = stmt.excluded
            # One statement: a value logged for an earlier step never replaces a later one.
            cached = stmt.on_conflict_do_update(
                index_elements=["run_id", "key"],
                set_={"value": new.value, "step": new.step, "timestamp": new.timestamp},
                where=sa.or_(new.step > lm.c.step,
                             sa.and_(new.step == lm.c.step, new.timestamp >= lm.c.timestamp)),
            )
            self._statements[("latest_metrics", "newer")] = cached
        return cached

    # -- experiments and runs --------------------------------------------------------------
    def experiment_id(self, conn: sa.Connection, name: str) -> int:
        """The id of experiment ``name``, created in ``conn``'s transaction if new."""
        cached = self._experiment_ids.get(name)
        if cached is not None:
            return cached
        query = sa.select(t.experiments.c.id).where(t.experiments.c.name == name)
        found = conn.execute(query).scalar()
        if found is None:
            conn.execute(
                self._insert(t.experiments).values(name=name, created_at=time.time())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            found = conn.execute(query).scalar_one()
        # Remembered by write() after commit: a rolled-back insert must not leave its id.
        conn.info.get(_LEARNED, {})[name] = found
        return found

    def create_run(self, run: Mapping[str, Any], experiment: str,
                   params: Mapping[str, Any] | None = None,
                   tags: Mapping[str, str] | None = None) -> None:
        with self.write() as conn:
            values = dict(run)
            parent = values.get("parent_run_id")
            if parent is not None and conn.execute(
                    sa.select(t.runs.c.id).where(t.runs.c.id == parent)).first() is None:
                raise NotFoundError(f"parent run {parent!r} does not exist in this store; "
                                    "pass the id of an existing run (mj.runs() lists them)")
            values["experiment_id"] = self.experiment_id(conn, experiment)
            insert = t.runs.insert()
            if values.get("heartbeat_interval") is not None:
                insert = insert.values(heartbeat_at=self._db_now())  # its first beat
            conn.execute(insert, [values])
            if params:
                self._log_params(conn, values["id"], params)
            if tags:
                self._set_tags(conn, values["id"], tags)

    def update_run(self, run_id: str, **fields: Any) -> None:
        stmt = t.runs.update().where(t.runs.c.id == sa.bindparam("_run_id")).values(
            {key: sa.bindparam(key) for key in fields})
        with self.write() as conn:
            conn.execute(stmt, [{"_run_id": run_id, **fields}])

    def _log_params(self, conn: sa.Connection, run_id: str, params: Mapping[str, Any]) -> None:
        rows = [{"run_id": run_id, "key": k, "value": v} for k, v in params.items()]
        conn.execute(self._upsert(t.params, ["run_id", "key"]), rows)

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        if params:
            with self.write() as conn:
                self._log_params(conn, run_id, params)

    def log_metrics(self, run_id: str, values: Iterable[tuple[str, float, int, float]]) -> None:
        """Record (key, value, step, timestamp) tuples; the last per key becomes the latest."""
        rows = [
            {"run_id": run_id, "key": k, "value": _nan_to_none(v), "step": s, "timestamp": ts}
            for k, v, s, ts in values
        ]
        if not rows:
            return
        latest: dict[str, dict] = {}
        for row in rows:
            prev = latest.get(row["key"])
            if prev is None or (row["step"], row["timestamp"]) >= (prev["step"], prev["timestamp"]):
                latest[row["key"]] = row
        with self.write() as conn:
            conn.execute(t.metrics.insert(), rows)
            conn.execute(self._latest_metric_upsert(), list(latest.values()))

    def _set_tags(self, conn: sa.Connection, run_id: str, tags: Mapping[str, str]) -> None:
        rows = [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()]
        conn.execute(self._upsert(t.tags, ["run_id", "key"]), rows)

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        if tags:
            with self.write() as conn:
                self._set_tags(conn, run_id, tags)

    def run_exists(self, run_id: str) -> bool:
        with self.read() as conn:
            return conn.execute(sa.select(t.runs.c.id).where(t.runs.c.id == run_id)).first() is not None

    def resolve_run_id(self, prefix: str) -> str:
        """Full run id from a unique prefix (as users copy the short id we display)."""
        prefix = run_id_prefix(prefix)
        with self.read() as conn:
            # autoescape: ``%`` and ``_`` in what the user typed match only themselves
            found = conn.execute(
                sa.select(t.runs.c.id).where(t.runs.c.id.startswith(prefix, autoescape=True))
                .limit(2)
            ).scalars().all()
        return match_run_id(prefix, found)

    def run_record(self, run_id: str) -> dict[str, Any]:
        """Everything about one run, as plain Python values."""
        with self.read() as conn:
            row = conn.execute(
                sa.select(t.runs, t.experiments.c.name.label("experiment"))
                .join(t.experiments, t.runs.c.experiment_id == t.experiments.c.id)
                .where(t.runs.c.id == run_id)
            ).mappings().first()
            if row is None:
                raise NotFoundError(f"no run with id {run_id!r} in this store")
            record = dict(row)
            record["params"] = {
                r.key: r.value
                for r in conn.execute(sa.select(t.params).where(t.params.c.run_id == run_id))
            }
            history: dict[str, list[tuple[int, float, float]]] = {}
            for r in conn.execute(
                sa.select(t.metrics).where(t.metrics.c.run_id == run_id)
                .order_by(t.metrics.c.key, t.metrics.c.step, t.metrics.c.timestamp, t.metrics.c.id)
            ):
                value = math.nan if r.value is None else r.value
                history.setdefault(r.key, []).append((r.step, value, r.timestamp))
            record["metric_history"] = history
            record["metrics"] = {
                r.key: (math.nan if r.value is None else r.value)
                for r in conn.execute(
                    sa.select(t.latest_metrics).where(t.latest_metrics.c.run_id == run_id)
                )
            }
            record["tags"] = {
                r.key: r.value
                for r in conn.execute(sa.select(t.tags).where(t.tags.c.run_id == run_id))
            }
            record["artifacts"] = [
                dict(r) for r in conn.execute(
                    sa.select(t.artifacts).where(t.artifacts.c.run_id == run_id)
                    .order_by(t.artifacts.c.id)
                ).mappings()
            ]
            record["inputs"] = [
                {"role": r.role, **{k: v for k, v in r._mapping.items()
                                    if k not in ("schema", "profile")}}
                for r in conn.execute(
                    sa.select(t.run_inputs.c.role, t.snapshots.c.id, t.snapshots.c.name,
                              t.snapshots.c.version, t.snapshots.c.fingerprint,
                              t.snapshots.c.rows.label("n_rows"), t.snapshots.c.n_columns)
                    .join(t.snapshots, t.run_inputs.c.snapshot_id == t.snapshots.c.id)
                    .where(t.run_inputs.c.run_id == run_id)
                )
            ]
            record["children"] = list(conn.execute(
                sa.select(t.runs.c.id).where(t.runs.c.parent_run_id == run_id)
                .order_by(t.runs.c.start_time)
            ).scalars())
        return record

    def runs_tables(self, experiment: str | None = None,
                    conditions: Sequence[tuple[str, str, str, Any]] = (),
                    scope: RunScope | None = None) -> dict[str, Any]:
        """Raw rows of runs, params, latest metrics and tags (the API pivots them).

        ``conditions`` (from ``runs_query.prefilter_conditions``) narrow the runs in SQL
        first: only matching runs are fetched and pivoted. ``known_keys``: the keys of every
        run of ``experiment`` (all runs without one), matching or not, so the table has the
        same columns whatever the filter; ``store_keys``: the keys of the whole store (only
        with an ``experiment``), so a filter naming another experiment's key is not a typo.
        ``scope``: only its runs (its ``ids`` or ``sql_filter``).

        Rows are fetched from the driver's cursor as plain tuples: SQLAlchemy's row objects
        cost more than the query itself for a million param values.
        """
        from . import listing

        with self.read() as conn:
            run_q = (
                sa.select(t.runs.c.id, t.runs.c.name, t.experiments.c.name.label("experiment"),
                          t.runs.c.status, t.runs.c.start_time, t.runs.c.end_time,
                          t.runs.c.parent_run_id, t.runs.c.notebook_path)
                .join(t.experiments, t.runs.c.experiment_id == t.experiments.c.id)
            )
            in_experiment = [t.experiments.c.name == experiment] if experiment is not None else []
            clauses = [self._condition(*c) for c in conditions] + in_experiment
            if scope is not None:
                clauses += self._scope(scope)
            run_ids = None
            if clauses:
                run_q = run_q.where(*clauses)
                run_ids = (
                    sa.select(t.runs.c.id)
                    .join(t.experiments, t.runs.c.experiment_id == t.experiments.c.id)
                    .where(*clauses)
                    .scalar_subquery()
                )

            def rows(table: sa.Table, raw_json: bool = False) -> list[tuple]:
                value = sa.type_coerce(table.c.value, sa.Text) if raw_json else table.c.value
                q = sa.select(table.c.run_id, table.c.key, value)
                if run_ids is not None:
                    q = q.where(table.c.run_id.in_(run_ids))
                return conn.execute(q).cursor.fetchall()

            def keys(scope: list) -> dict[str, list[str]]:
                out: dict[str, list[str]] = {}
                for name, table in (("params", t.params), ("metrics", t.latest_metrics),
                                    ("tags", t.tags)):
                    if not scope:
                        out[name] = listing.distinct_keys(conn, table)
                        continue
                    q = sa.select(table.c.key).distinct()
                    if scope:
                        q = q.where(table.c.run_id.in_(
                            sa.select(t.runs.c.id)
                            .join(t.experiments, t.runs.c.experiment_id == t.experiments.c.id)
                            .where(*scope)
                        ))
                    out[name] = list(conn.execute(q).scalars())
                return out

            params = rows(t.params, raw_json=True)
            ids, names, raw = zip(*params, strict=True) if params else ((), (), ())
            # One json.loads for all values instead of one per row.
            decoded = json.loads("[" + ",".join(v if v is not None else "null" for v in raw) + "]")
            return {
                # Without clauses every run's keys are in the rows already.
                "known_keys": keys(in_experiment) if clauses else {},
                "store_keys": keys([]) if experiment is not None else {},
                "runs": conn.execute(run_q.order_by(t.runs.c.start_time)).cursor.fetchall(),
                "params": list(zip(ids, names, decoded, strict=True)),
                "metrics": rows(t.latest_metrics),
                "tags": rows(t.tags),
            }

    def metric_histories(self, run_ids: Sequence[str], min_points: int = 2
                         ) -> dict[str, dict[str, list[tuple[int, float, float]]]]:
        """``{run_id: {key: [(step, value, time), ...]}}`` for series of at least
        ``min_points`` values, in one query (the comparison view's curves)."""
        if not run_ids:
            return {}
        m = t.metrics
        counted = (
            sa.select(m.c.run_id, m.c.key)
            .where(m.c.run_id.in_(list(run_ids)))
            .group_by(m.c.run_id, m.c.key)
            .having(sa.func.count() >= min_points)
            .subquery()
        )
        query = (
            sa.select(m.c.run_id, m.c.key, m.c.step, m.c.value, m.c.timestamp)
            .join(counted, sa.and_(m.c.run_id == counted.c.run_id, m.c.key == counted.c.key))
            .order_by(m.c.run_id, m.c.key, m.c.step, m.c.timestamp, m.c.id)
        )
        out: dict[str, dict[str, list[tuple[int, float, float]]]] = {}
        with self.read() as conn:
            for run_id, key, step, value, ts in conn.execute(query):
                out.setdefault(run_id, {}).setdefault(key, []).append(
                    (step, math.nan if value is None else value, ts))
        return out

    @staticmethod
    def _condition(kind: str, key: str, op: str, value: Any):
        """SQL for one ``runs_query.prefilter_conditions`` term: ``(kind, key, op, value)``,
        ``op`` a comparison or ``"in"`` (``value`` then a tuple). Params are stored as JSON
        text, so a param's strings are compared as their JSON encoding."""
        import operator

        def compare(column, wanted):
            if op == "in":
                return column.in_(list(wanted))
            return {"==": operator.eq, "=": operator.eq, "!=": operator.ne, "<": operator.lt,
                    "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op](column, wanted)

        if kind == "attributes":
            columns = {"run_id": t.runs.c.id, "name": t.runs.c.name, "status": t.runs.c.status,
                       "experiment": t.experiments.c.name, "start_time": t.runs.c.start_time,
                       "end_time": t.runs.c.end_time, "parent_run_id": t.runs.c.parent_run_id,
                       "notebook_path": t.runs.c.notebook_path}
            return compare(columns[key], value)
        if kind == "metrics":
            table, column = t.latest_metrics, t.latest_metrics.c.value
        elif kind == "params":
            table, column = t.params, sa.type_coerce(t.params.c.value, sa.Text)
            value = tuple(json.dumps(v) for v in value) if op == "in" else json.dumps(value)
        elif kind == "tags":
            table, column = t.tags, t.tags.c.value
        else:
            raise ValueError(f"unknown prefilter condition kind {kind!r}")
        matching = sa.select(table.c.run_id).where(table.c.key == key, compare(column, value))
        return t.runs.c.id.in_(matching)

    def _db_now(self) -> sa.ColumnElement[float]:
        """The database's clock in epoch seconds. Heartbeats are written and judged on it,
        so the clocks of the hosts of a team (which may disagree) never matter."""
        if self.engine.dialect.name == "postgresql":
            return sa.cast(sa.extract("epoch", sa.func.clock_timestamp()), sa.Float)
        return (sa.func.julianday("now") - 2440587.5) * 86400.0  # SQLite: days -> Unix seconds

    # -- paged listings for front ends (listing.py) ----------------------------------------
    def page_ids(self, scope: RunScope, order: Sequence[tuple[str, bool]], limit: int | None,
                 offset: int, count: bool = True) -> tuple[int | None, list[str]]:
        """(runs in scope, ids of one page), ordered and paged in SQL (see listing.page_ids)."""
        from . import listing

        with self.read() as conn:
            return listing.page_ids(conn, self._scope(scope), order, limit, offset, count)

    def _scope(self, scope: RunScope) -> list[Any]:
        from . import listing

        return listing.scope_clauses(self._condition, scope, self.engine.dialect.name)

    def times_near(self, literals: Mapping[str, Sequence[float]]) -> bool:
        """Whether a run's start or end time is within a millisecond of one of ``literals``
        (epoch seconds by column)."""
        from . import listing

        with self.read() as conn:
            return listing.times_near(conn, literals)

    def narrow_runs_tables(self, scope: RunScope, keys: Mapping[str, Collection[str]],
                           attributes: Collection[str] | None = None) -> dict[str, Any]:
        """:meth:`runs_tables` of the runs in scope with only the params/metrics/tags
        ``keys`` (what a filter and an order need), for ``build_runs_frame``."""
        from . import listing

        with self.read() as conn:
            return listing.narrow_tables(conn, self._scope(scope), keys,
                                         scoped_values=scope.sql_filter is None,
                                         attributes=attributes)

    def existing_keys(self, kind: str, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` some run of the store has as a ``kind`` (params/metrics/tags)."""
        from . import listing

        with self.read() as conn:
            return listing.existing_keys(conn, kind, keys)

    def run_keys(self, scope: RunScope | None = None) -> dict[str, list[str]]:
        """The params/metrics/tags keys of the runs in ``scope`` (all runs when None)."""
        from . import listing

        with self.read() as conn:
            clauses = [] if scope is None else self._scope(scope)
            return listing.all_keys(conn, clauses)

    def page_rows(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        """What a listing shows of each run, with min/max/latest of each metric."""
        from . import listing

        with self.read() as conn:
            return listing.page_rows(conn, run_ids)

    def experiment_counts(self) -> list[tuple[str, int]]:
        """(name, number of runs) of every experiment, by name."""
        from . import listing

        with self.read() as conn:
            return listing.experiment_counts(conn)

    def change_token(self) -> tuple[str, int]:
        """(a token that changes with every write a runs listing shows, number of runs)."""
        from . import listing

        with self.read() as conn:
            return listing.change_token(conn)

    def running_runs(self) -> list[dict[str, Any]]:
        """The RUNNING runs: who runs them (pid, host, process start), their last heartbeat
        and interval, and ``now``, the database's clock to judge the heartbeat by."""
        r = t.runs.c
        with self.read() as conn:
            return [dict(row) for row in conn.execute(
                sa.select(r.id, r.pid, r.host, r.process_start, r.heartbeat_at,
                          r.heartbeat_interval, self._db_now().label("now"))
                .where(r.status == "RUNNING")
            ).mappings()]

    def beat(self, run_ids: Sequence[str]) -> None:
        """Record that the process running ``run_ids`` is alive (one UPDATE for all).

        A run marked CRASHED because its heartbeat stopped (a suspended laptop, a lost
        network) is RUNNING again when its process beats again: it was not dead after all."""
        if not run_ids or self.read_only:
            return
        r = t.runs.c
        with self.write() as conn:
            conn.execute(
                t.runs.update()
                .where(r.id.in_(list(run_ids)))
                .where(sa.or_(r.status == "RUNNING",
                              sa.and_(r.status == "CRASHED", r.heartbeat_at.is_not(None),
                                      r.error.startswith(STOPPED_BEATING))))
                .values(heartbeat_at=self._db_now(), status="RUNNING", end_time=None,
                        error=sa.case((r.status == "CRASHED", None), else_=r.error))
            )

    def mark_crashed(self, crashed: Mapping[str, tuple[str, float | None]]) -> None:
        """Mark runs CRASHED: ``{run_id: (reason, heartbeat_at seen)}``. A run that beat
        since its heartbeat was seen (``heartbeat_at`` not None) is left RUNNING."""
        # A reader of a read-only store cannot fix them; they stay RUNNING for it.
        if not crashed or self.read_only:
            return
        r = t.runs.c
        with self.write() as conn:
            for run_id, (reason, seen) in crashed.items():
                stmt = (t.runs.update().where(r.id == run_id).where(r.status == "RUNNING")
                        .values(status="CRASHED", end_time=time.time(), error=reason))
                if seen is not None:
                    stmt = stmt.where(r.heartbeat_at <= seen)
                conn.execute(stmt)

    # -- artifacts -------------------------------------------------------------------------
    def add_artifact(self, run_id: str, name: str, kind: str, data: bytes,
                     meta: Mapping[str, Any] | None = None) -> StoredBlob:
        blob = self.artifacts.put_bytes(data)
        with self.write() as conn:
            conn.execute(
                self._upsert(t.artifacts, ["run_id", "name"]).values(
                    run_id=run_id, name=name, kind=kind, blob_hash=blob.blob_hash,
                    size=blob.size, meta=dict(meta or {}), created_at=time.time(),
                )
            )
        return blob

    def artifact(self, run_id: str, name: str) -> tuple[dict[str, Any], bytes]:
        with self.read() as conn:
            row = conn.execute(
                sa.select(t.artifacts).where(t.artifacts.c.run_id == run_id)
                .where(t.artifacts.c.name == name)
            ).mappings().first()
            if row is None:
                names = conn.execute(
                    sa.select(t.artifacts.c.name).where(t.artifacts.c.run_id == run_id)
                ).scalars().all()
        if row is None:
            raise NotFoundError(
                f"run {run_id[:8]} has no artifact {name!r}; it has: {', '.join(names) or 'none'}"
            )
        return dict(row), self.artifacts.get_bytes(
            row["blob_hash"], what=f"artifact {name!r} of run {run_id[:8]}", size=row["size"],
            remedy="log the artifact again in a new run, or restore the artifacts folder from "
                   "a backup",
        )

    # -- snapshots -------------------------------------------------------------------------
    def snapshot_by_fingerprint(self, fingerprint: str, name: str | None = None) -> dict | None:
        q = sa.select(t.snapshots).where(t.snapshots.c.fingerprint == fingerprint)
        if name is not None:
            q = q.where(t.snapshots.c.name == name)
        with self.read() as conn:
            row = conn.execute(q.order_by(t.snapshots.c.version.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def insert_snapshot(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a new version of ``row['name']``; the version number is assigned here.

        A version of that name with the same fingerprint, stored by another process since
        the caller looked, is returned instead: writers snapshotting one frame at once make
        one version of it."""
        # SQLite's write lock serialises writers, so the next version is free when read.
        # PostgreSQL lets two writers read the same latest version; the unique key stops the
        # second, which then retries with the version the first one committed (and so finds
        # the first one's row when both stored the same frame). The latest version and the
        # same frame's version are read in ONE statement: under READ COMMITTED two statements
        # may see different commits (no same frame yet, then its version as the latest), and
        # the writer would store the frame a second time as the next version.
        s = t.snapshots.c
        for attempt in range(_VERSION_ATTEMPTS):
            try:
                with self.write() as conn:
                    latest, same_version = conn.execute(
                        sa.select(sa.func.max(s.version),
                                  sa.func.max(sa.case((s.fingerprint == row["fingerprint"],
                                                       s.version))))
                        .where(s.name == row["name"])).one()
                    if same_version is not None:
                        return dict(conn.execute(
                            sa.select(t.snapshots).where(s.name == row["name"],
                                                         s.version == same_version)
                        ).mappings().one())
                    values = {**row, "version": (latest or 0) + 1}
                    conn.execute(t.snapshots.insert().values(**values))
                return values
            except sa.exc.IntegrityError as exc:
                if not _is_version_clash(exc.orig) or attempt == _VERSION_ATTEMPTS - 1:
                    raise self._store_error(exc) from exc
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise AssertionError("unreachable")

    def snapshot_row(self, name_or_id: str, version: int | None = None) -> dict[str, Any]:
        with self.read() as conn:
            q = sa.select(t.snapshots).where(t.snapshots.c.name == name_or_id)
            if version is not None:
                q = q.where(t.snapshots.c.version == version)
            row = conn.execute(q.order_by(t.snapshots.c.version.desc()).limit(1)).mappings().first()
            if row is None and version is None:
                row = conn.execute(
                    sa.select(t.snapshots).where(t.snapshots.c.id == name_or_id)
                ).mappings().first()
            if row is None:
                names = conn.execute(sa.select(t.snapshots.c.name).distinct()).scalars().all()
        if row is None:
            which = f"{name_or_id!r}" + (f" version {version}" if version is not None else "")
            raise NotFoundError(
                f"no snapshot {which}; snapshots in this store: {', '.join(sorted(names)) or 'none'}"
            )
        return dict(row)

    def snapshot_bytes(self, row: Mapping[str, Any]) -> bytes:
        """The Parquet bytes of a snapshot row, checked against its hash."""
        return self.artifacts.get_bytes(
            row["blob_hash"], what=f"snapshot {row['name']!r} version {row['version']}",
            size=row["size"],
            remedy=f"snapshot the same frame again (mj.snapshot(frame, {row['name']!r})), "
                   "which stores a missing or cut-short blob again, or restore the artifacts "
                   "folder from a backup",
        )

    def replace_snapshot_blob(self, fingerprint: str, old_hash: str, new: StoredBlob) -> None:
        """Point the snapshots of ``fingerprint`` stored as ``old_hash`` at a re-stored blob
        (the same frame encoded again, by another Parquet writer version say)."""
        with self.write() as conn:
            conn.execute(
                sa.update(t.snapshots)
                .where(t.snapshots.c.fingerprint == fingerprint)
                .where(t.snapshots.c.blob_hash == old_hash)
                .values(blob_hash=new.blob_hash, size=new.size)
            )

    def set_snapshot_extra(self, fingerprint: str, key: str, value: Any) -> None:
        """Record ``value`` under ``key`` in the profile JSON of every snapshot of
        ``fingerprint`` (the same content under any name): derived data stored once, such as
        the blob of its drift profile. Readers of the profile look only at its "columns"."""
        with self.write() as conn:
            rows = conn.execute(
                sa.select(t.snapshots.c.id, t.snapshots.c.profile)
                .where(t.snapshots.c.fingerprint == fingerprint)
            ).mappings().all()
            for row in rows:
                conn.execute(sa.update(t.snapshots).where(t.snapshots.c.id == row["id"])
                             .values(profile={**(row["profile"] or {}), key: value}))

    def snapshot_rows(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            return [dict(r) for r in conn.execute(
                sa.select(t.snapshots.c.id, t.snapshots.c.name, t.snapshots.c.version,
                          t.snapshots.c.fingerprint, t.snapshots.c.rows, t.snapshots.c.n_columns,
                          t.snapshots.c.size, t.snapshots.c.created_at)
                .order_by(t.snapshots.c.name, t.snapshots.c.version)
            ).mappings()]

    def link_input(self, run_id: str, snapshot_id: str, role: str) -> None:
        with self.write() as conn:
            conn.execute(
                self._insert(t.run_inputs).values(run_id=run_id, snapshot_id=snapshot_id, role=role)
                .on_conflict_do_nothing()
            )

    # -- model registry (the rules are deploy/registry.py's) ------------------------------
    def change_model(self, name: str, change: Callable[[ModelChange], T]) -> T:
        """Run ``change`` on model ``name``'s rows in one write transaction and return what
        it returns; whatever it raises rolls everything back. The model's row is locked
        (PostgreSQL) so changes of one model queue; a version number taken by a concurrent
        writer is retried with a fresh transaction, as :meth:`insert_snapshot` does."""
        from .registry import ModelChange, model_row

        for attempt in range(_VERSION_ATTEMPTS):
            try:
                with self.write() as conn:
                    return change(ModelChange(conn, name, model_row(conn, name, lock=True),
                                              self._insert))
            except sa.exc.IntegrityError as exc:
                if not _is_version_clash(exc.orig) or attempt == _VERSION_ATTEMPTS - 1:
                    raise self._store_error(exc) from exc
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise AssertionError("unreachable")

    def registered_models(self) -> list[dict[str, Any]]:
        """Every registered model (name order), each with its ``versions``."""
        from .registry import model_rows

        with self.read() as conn:
            return model_rows(conn)

    def registered_model(self, name: str) -> dict[str, Any] | None:
        """Model ``name`` with its ``versions`` (oldest first), or None."""
        from .registry import model_row, version_rows

        with self.read() as conn:
            model = model_row(conn, name)
            return None if model is None else {**model, "versions": version_rows(conn, model["id"])}

    def model_names(self) -> list[str]:
        with self.read() as conn:
            return list(conn.execute(sa.select(t.registered_models.c.name)
                                     .order_by(t.registered_models.c.name)).scalars())

    def registry_audit(self, name: str | None = None) -> list[dict[str, Any]]:
        """The registry's audit events, oldest first (only model ``name``'s when given)."""
        from .registry import audit_rows

        with self.read() as conn:
            return audit_rows(conn, name)

    def registrations_of_run(self, run_id: str) -> list[dict[str, Any]]:
        from .registry import registrations_of_run

        with self.read() as conn:
            return registrations_of_run(conn, run_id)

    def close(self) -> None:
        self.engine.dispose()


_open_stores: dict[StoreLocation, Store] = {}
_resolved: dict[tuple[str | None, ...], StoreLocation] = {}


def open_store(spec: str | None = None) -> Store:
    """The store for ``spec`` / ``MLOPS_STORE`` / the working directory, opened once per process."""
    import os

    # Resolving walks the folders upwards; remember the answer for the same inputs.
    key = (spec, os.environ.get("MLOPS_STORE"), os.environ.get("MLOPS_ARTIFACTS"), os.getcwd())
    location = _resolved.get(key)
    if location is None:
        location = _resolved[key] = resolve_location(spec)
    store = _open_stores.get(location)
    if store is None:
        store = _open_stores[location] = Store(location)
    return store


def close_stores() -> None:
    """Close every store :func:`open_store` opened in this process and forget them (and where
    each spec resolved to): the next :func:`open_store` opens and resolves afresh."""
    for store in list(_open_stores.values()):
        store.close()
    _open_stores.clear()
    _resolved.clear()
