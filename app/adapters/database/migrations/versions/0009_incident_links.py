"""incident_links: the chain an incident is linked to (Deployment, image, Argo CD sync,
commit, run); an index to find the stored workflow runs of a commit

Revision ID: 0009_incident_links
Revises: 0008_pauses
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_incident_links"
down_revision: str | None = "0008_pauses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_links",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=300), nullable=False),
        sa.Column("relation", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "position", name="uq_incident_links_incident_position"),
    )
    # The commit an image tag names is looked up among the stored workflow_run deliveries
    # by a prefix of its SHA (text_pattern_ops serves LIKE 'prefix%').
    op.execute(
        "CREATE INDEX ix_webhook_deliveries_run_head_sha ON webhook_deliveries "
        "(((payload -> 'workflow_run') ->> 'head_sha') text_pattern_ops) "
        "WHERE source = 'github' AND event_type = 'workflow_run'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_webhook_deliveries_run_head_sha")
    op.drop_table("incident_links")
