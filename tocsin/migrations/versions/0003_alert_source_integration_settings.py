"""alert source integration settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json_doc = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('alert_sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('integration_settings', json_doc, nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('alert_sources', schema=None) as batch_op:
        batch_op.drop_column('integration_settings')
