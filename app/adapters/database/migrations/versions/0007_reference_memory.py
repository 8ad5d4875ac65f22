"""reference_incidents and reference_seeds: the labelled failures CodeHealer ships with

Reference incidents live in their own table, not among the incidents: every listing, count,
sweep and piece of evidence reads ``incidents`` and so leaves them out by construction. One row
per entry and embedding space (an entry is embedded once by each embedder that searches it);
``reference_seeds`` records which version of the shipped memory was seeded for which space.

Revision ID: 0007_reference_memory
Revises: 0009_incident_links
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector

revision: str = '0007_reference_memory'
down_revision: str | None = '0009_incident_links'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMBEDDING_DIMENSIONS = 768  # frozen: the width of the incidents' vectors when written


def upgrade() -> None:
    op.create_table('reference_incidents',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('excerpt', sa.String(), nullable=False),
    sa.Column('signature', sa.String(), nullable=False),
    sa.Column('signature_hash', sa.String(length=64), nullable=False),
    sa.Column('embedding', Vector(EMBEDDING_DIMENSIONS), nullable=False),
    sa.Column('embedder', sa.String(length=32), nullable=False),
    sa.Column('embedding_model', sa.String(length=200), nullable=False),
    sa.Column('seeded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'embedder', 'embedding_model', name='uq_reference_incidents_name_space')
    )
    op.create_index('ix_reference_incidents_category', 'reference_incidents', ['category'])
    op.create_table('reference_seeds',
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('embedder', sa.String(length=32), nullable=False),
    sa.Column('embedding_model', sa.String(length=200), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('seeded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('version', 'embedder', 'embedding_model')
    )


def downgrade() -> None:
    op.drop_table('reference_seeds')
    op.drop_index('ix_reference_incidents_category', table_name='reference_incidents')
    op.drop_table('reference_incidents')
