"""person_reruns and autonomy_grants: evidence from people's re-runs, and earned autonomy

Revision ID: 0006_autonomy
Revises: 0005_embedding_space
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_autonomy'
down_revision: str | None = '0005_embedding_space'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('person_reruns',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('run_attempt', sa.Integer(), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', name='uq_person_reruns_incident')
    )
    op.create_table('autonomy_grants',
    sa.Column('signature_hash', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(), nullable=False),
    sa.Column('automatic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('successes', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('failures', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('lower_bound', sa.Float(), nullable=False),
    sa.Column('required', sa.Float(), nullable=True),
    sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('demoted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('signature_hash', 'action')
    )


def downgrade() -> None:
    op.drop_table('autonomy_grants')
    op.drop_table('person_reruns')
