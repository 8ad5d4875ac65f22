"""incidents.github_installation_id: the GitHub App installation that reported the failure

Revision ID: 0003_github_installation
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_github_installation'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('incidents', sa.Column('github_installation_id', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('incidents', 'github_installation_id')
