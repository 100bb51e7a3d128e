"""Alembic environment: always run with a connection handed in by ``store.database``."""

from __future__ import annotations

from alembic import context

from mlops_jupyter.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # only `alembic revision --autogenerate` during development
    from sqlalchemy import create_engine

    connection = create_engine(context.config.get_main_option("sqlalchemy.url")).connect()

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite needs batch mode for ALTER
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
