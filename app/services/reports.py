"""`codehealer report`: what self-healing did, how often it was right, what keeps breaking."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlmodel import Session, col

from app.adapters.database.engine import Database
from app.adapters.database.repositories.flakes import FlakeRepository
from app.adapters.database.tables import (
    Approval,
    Incident,
    RemediationAttempt,
    WebhookDelivery,
    utcnow,
)
from app.adapters.external.slack.client import SlackClient
from app.core.enums import Decision, IncidentKind
from app.core.errors import ConfigurationError
from app.services.metrics import summary


def grouped_counts(session: Session, column, since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(column, func.count())
        .where(col(Incident.created_at) >= since, col(Incident.kind) != IncidentKind.STORM_GROUP)
        .group_by(column)
    )
    return {str(k or "unknown"): int(n) for k, n in sorted(rows, key=lambda r: -r[1])}


def top_signatures(session: Session, since: datetime, limit: int = 5) -> list[dict[str, Any]]:
    rows = session.execute(
        select(
            col(Incident.signature_hash),
            func.count(),
            func.min(col(Incident.title)),
            func.min(Incident.category),
        )
        .where(
            col(Incident.created_at) >= since,
            col(Incident.signature_hash).is_not(None),
            col(Incident.kind) != IncidentKind.STORM_GROUP,
        )
        .group_by(Incident.signature_hash)
        .having(func.count() > 1)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [{"signature": s[:12], "count": n, "example": t, "category": c} for s, n, t, c in rows]


def flakiest_tests(
    session: Session, since: datetime, per_repo: int = 10
) -> dict[str, list[dict[str, Any]]]:
    """Per repository, the tests flaky since ``since`` that passed on a re-run of their commit
    most often: the list a team fixes or quarantines from."""
    return {
        repo: [
            {
                "test": h.test_id,
                "flaky": h.flaky,
                "broken": h.broken,
                "last_seen": h.last_flaky_at.isoformat() if h.last_flaky_at else None,
            }
            for h in tests
        ]
        for repo, tests in FlakeRepository(session).flakiest(per_repo=per_repo, since=since).items()
    }


def shadow_comparison(session: Session, since: datetime) -> dict[str, dict[str, Any]]:
    """Per action: CodeHealer's shadow AUTO_FIX decisions against what people did.

    People "did the fix" when they approved it or re-ran the run themselves (a later attempt of
    the same run arrived by webhook while we had executed nothing).
    """
    incidents = (
        session.execute(
            select(Incident).where(
                col(Incident.created_at) >= since,
                col(Incident.decision).is_not(None),
                col(Incident.kind) != IncidentKind.STORM_GROUP,
            )
        )
        .scalars()
        .all()
    )
    approved = {
        i
        for (i,) in session.execute(
            select(col(Approval.incident_id)).where(col(Approval.status) == "approved")
        )
    }
    executed = {
        i
        for (i,) in session.execute(
            select(col(RemediationAttempt.incident_id)).where(col(RemediationAttempt.dry_run).is_(False))
        )
    }
    stats: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    for incident in incidents:
        if not incident.action or incident.action == "none":
            continue
        human = incident.id in approved or (
            incident.id not in executed and _rerun_by_hand(session, incident)
        )
        predicted = incident.decision == Decision.AUTO_FIX
        key = "tp" if predicted and human else "fp" if predicted else "fn" if human else None
        if key:
            stats[incident.action][key] += 1
    return {
        action: {
            **s,
            "precision": _ratio(s["tp"], s["tp"] + s["fp"]),
            "recall": _ratio(s["tp"], s["tp"] + s["fn"]),
        }
        for action, s in stats.items()
    }


def _rerun_by_hand(session: Session, incident: Incident) -> bool:
    if incident.repo is None or incident.run_id is None:
        return False
    run = WebhookDelivery.payload["workflow_run"]
    later = select(func.count()).where(
        col(WebhookDelivery.event_type) == "workflow_run",
        col(WebhookDelivery.payload)["repository"]["full_name"].astext == incident.repo,
        run["id"].astext == str(incident.run_id),
        cast(run["run_attempt"].astext, Integer) > (incident.run_attempt or 1),
    )
    return session.execute(later).scalar_one() > 0


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def build_report(
    session: Session,
    *,
    since: datetime,
    price_per_1k_tokens: float,
    minutes_per_manual_fix: float,
    max_fixes_per_hour: int,
) -> dict[str, Any]:
    now = utcnow()
    kpis = summary(session, now=now, since=now - since, max_fixes_per_hour=max_fixes_per_hour)
    prompt, completion = session.execute(
        select(
            func.coalesce(func.sum(Incident.llm_prompt_tokens), 0),
            func.coalesce(func.sum(Incident.llm_completion_tokens), 0),
        ).where(col(Incident.created_at) >= since)
    ).one()
    tokens = int(prompt) + int(completion)
    return {
        **kpis,
        "since": since.isoformat(),
        "by_source": grouped_counts(session, Incident.source, since),
        "by_category": grouped_counts(session, Incident.category, since),
        "top_signatures": top_signatures(session, since),
        "flakiest_tests": flakiest_tests(session, since),
        "llm_tokens": tokens,
        "llm_cost": round(tokens / 1000 * price_per_1k_tokens, 4),
        "engineer_hours_saved": round(kpis["auto_resolved"] * minutes_per_manual_fix / 60, 2),
        "shadow": shadow_comparison(session, since),
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _mttr(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    minutes = seconds / 60
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# CodeHealer report (since {report['since'][:10]})",
        "",
        "| figure | value |",
        "|---|---|",
        f"| incidents | {report['incidents_in_window']} |",
        f"| auto-fixes executed | {report['auto_fixes']} |",
        f"| auto-resolution rate | {_pct(report['auto_resolution_rate'])} |",
        f"| false-positive rate | {_pct(report['false_positive_rate'])} |",
        f"| MTTR | {_mttr(report['mttr_seconds'])} |",
        f"| pending approvals | {report['pending_approvals']} |",
        f"| LLM tokens / cost | {report['llm_tokens']} / {report['llm_cost']:.2f} |",
        f"| engineer time saved | {report['engineer_hours_saved']} h |",
        "",
        "## Incidents by source",
        *[f"- {k}: {v}" for k, v in report["by_source"].items()],
        "",
        "## Incidents by category",
        *[f"- {k}: {v}" for k, v in report["by_category"].items()],
        "",
        "## Top recurring signatures (toil worth a permanent fix)",
        *(
            [
                f"- `{s['signature']}` ×{s['count']} ({s['category']}): {s['example']}"
                for s in report["top_signatures"]
            ]
            or ["- none recurring"]
        ),
        "",
        "## Flakiest tests (failed, then passed on a re-run of the same commit)",
        *_flaky_lines(report["flakiest_tests"]),
    ]
    if report["shadow"]:
        lines += [
            "",
            "## Shadow mode: decisions against what people did",
            "| action | TP | FP | FN | precision | recall |",
            "|---|---|---|---|---|---|",
            *[
                f"| {a} | {s['tp']} | {s['fp']} | {s['fn']} | {s['precision']} | {s['recall']} |"
                for a, s in report["shadow"].items()
            ],
        ]
    return "\n".join(lines)


def _flaky_lines(flakiest: dict[str, list[dict[str, Any]]]) -> list[str]:
    if not flakiest:
        return ["- none seen flaky"]
    lines = []
    for repo, tests in flakiest.items():
        lines.append(f"- {repo}")
        lines += [
            f"  - `{t['test']}` flaky ×{t['flaky']}, failed again ×{t['broken']}, "
            f"last {(t['last_seen'] or '?')[:10]}"
            for t in tests
        ]
    return lines


def _slack_code(text: str) -> str:
    """``text`` as inline code in mrkdwn: no backtick to close it, no ``<!channel>``."""
    escaped = text.replace("`", "'").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"`{escaped}`"


def render_slack(report: dict[str, Any]) -> str:
    """Slack mrkdwn: the same figures, compact."""
    top = ", ".join(f"`{s['signature']}`×{s['count']}" for s in report["top_signatures"]) or "none"
    flaky = "; ".join(
        f"{_slack_code(repo)}: "
        + ", ".join(f"{_slack_code(t['test'])}×{t['flaky']}" for t in tests[:3])
        for repo, tests in report["flakiest_tests"].items()
    ) or "none"
    return "\n".join(
        [
            f"*CodeHealer report* since {report['since'][:10]}",
            f"• incidents {report['incidents_in_window']} · auto-fixes {report['auto_fixes']} · "
            f"auto-resolution {_pct(report['auto_resolution_rate'])} · "
            f"false positives {_pct(report['false_positive_rate'])}",
            f"• MTTR {_mttr(report['mttr_seconds'])} · pending approvals {report['pending_approvals']}",
            f"• LLM tokens {report['llm_tokens']} (cost {report['llm_cost']:.2f}) · "
            f"time saved {report['engineer_hours_saved']} h",
            f"• recurring: {top}",
            f"• flakiest tests: {flaky}",
        ]
    )


@dataclass(frozen=True)
class PostedReport:
    channel: str
    ts: str


class Reporter:
    """Builds the report and posts it to Slack: ``codehealer report --post`` and the weekly
    report function run this same code."""

    def __init__(
        self,
        db: Database,
        slack: SlackClient | None,
        *,
        channel: str,
        price_per_1k_tokens: float,
        minutes_per_manual_fix: float,
        max_fixes_per_hour: int,
    ):
        self.db = db
        self.slack = slack
        self.channel = channel
        self.price_per_1k_tokens = price_per_1k_tokens
        self.minutes_per_manual_fix = minutes_per_manual_fix
        self.max_fixes_per_hour = max_fixes_per_hour

    def build(self, *, since: datetime) -> dict[str, Any]:
        with self.db.session() as session:
            return build_report(
                session,
                since=since,
                price_per_1k_tokens=self.price_per_1k_tokens,
                minutes_per_manual_fix=self.minutes_per_manual_fix,
                max_fixes_per_hour=self.max_fixes_per_hour,
            )

    def post(self, report: dict[str, Any]) -> PostedReport:
        """Post the Slack rendering to SLACK_CHANNEL. Raises ConfigurationError without a bot
        token, SlackError when Slack refuses or is unreachable."""
        if self.slack is None:
            raise ConfigurationError("posting the report needs SLACK_BOT_TOKEN")
        channel, ts = self.slack.post_message(self.channel, render_slack(report), [])
        return PostedReport(channel=channel, ts=ts)
