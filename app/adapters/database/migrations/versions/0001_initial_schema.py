"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pgvector must exist before the embedding column; kept on downgrade (other schemas may use it).
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table('incidents',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('dedup_key', sa.String(length=300), nullable=False),
    sa.Column('fingerprint', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('html_url', sa.String(), nullable=True),
    sa.Column('repo', sa.String(length=300), nullable=True),
    sa.Column('workflow_id', sa.BigInteger(), nullable=True),
    sa.Column('workflow_name', sa.String(), nullable=True),
    sa.Column('run_id', sa.BigInteger(), nullable=True),
    sa.Column('run_attempt', sa.Integer(), nullable=True),
    sa.Column('head_branch', sa.String(), nullable=True),
    sa.Column('head_sha', sa.String(length=64), nullable=True),
    sa.Column('conclusion', sa.String(length=32), nullable=True),
    sa.Column('run_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_jobs', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
    sa.Column('cluster', sa.String(), nullable=True),
    sa.Column('namespace', sa.String(), nullable=True),
    sa.Column('pod', sa.String(), nullable=True),
    sa.Column('container', sa.String(), nullable=True),
    sa.Column('owner_kind', sa.String(), nullable=True),
    sa.Column('owner_name', sa.String(), nullable=True),
    sa.Column('app', sa.String(), nullable=True),
    sa.Column('reason', sa.String(), nullable=True),
    sa.Column('occurrences', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('reconciled', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=True),
    sa.Column('excerpt', sa.String(), nullable=True),
    sa.Column('signature', sa.String(), nullable=True),
    sa.Column('signature_hash', sa.String(length=64), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('root_cause', sa.String(), nullable=True),
    sa.Column('fixability', sa.String(length=16), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=True),
    sa.Column('evidence', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
    sa.Column('similar', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
    sa.Column('classifier', sa.String(length=64), nullable=True),
    sa.Column('classifier_note', sa.String(), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('confidence_classifier', sa.Float(), nullable=True),
    sa.Column('confidence_similarity', sa.Float(), nullable=True),
    sa.Column('confidence_history', sa.Float(), nullable=True),
    sa.Column('llm_prompt_tokens', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('llm_completion_tokens', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('embedding', Vector(768), nullable=True),
    sa.Column('decision', sa.String(length=32), nullable=True),
    sa.Column('decision_reason', sa.String(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(), nullable=True),
    sa.Column('processing_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mttr_seconds', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['incidents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'dedup_key', name='uq_incidents_source_dedup_key')
    )
    op.create_index('ix_incidents_embedding_hnsw', 'incidents', ['embedding'], unique=False, postgresql_using='hnsw', postgresql_with={'m': 16, 'ef_construction': 64}, postgresql_ops={'embedding': 'vector_cosine_ops'})
    op.create_index('ix_incidents_fingerprint', 'incidents', ['fingerprint'], unique=False)
    op.create_index('ix_incidents_repo', 'incidents', ['repo'], unique=False)
    op.create_index('ix_incidents_signature_hash', 'incidents', ['signature_hash'], unique=False)
    op.create_index('ix_incidents_status_updated', 'incidents', ['status', 'updated_at'], unique=False)
    op.create_table('approvals',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('decided_by', sa.String(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('slack_channel', sa.String(), nullable=True),
    sa.Column('slack_ts', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('nonce', name='uq_approvals_nonce')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_audit_log_incident_at', 'audit_log', ['incident_id', 'at'], unique=False)
    op.create_table('feedback',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'user_id', name='uq_feedback_incident_user')
    )
    op.create_table('remediation_attempts',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('attempt_number', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('dry_run', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('actor', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.String(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('error', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'action', 'attempt_number', name='uq_remediation_attempts_incident_action_attempt')
    )
    op.create_index('ix_remediation_attempts_started', 'remediation_attempts', ['started_at'], unique=False)
    op.create_index('ix_remediation_attempts_target_started', 'remediation_attempts', ['target', 'started_at'], unique=False)
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('delivery_id', sa.String(length=200), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('ignored_reason', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'delivery_id', name='uq_webhook_deliveries_source_delivery')
    )


def downgrade() -> None:
    op.drop_table('webhook_deliveries')
    op.drop_index('ix_remediation_attempts_target_started', table_name='remediation_attempts')
    op.drop_index('ix_remediation_attempts_started', table_name='remediation_attempts')
    op.drop_table('remediation_attempts')
    op.drop_table('feedback')
    op.drop_index('ix_audit_log_incident_at', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('approvals')
    op.drop_index('ix_incidents_status_updated', table_name='incidents')
    op.drop_index('ix_incidents_signature_hash', table_name='incidents')
    op.drop_index('ix_incidents_repo', table_name='incidents')
    op.drop_index('ix_incidents_fingerprint', table_name='incidents')
    op.drop_index('ix_incidents_embedding_hnsw', table_name='incidents', postgresql_using='hnsw', postgresql_with={'m': 16, 'ef_construction': 64}, postgresql_ops={'embedding': 'vector_cosine_ops'})
    op.drop_table('incidents')
