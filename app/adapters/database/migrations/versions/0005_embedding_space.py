"""incidents.embedder, embedding_model, analysis_fallbacks: what made each vector, and what the
analysis used instead of what is configured

Every stored vector names its embedder and model, so similar incidents come only from vectors
of the same model. Rows stored before are labelled from what they show: a row the NIM
classifier answered (``classifier`` ``nim:...``) or fell back from (``classifier_note``
``nim fallback: ...``) had NVIDIA_API_KEY set, and then the NIM embedder made its vector, with
the default model of the time; every other vector is the local embedder's. An installation
that had set another NVIDIA_EMBED_MODEL names it after the upgrade:
``UPDATE incidents SET embedding_model = '<model>' WHERE embedder = 'nim'``.

Revision ID: 0005_embedding_space
Revises: 0004_test_verdicts
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005_embedding_space'
down_revision: str | None = '0004_test_verdicts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here as they were when the rows were written; later defaults do not apply to them.
NIM_EMBED_MODEL = 'nvidia/llama-3.2-nv-embedqa-1b-v2'
LOCAL_EMBED_MODEL = 'local-hash'


def upgrade() -> None:
    op.add_column('incidents', sa.Column('embedder', sa.String(length=32), nullable=True))
    op.add_column('incidents', sa.Column('embedding_model', sa.String(length=200), nullable=True))
    op.add_column(
        'incidents',
        sa.Column(
            'analysis_fallbacks',
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
    )
    op.execute(
        sa.text(
            "UPDATE incidents SET embedder = 'nim', embedding_model = :model "
            "WHERE embedding IS NOT NULL "
            "AND (classifier LIKE 'nim:%' OR classifier_note LIKE 'nim fallback:%')"
        ).bindparams(model=NIM_EMBED_MODEL)
    )
    op.execute(
        sa.text(
            "UPDATE incidents SET embedder = 'local', embedding_model = :model "
            "WHERE embedding IS NOT NULL AND embedder IS NULL"
        ).bindparams(model=LOCAL_EMBED_MODEL)
    )
    op.create_check_constraint(
        'ck_incidents_embedding_space',
        'incidents',
        'embedding IS NULL OR (embedder IS NOT NULL AND embedding_model IS NOT NULL)',
    )


def downgrade() -> None:
    op.drop_constraint('ck_incidents_embedding_space', 'incidents', type_='check')
    op.drop_column('incidents', 'analysis_fallbacks')
    op.drop_column('incidents', 'embedding_model')
    op.drop_column('incidents', 'embedder')
