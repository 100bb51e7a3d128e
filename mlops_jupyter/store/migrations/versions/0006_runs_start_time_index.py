"""index of runs by start time, for listings filtered in SQL and newest first

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

``mj.runs(filter, limit=100)`` over 100,000 runs compiles the filter to SQL
(store/listing.filter_clause) and orders newest first: with this index the database walks
runs by start time and stops after the page, testing each run against the filter's key
subqueries, instead of sorting every matching run. Only an index: no data is rewritten.
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_runs_start_time', 'runs', ['start_time'])


def downgrade() -> None:
    op.drop_index('ix_runs_start_time', table_name='runs')
