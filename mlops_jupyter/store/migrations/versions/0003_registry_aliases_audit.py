"""model registry: aliases, version description and author, audit host and version

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

The registry tables of 0001 held a model's versions and stages; the registry also needs:

- ``model_aliases``: a name (``champion``) pointing at one version of a model;
- ``model_versions.description`` and ``created_by`` (who registered it: user@host);
- ``audit_events.host`` (the actor column holds the OS user) and ``version`` (the model
  version an event concerns), indexed by entity for ``mj.audit_log(name)``;
- an index of versions by run (what was registered from a run).

Only new tables, nullable columns and indexes: no data is rewritten.
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'model_aliases',
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('alias', sa.String(length=64), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['model_id'], ['registered_models.id'], ),
        sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'], ),
        sa.PrimaryKeyConstraint('model_id', 'alias'),
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('created_by', sa.String(length=255), nullable=True))
        batch_op.create_index('ix_model_versions_run', ['run_id'], unique=False)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_events_entity', ['entity', 'entity_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_entity')
        batch_op.drop_column('version')
        batch_op.drop_column('host')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_model_versions_run')
        batch_op.drop_column('created_by')
        batch_op.drop_column('description')
    op.drop_table('model_aliases')
