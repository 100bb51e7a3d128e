"""runs: heartbeat, so a run whose process died on any host is found

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

A running process updates ``runs.heartbeat_at`` (epoch seconds, the database's clock) every
``heartbeat_interval`` seconds (recorded per run: team members may configure different
intervals). A RUNNING run whose heartbeat is several intervals old is CRASHED wherever it
ran; before, only dead processes on the reader's own host were found.

Nullable columns only: runs written before keep NULL and are judged by their pid as before.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_interval', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_interval')
        batch_op.drop_column('heartbeat_at')
