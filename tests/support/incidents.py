"""Builders of real incident rows in the states the pipeline leaves them in."""

import hashlib

from app.adapters.database.tables import Incident
from app.core.enums import IncidentKind, IncidentSource, IncidentStatus


def analyzed_incident(
    *,
    repo: str,
    run_id: int,
    signature: str = "econnreset from registry",
    category: str = "transient_network",
    action: str = "rerun_failed_jobs",
    fixability: str = "auto",
    confidence: float = 0.99,
    branch: str = "main",
) -> Incident:
    signature_hash = hashlib.sha256(signature.encode()).hexdigest()
    return Incident(
        source=IncidentSource.GITHUB,
        kind=IncidentKind.WORKFLOW_RUN,
        dedup_key=f"{repo}#{run_id}#1",
        fingerprint=f"github:{repo}:ci:{branch}",
        status=IncidentStatus.ANALYZED,
        title=f"{repo} failed",
        repo=repo,
        run_id=run_id,
        run_attempt=1,
        head_branch=branch,
        signature=signature,
        signature_hash=signature_hash,
        category=category,
        action=action,
        fixability=fixability,
        confidence=confidence,
        excerpt="npm ERR! code ECONNRESET",
    )


def insert(container, *incidents: Incident) -> list[int]:
    with container.db.session() as session:
        for incident in incidents:
            session.add(incident)
        session.flush()
        return [i.id for i in incidents]
