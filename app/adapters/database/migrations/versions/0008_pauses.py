"""pauses: the kill switch of automatic fixes; outbox rows of no incident (a pause's message)

Revision ID: 0008_pauses
Revises: 0006_autonomy
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_pauses'
down_revision: str | None = '0006_autonomy'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pauses',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=500), server_default='', nullable=False),
    sa.Column('paused_by', sa.String(length=100), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('resumed_by', sa.String(length=100), nullable=True),
    sa.Column('resumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    # One active pause per scope (NULL, "every", compares equal through coalesce): pausing
    # what is already paused finds the pause that holds it.
    op.create_index('uq_pauses_active_scope', 'pauses',
        [sa.text("coalesce(source, '')"), sa.text("coalesce(action, '')")],
        unique=True, postgresql_where=sa.text('resumed_at IS NULL'))
    op.alter_column('notification_outbox', 'incident_id', existing_type=sa.BigInteger(),
        nullable=True)


def downgrade() -> None:
    op.execute('DELETE FROM notification_outbox WHERE incident_id IS NULL')
    op.alter_column('notification_outbox', 'incident_id', existing_type=sa.BigInteger(),
        nullable=False)
    op.drop_index('uq_pauses_active_scope', table_name='pauses')
    op.drop_table('pauses')
