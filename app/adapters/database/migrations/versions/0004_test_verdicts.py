"""incidents.failing_tests and test_verdicts: flaky tests learned from re-runs of a commit

Revision ID: 0004_test_verdicts
Revises: 0003_github_installation
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004_test_verdicts'
down_revision: str | None = '0003_github_installation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'incidents',
        sa.Column(
            'failing_tests',
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
    )
    op.create_table('test_verdicts',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('repo', sa.String(length=300), nullable=False),
    sa.Column('test_id', sa.String(), nullable=False),
    sa.Column('head_sha', sa.String(length=64), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('run_id', sa.BigInteger(), nullable=True),
    sa.Column('incident_id', sa.BigInteger(), nullable=True),
    sa.Column('observed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('repo', 'test_id', 'head_sha', name='uq_test_verdicts_repo_test_commit')
    )


def downgrade() -> None:
    op.drop_table('test_verdicts')
    op.drop_column('incidents', 'failing_tests')
