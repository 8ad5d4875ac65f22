"""Rows of a Deployment whose memory limit CodeHealer raised again and again: OOM-killed
incidents, and the verified scale_memory attempts that fixed them."""

import hashlib
from datetime import timedelta

from app.adapters.database.tables import Incident, RemediationAttempt, utcnow
from app.core.enums import IncidentKind, IncidentSource, IncidentStatus
from tests.support.incidents import insert

LIMITS = ("256Mi", "384Mi", "576Mi", "864Mi")
SIGNATURE = "OOMKilled: container app exceeded its memory limit"


def oom(
    *,
    owner: str = "cart",
    pod: str = "cart-7d9f8c6b5-abcde",
    key: str = "next",
    status: IncidentStatus = IncidentStatus.ANALYZED,
    **values,
) -> Incident:
    """An OOM-killed pod of Deployment ``owner`` in prod/shop, analysed as a memory raise."""
    return Incident(
        source=IncidentSource.KUBERNETES,
        kind=IncidentKind.K8S_POD,
        dedup_key=f"k8s:{owner}:{pod}:{key}",
        fingerprint=f"k8s:prod:shop:deployment/{owner}:OOMKilled",
        status=status,
        title=f"shop/{pod}: OOMKilled",
        cluster="prod",
        namespace="shop",
        pod=pod,
        container="app",
        owner_kind="Deployment",
        owner_name=owner,
        reason="OOMKilled",
        signature=SIGNATURE,
        signature_hash=hashlib.sha256(SIGNATURE.encode()).hexdigest(),
        category="out_of_memory",
        action="scale_memory",
        fixability="auto",
        confidence=0.99,
        excerpt="Last State: Terminated  Reason: OOMKilled  Exit Code: 137",
        **values,
    )


def raised(
    container,
    *,
    days_ago: float,
    before: str,
    after: str,
    owner: str = "cart",
    dry_run: bool = False,
) -> int:
    """A resolved OOM incident whose memory raise ran and was verified ``days_ago``."""
    at = utcnow() - timedelta(days=days_ago)
    incident = oom(owner=owner, key=f"{days_ago}d", status=IncidentStatus.RESOLVED, created_at=at)
    [incident_id] = insert(container, incident)
    with container.db.session() as session:
        session.add(
            RemediationAttempt(
                incident_id=incident_id,
                action="scale_memory",
                target="shop",
                params={"namespace": "shop", "owner_kind": "Deployment", "owner_name": owner},
                status="verified",
                dry_run=dry_run,
                actor="auto",
                started_at=at + timedelta(minutes=3),
                finished_at=at + timedelta(minutes=4),
                result={
                    "detail": f"memory limit of Deployment {owner} container app raised from "
                    f"{before} to {after}",
                    "owner_kind": "Deployment",
                    "owner_name": owner,
                    "container": "app",
                    "from": before,
                    "to": after,
                },
            )
        )
    return incident_id


def three_raises(container, **kwargs) -> list[int]:
    """256Mi → 384Mi five days ago, → 576Mi three days ago, → 864Mi yesterday."""
    return [
        raised(container, days_ago=days, before=LIMITS[i], after=LIMITS[i + 1], **kwargs)
        for i, days in enumerate((5, 3, 1))
    ]


def decide_next(container) -> Incident:
    """The next OOM kill of the Deployment, decided."""
    [incident_id] = insert(container, oom(pod="cart-7d9f8c6b5-zzzzz"))
    container.decider(incident_id)
    with container.db.session() as session:
        return session.get_one(Incident, incident_id)
