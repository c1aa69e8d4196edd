"""heartbeats and email intake

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tocsin.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Email intake keeps its options in alert_sources.integration_settings (0003): no table of its own.
    op.create_table('heartbeat_monitors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('alert_source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('interval_seconds', sa.Integer(), nullable=False),
    sa.Column('grace_seconds', sa.Integer(), nullable=False),
    sa.Column('summary', sa.String(length=1024), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('key_hint', sa.String(length=8), nullable=False),
    sa.Column('last_ping_at', tocsin.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('period_started_at', tocsin.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('created_at', tocsin.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tocsin.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_source_id'], ['alert_sources.id'], name=op.f('fk_heartbeat_monitors_alert_source_id_alert_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heartbeat_monitors')),
    sa.UniqueConstraint('key_digest', name=op.f('uq_heartbeat_monitors_key_digest'))
    )
    with op.batch_alter_table('heartbeat_monitors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heartbeat_monitors_alert_source_id'), ['alert_source_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('heartbeat_monitors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heartbeat_monitors_alert_source_id'))
    op.drop_table('heartbeat_monitors')
