"""incidents.escalation_reason: why a person is needed, the key of its runbook

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('incidents', sa.Column('escalation_reason', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column('incidents', 'escalation_reason')
