"""Table definitions (SQLAlchemy Core). Changes go through an Alembic migration."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


def storable_text(value: str) -> str:
    """``value`` as text every backend can store, readable and otherwise unchanged.

    PostgreSQL text cannot hold NUL, and neither driver can encode a lone surrogate (from a
    ``surrogateescape``-decoded path or a broken exception message): both become visible
    escapes (``\\x00``, ``\\ud800``) instead of failing the write that carries them.
    """
    if "\x00" in value:
        value = value.replace("\x00", "\\x00")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


class StorableText(sa.TypeDecorator):
    """TEXT whose values pass through :func:`storable_text` on the way in.

    Every text column of the schema is one of these, so no caller has to remember to clean
    what it writes (error text, cell source, tags, notebook path...).
    """

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return storable_text(value) if isinstance(value, str) else value


class StorableString(StorableText):
    """VARCHAR(n) made storable as :class:`StorableText` is."""

    impl = sa.String
    cache_ok = True


class JSONText(sa.TypeDecorator):
    """JSON kept as TEXT on every backend.

    SQLite's JSON columns have NUMERIC affinity, which turns the text ``0.0`` into the
    integer 0; typed params must come back with the type they were logged with.
    """

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        # json.dumps escapes NUL and surrogates (ensure_ascii): always storable, and exact.
        return None if value is None else json.dumps(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else json.loads(value)

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", StorableString(255), nullable=False, unique=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", StorableString(32), primary_key=True),
    sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.id"), nullable=False),
    sa.Column("name", StorableString(255), nullable=False),
    sa.Column("status", StorableString(16), nullable=False),
    sa.Column("start_time", sa.Float, nullable=False),
    sa.Column("end_time", sa.Float),
    sa.Column("parent_run_id", StorableString(32), sa.ForeignKey("runs.id")),
    sa.Column("notebook_path", StorableText()),
    sa.Column("cell_id", StorableString(128)),
    sa.Column("execution_count", sa.Integer),
    sa.Column("cell_source", StorableText()),
    sa.Column("code_slice", JSONText()),
    sa.Column("git_commit", StorableString(64)),
    sa.Column("git_dirty", sa.Boolean),
    sa.Column("environment", JSONText()),
    sa.Column("error", StorableText()),
    sa.Column("warnings", JSONText()),
    sa.Column("pid", sa.Integer),
    sa.Column("host", StorableString(255)),
    sa.Column("process_start", StorableString(64)),
    # Epoch seconds on the database's clock, updated by the run's process (tracking/heartbeat.py)
    # every heartbeat_interval seconds: a run that stopped beating is CRASHED on any host.
    sa.Column("heartbeat_at", sa.Float),
    sa.Column("heartbeat_interval", sa.Float),
    sa.Index("ix_runs_experiment_start", "experiment_id", "start_time"),
    sa.Index("ix_runs_status", "status"),
    sa.Index("ix_runs_start_time", "start_time"),
)

params = sa.Table(
    "params",
    metadata,
    sa.Column("run_id", StorableString(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", StorableString(255), primary_key=True),
    sa.Column("value", JSONText()),
    sa.Index("ix_params_key", "key"),
)

# Every logged value; `latest_metrics` keeps the last one per key so listing runs never
# scans long histories (MLflow's UI freezes on those).
metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", StorableString(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", StorableString(255), nullable=False),
    sa.Column("value", sa.Float),  # NULL stands for NaN (SQLite cannot store NaN)
    sa.Column("step", sa.BigInteger, nullable=False),  # 64-bit: values.STEP_MIN..STEP_MAX
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Index("ix_metrics_run_key_step", "run_id", "key", "step"),
)

latest_metrics = sa.Table(
    "latest_metrics",
    metadata,
    sa.Column("run_id", StorableString(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", StorableString(255), primary_key=True),
    sa.Column("value", sa.Float),
    sa.Column("step", sa.BigInteger, nullable=False),  # 64-bit: values.STEP_MIN..STEP_MAX
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Index("ix_latest_metrics_key_value", "key", "value"),
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("run_id", StorableString(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", StorableString(255), primary_key=True),
    sa.Column("value", StorableText(), nullable=False),
    sa.Index("ix_tags_key", "key"),
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", StorableString(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", StorableString(255), nullable=False),
    sa.Column("kind", StorableString(32), nullable=False),  # model / figure / file / table / report
    sa.Column("blob_hash", StorableString(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("meta", JSONText()),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("run_id", "name", name="uq_artifacts_run_name"),
)

snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("id", StorableString(32), primary_key=True),
    sa.Column("name", StorableString(255), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("fingerprint", StorableString(64), nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("n_columns", sa.Integer, nullable=False),
    sa.Column("schema", JSONText(), nullable=False),
    sa.Column("profile", JSONText(), nullable=False),
    sa.Column("blob_hash", StorableString(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_snapshots_name_version"),
    sa.Index("ix_snapshots_fingerprint", "fingerprint"),
)

run_inputs = sa.Table(
    "run_inputs",
    metadata,
    sa.Column("run_id", StorableString(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("snapshot_id", StorableString(32), sa.ForeignKey("snapshots.id"), primary_key=True),
    sa.Column("role", StorableString(32), primary_key=True),  # train / test / reference / current
)

registered_models = sa.Table(
    "registered_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", StorableString(255), nullable=False, unique=True),
    sa.Column("description", StorableText()),
    sa.Column("created_at", sa.Float, nullable=False),
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("registered_models.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("run_id", StorableString(32), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("artifact_name", StorableString(255), nullable=False),
    sa.Column("stage", StorableString(16), nullable=False, default="None"),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("description", StorableText()),
    sa.Column("created_by", StorableString(255)),  # user@host
    sa.UniqueConstraint("model_id", "version", name="uq_model_versions"),
    sa.Index("ix_model_versions_run", "run_id"),
)

# An alias (``champion``) names one version of a model; moving it is one update.
model_aliases = sa.Table(
    "model_aliases",
    metadata,
    sa.Column("model_id", sa.Integer, sa.ForeignKey("registered_models.id"), primary_key=True),
    sa.Column("alias", StorableString(64), primary_key=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("actor", StorableString(255), nullable=False),
    sa.Column("action", StorableString(64), nullable=False),
    sa.Column("entity", StorableString(64), nullable=False),
    sa.Column("entity_id", StorableString(255), nullable=False),
    sa.Column("before", JSONText()),
    sa.Column("after", JSONText()),
    sa.Column("host", StorableString(255)),  # the actor is the OS user, on this host
    sa.Column("version", sa.Integer),  # the model version an event concerns, if one
    sa.Index("ix_audit_events_entity", "entity", "entity_id"),
)
