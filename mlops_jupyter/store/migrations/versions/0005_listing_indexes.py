"""indexes for paged run listings: keys of params and tags, latest metrics by key and value

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

The lab extension's runs panel lists a page of runs out of thousands, filtered and ordered
in SQL (store/listing.py): ``metrics.accuracy > 0.9`` becomes a range of the
(key, value) index of latest_metrics, ordering by a metric walks it, and the key lookups a
filter needs (which keys exist, the values of one param) use the key indexes instead of
scanning every run's params and tags. Only indexes: no data is rewritten.
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_latest_metrics_key_value', 'latest_metrics', ['key', 'value'])
    op.create_index('ix_params_key', 'params', ['key'])
    op.create_index('ix_tags_key', 'tags', ['key'])


def downgrade() -> None:
    op.drop_index('ix_tags_key', table_name='tags')
    op.drop_index('ix_params_key', table_name='params')
    op.drop_index('ix_latest_metrics_key_value', table_name='latest_metrics')
