"""LogSource for Argo CD incidents: the application's status as one text.

Operation phase and message, conditions (ComparisonError, SyncError, ...), the resources that
failed to sync or are unhealthy, and the recent deployment history; and, for an app that went
Degraded minutes after a sync, a line saying so (app/core/analysis/argocd_sync.py).
"""

from typing import Any

from app.core.analysis.argocd_sync import degraded_after_sync_line
from app.core.cluster_ports import ArgoCDApi, KubeObject
from app.core.errors import ArgoCDError
from app.core.models import FetchedLogs, IncidentTarget
from app.core.targets import AppTarget

MAX_RESOURCES = 20
HISTORY_SHOWN = 3


class ArgoAppLogSource:
    def __init__(self, client: ArgoCDApi | None):
        self.client = client

    def fetch(self, incident: IncidentTarget) -> FetchedLogs:
        header = notification_summary(incident)
        if self.client is None:
            return FetchedLogs(
                text="\n".join(header),
                note="ARGOCD_URL is not configured: analysed from the notification only",
            )
        target = incident.target
        if not isinstance(target, AppTarget):
            raise ArgoCDError("the incident names no application", status_code=400)
        app = self.client.get_application(target.app)
        return FetchedLogs(text="\n".join(header + app_status_lines(app)))


def notification_summary(incident: IncidentTarget) -> list[str]:
    details = incident.details or {}
    target = incident.target
    app, reason = (target.app, target.reason) if isinstance(target, AppTarget) else (None, None)
    lines = [f"Argo CD application {app or '?'}: {reason or 'failure'}"]
    if details.get("category_hint"):
        lines.append(f"Category hint: {details['category_hint']}")
    if details.get("message"):
        lines.append(f"Notification message: {details['message']}")
    after_sync = degraded_after_sync_line(details, incident.received_at)
    if after_sync is not None:
        lines.append(after_sync)
    return lines


def app_status_lines(app: KubeObject) -> list[str]:
    spec, status = app.get("spec") or {}, app.get("status") or {}
    operation = status.get("operationState") or {}
    lines = [
        f"Project: {spec.get('project', '?')}",
        f"Sync status: {(status.get('sync') or {}).get('status', '?')} "
        f"at {(status.get('sync') or {}).get('revision', '?')}",
        f"Health status: {(status.get('health') or {}).get('status', '?')}",
        f"Auto-sync: {'enabled' if (spec.get('syncPolicy') or {}).get('automated') else 'disabled'}",
    ]
    if operation:
        lines.append(f"Operation phase: {operation.get('phase', '?')}")
        if operation.get("message"):
            lines.append(f"Operation message: {operation['message']}")
    for condition in status.get("conditions") or []:
        lines.append(f"Condition {condition.get('type')}: {condition.get('message', '')}")
    lines += _failed_resources(operation, status)
    lines += _history(status)
    return lines


def _failed_resources(operation: dict[str, Any], status: dict[str, Any]) -> list[str]:
    lines = []
    synced = ((operation.get("syncResult") or {}).get("resources")) or []
    for res in synced:
        if res.get("status") not in (None, "Synced") or res.get("hookPhase") in ("Failed", "Error"):
            lines.append(
                f"Resource {res.get('kind')}/{res.get('name')} sync {res.get('status')}: "
                f"{res.get('message', '')}"
            )
    for res in status.get("resources") or []:
        health = res.get("health") or {}
        if health.get("status") in ("Degraded", "Missing"):
            lines.append(
                f"Resource {res.get('kind')}/{res.get('name')} health {health.get('status')}: "
                f"{health.get('message', '')}"
            )
    return lines[:MAX_RESOURCES]


def _history(status: dict[str, Any]) -> list[str]:
    history = sorted(status.get("history") or [], key=lambda h: int(h.get("id", 0)))
    return [
        f"History {h.get('id')}: revision {h.get('revision')} deployed {h.get('deployedAt')}"
        for h in history[-HISTORY_SHOWN:]
    ]
