"""metric steps are 64-bit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

A step is any 64-bit signed integer (people log time stamps in ms as steps). SQLite's
INTEGER already holds 64 bits, so only PostgreSQL's 32-bit INTEGER columns change.
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in ("metrics", "latest_metrics"):
        op.alter_column(table, "step", type_=sa.BigInteger(), existing_type=sa.Integer(),
                        existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in ("metrics", "latest_metrics"):
        op.alter_column(table, "step", type_=sa.Integer(), existing_type=sa.BigInteger(),
                        existing_nullable=False)
