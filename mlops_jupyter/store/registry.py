"""The model registry's rows: registered models, their versions, aliases and audit events.

SQL only; the rules (which stage changes archive what, what an alias may be called, what
is audited) live in ``deploy/registry.py``, which changes a model through
:meth:`Store.change_model <mlops_jupyter.store.Store.change_model>` and a
:class:`ModelChange`: one write transaction in which the model's row is locked, so two
processes changing the same model queue instead of interleaving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from . import schema as t

# audit_events.entity of registry events; entity_id is the model name.
MODEL_ENTITY = "model"

_VERSION_COLUMNS = (t.model_versions.c.version, t.model_versions.c.run_id,
                    t.model_versions.c.artifact_name, t.model_versions.c.stage,
                    t.model_versions.c.description, t.model_versions.c.created_at,
                    t.model_versions.c.created_by)


def _aliases_by_version(conn: sa.Connection, model_ids: list[int]) -> dict[int, list[str]]:
    """model_versions.id -> its aliases (sorted), for the models ``model_ids``."""
    if not model_ids:
        return {}
    a = t.model_aliases
    out: dict[int, list[str]] = {}
    for version_id, alias in conn.execute(
            sa.select(a.c.version_id, a.c.alias).where(a.c.model_id.in_(model_ids))
            .order_by(a.c.alias)):
        out.setdefault(version_id, []).append(alias)
    return out


def version_rows(conn: sa.Connection, model_id: int) -> list[dict[str, Any]]:
    """Every version of a model, oldest first, each with its ``aliases``."""
    mv = t.model_versions
    rows = conn.execute(
        sa.select(mv.c.id, *_VERSION_COLUMNS).where(mv.c.model_id == model_id)
        .order_by(mv.c.version)
    ).mappings().all()
    aliases = _aliases_by_version(conn, [model_id])
    return [{**{k: v for k, v in row.items() if k != "id"}, "aliases": aliases.get(row["id"], [])}
            for row in rows]


def model_row(conn: sa.Connection, name: str, *, lock: bool = False) -> dict[str, Any] | None:
    query = sa.select(t.registered_models).where(t.registered_models.c.name == name)
    if lock:  # PostgreSQL: SELECT ... FOR UPDATE; SQLite's write lock already serialises
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def model_rows(conn: sa.Connection) -> list[dict[str, Any]]:
    """Every registered model with all its versions (``versions``, oldest first)."""
    models = [dict(r) for r in conn.execute(
        sa.select(t.registered_models).order_by(t.registered_models.c.name)).mappings()]
    mv = t.model_versions
    by_model: dict[int, list[dict[str, Any]]] = {m["id"]: [] for m in models}
    aliases = _aliases_by_version(conn, list(by_model))
    for row in conn.execute(sa.select(mv.c.id, mv.c.model_id, *_VERSION_COLUMNS)
                            .order_by(mv.c.model_id, mv.c.version)).mappings():
        by_model[row["model_id"]].append(
            {**{k: v for k, v in row.items() if k not in ("id", "model_id")},
             "aliases": aliases.get(row["id"], [])})
    return [{**m, "versions": by_model[m["id"]]} for m in models]


def audit_rows(conn: sa.Connection, name: str | None = None) -> list[dict[str, Any]]:
    """Registry audit events, oldest first; only model ``name``'s when given."""
    e = t.audit_events
    query = sa.select(e).where(e.c.entity == MODEL_ENTITY)
    if name is not None:
        query = query.where(e.c.entity_id == name)
    return [dict(r) for r in conn.execute(query.order_by(e.c.time, e.c.id)).mappings()]


def registrations_of_run(conn: sa.Connection, run_id: str) -> list[dict[str, Any]]:
    """(name, version, artifact_name, stage) of every version registered from ``run_id``."""
    mv, rm = t.model_versions, t.registered_models
    return [dict(r) for r in conn.execute(
        sa.select(rm.c.name, mv.c.version, mv.c.artifact_name, mv.c.stage)
        .join(rm, mv.c.model_id == rm.c.id).where(mv.c.run_id == run_id)
        .order_by(rm.c.name, mv.c.version)).mappings()]


class ModelChange:
    """The rows of one registered model, read and changed inside one write transaction.

    ``model`` is the registered_models row (None until :meth:`create` for a new name).
    Everything done through it commits together, or not at all.
    """

    def __init__(self, conn: sa.Connection, name: str, model: dict[str, Any] | None,
                 insert: Callable[[sa.Table], Any]):
        self.conn = conn
        self.name = name
        self.model = model
        self._insert = insert  # the dialect's INSERT (it has ON CONFLICT)

    def _id(self) -> int:
        if self.model is None:
            raise AssertionError(f"model {self.name!r} does not exist yet: create() it first")
        return self.model["id"]

    def create(self, description: str | None, now: float) -> None:
        """Create the model; a concurrent creator's row is used if it committed first."""
        self.conn.execute(self._insert(t.registered_models).values(name=self.name, description=description,
                                        created_at=now)
                          .on_conflict_do_nothing(index_elements=["name"]))
        self.model = model_row(self.conn, self.name, lock=True)

    def versions(self) -> list[dict[str, Any]]:
        return version_rows(self.conn, self._id()) if self.model is not None else []

    def next_version(self) -> int:
        mv = t.model_versions
        latest = self.conn.execute(
            sa.select(sa.func.max(mv.c.version)).where(mv.c.model_id == self._id())).scalar()
        return (latest or 0) + 1

    def insert_version(self, **values: Any) -> None:
        self.conn.execute(t.model_versions.insert().values(model_id=self._id(), **values))

    def set_stage(self, version: int, stage: str) -> None:
        mv = t.model_versions
        self.conn.execute(mv.update().where(mv.c.model_id == self._id())
                          .where(mv.c.version == version).values(stage=stage))

    def set_description(self, description: str | None) -> None:
        rm = t.registered_models
        self.conn.execute(rm.update().where(rm.c.id == self._id())
                          .values(description=description))
        self.model = {**self.model, "description": description}  # type: ignore[dict-item]

    def aliases(self) -> dict[str, int]:
        """alias -> version number."""
        a, mv = t.model_aliases, t.model_versions
        return dict(self.conn.execute(
            sa.select(a.c.alias, mv.c.version).join(mv, a.c.version_id == mv.c.id)
            .where(a.c.model_id == self._id())).all())

    def put_alias(self, alias: str, version: int) -> None:
        """Point ``alias`` at ``version`` (created, or moved in one statement)."""
        a, mv = t.model_aliases, t.model_versions
        version_id = self.conn.execute(
            sa.select(mv.c.id).where(mv.c.model_id == self._id())
            .where(mv.c.version == version)).scalar_one()
        moved = self.conn.execute(a.update().where(a.c.model_id == self._id())
                                  .where(a.c.alias == alias).values(version_id=version_id))
        if moved.rowcount == 0:
            self.conn.execute(a.insert().values(model_id=self._id(), alias=alias,
                                                version_id=version_id))

    def drop_alias(self, alias: str) -> None:
        a = t.model_aliases
        self.conn.execute(a.delete().where(a.c.model_id == self._id())
                          .where(a.c.alias == alias))

    def audit(self, *, action: str, version: int | None, before: Any, after: Any,
              actor: str, host: str, time: float) -> None:
        self.conn.execute(t.audit_events.insert().values(
            time=time, actor=actor, host=host, action=action, entity=MODEL_ENTITY,
            entity_id=self.name, version=version, before=before, after=after))
