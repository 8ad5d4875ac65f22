"""Read models of the dashboard: KPI tiles, charts and incident pages.

The tiles come from ``metrics.summary`` (the function behind ``GET /api/v1/metrics/summary``),
the recurring signatures and categories from ``reports``, the calibration plot from the learning
service, so the dashboard can never disagree with the API or ``codehealer report``. Every text
that comes from an incident is masked here; the templates escape it.
"""

import json
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.adapters.database.engine import Database
from app.adapters.database.repositories.pauses import PauseRepository
from app.adapters.database.tables import Incident, utcnow
from app.core.config import Settings
from app.core.enums import Category, IncidentKind, IncidentSource, IncidentStatus
from app.core.errors import NotFoundError
from app.core.redaction import mask_mapping, mask_secrets
from app.domain.diagnosis import diagnosis_of
from app.domain.escalation import (
    TITLES,
    approval_has_expired,
    reason_needing_person,
    runbook_url,
)
from app.domain.learning.calibration import expected_calibration_error, reliability
from app.domain.pauses import Pause, scope_options
from app.presentation import charts
from app.services.autonomy import recent_changes
from app.services.incident_views import IncidentQuery
from app.services.learning import calibration_samples
from app.services.metrics import summary
from app.services.reports import flakiest_tests, grouped_counts, top_signatures

CHART_DAYS = 14
KPI_WINDOW = timedelta(days=7)
PAGE_SIZE = 25
UNDECIDED = "undecided"
DECISION_SERIES = (
    charts.Series("auto_fix", "auto-fix", charts.BLUISH_GREEN),
    charts.Series("needs_approval", "approval", charts.ORANGE),
    charts.Series("escalate", "escalated", charts.VERMILLION),
    charts.Series("ignore", "ignored", charts.REDDISH_PURPLE),
    charts.Series(UNDECIDED, "undecided", charts.SKY_BLUE),
)


def format_rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def format_time(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: Any
    display: str
    hint: str


def kpi_tiles(kpis: dict[str, Any]) -> list[Kpi]:
    """The tiles, in order, from the output of ``metrics.summary``."""
    days = kpis["window_days"]
    used = f"{kpis['remediations_last_hour']} / {kpis['hourly_budget']}"
    rows = (
        ("incidents_24h", "Incidents, 24 h", str, "failures received in the last day"),
        ("incidents_7d", "Incidents, 7 days", str, "failures received in the last week"),
        ("auto_resolution_rate", "Auto-resolution", format_rate,
         f"incidents resolved by an automatic fix, last {days} days"),
        ("false_positive_rate", "False positives", format_rate,
         "automatic fixes that failed or got a thumbs-down"),
        ("mttr_seconds", "MTTR", format_duration, f"mean time to resolve, last {days} days"),
        ("pending_approvals", "Pending approvals", str, "waiting for a person in Slack"),
        ("remediations_last_hour", "Fixes this hour", lambda _: used,
         "remediations used of the hourly budget"),
    )  # fmt: skip
    return [Kpi(key, label, kpis[key], show(kpis[key]), hint) for key, label, show, hint in rows]


@dataclass(frozen=True)
class Filters:
    source: str | None = None
    status: str | None = None
    category: str | None = None
    repo: str | None = None
    page: int = 1

    @classmethod
    def parse(cls, **raw: str | None) -> "Filters":
        """From query parameters: empty values mean "any", a bad page number means 1."""
        values = {k: (v.strip() or None) if v else None for k, v in raw.items()}
        page = values.pop("page", None) or "1"
        number = int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1
        return cls(**values, page=max(1, number))

    @property
    def active(self) -> bool:
        return any((self.source, self.status, self.category, self.repo))

    def query(self, **changes: Any) -> str:
        """The query string of these filters with ``changes`` applied."""
        data = {k: v for k, v in vars(replace(self, **changes)).items() if v and v != 1}
        return urlencode(data)


@dataclass(frozen=True)
class IncidentRow:
    id: int
    created: str
    source: str
    target: str
    title: str
    status: str
    category: str
    decision: str
    confidence: str


@dataclass(frozen=True)
class Overview:
    kpis: list[Kpi]
    charts: dict[str, str]
    calibration: dict[str, Any]
    llm: dict[str, Any]
    rows: list[IncidentRow]
    total: int
    pages: int
    filters: Filters
    options: dict[str, list[str]]
    has_incidents: bool
    flakiest_tests: dict[str, list[dict[str, Any]]]
    # "rerun_failed_jobs for “npm ERR! code ECONNRESET” is now automatic: ...", newest first
    autonomy_changes: list[dict[str, Any]]
    # the pauses of automatic fixes in force (the kill switch), oldest first: a banner
    pauses: list[dict[str, Any]] = field(default_factory=list)


def target_of(item: dict[str, Any]) -> str:
    if item.get("repo"):
        return item["repo"]
    if item.get("app"):
        return f"app {item['app']}"
    parts = [item.get(k) for k in ("cluster", "namespace", "pod")]
    return "/".join(p for p in parts if p) or "—"


def incident_row(item: dict[str, Any]) -> IncidentRow:
    """One table row; only the fields shown are masked (not the whole excerpt)."""
    confidence = item.get("confidence")
    return IncidentRow(
        id=item["id"],
        created=format_time(item["created_at"]),
        source=item["source"],
        target=charts.clip(mask_secrets(target_of(item)), 60),
        title=charts.clip(mask_secrets(item.get("title") or "(no title)"), 120),
        status=item["status"],
        category=mask_secrets(item.get("category") or "—"),
        decision=item.get("decision") or "—",
        confidence="—" if confidence is None else f"{confidence:.2f}",
    )


def _days(now: datetime) -> list[date]:
    today = now.astimezone(UTC).date()
    return [today - timedelta(days=CHART_DAYS - 1 - i) for i in range(CHART_DAYS)]


def _per_day(session: Session, now: datetime, aggregate, *group) -> list[tuple]:
    """Rows of (UTC day, *group, aggregate) over the chart period (storm groups left out)."""
    day = func.date(func.timezone("UTC", Incident.created_at))
    start = datetime.combine(_days(now)[0], time(), UTC)
    stmt = (
        select(day, *group, aggregate)
        .where(col(Incident.created_at) >= start, col(Incident.kind) != IncidentKind.STORM_GROUP)
        .group_by(day, *group)
    )
    return [tuple(row) for row in session.execute(stmt)]


def decision_days(session: Session, now: datetime) -> list[charts.DayStack]:
    counts: dict[date, dict[str, int]] = {d: {} for d in _days(now)}
    for day, decision, n in _per_day(session, now, func.count(), Incident.decision):
        bucket = counts.setdefault(day, {})
        key = decision or UNDECIDED
        bucket[key] = bucket.get(key, 0) + int(n)
    return [charts.DayStack(d.isoformat(), counts[d]) for d in _days(now)]


def token_days(session: Session, now: datetime, price_per_1k: float) -> list[dict[str, Any]]:
    """LLM tokens and their cost per UTC day of the chart period."""
    used = func.sum(Incident.llm_prompt_tokens + Incident.llm_completion_tokens)
    per_day = {day: int(n or 0) for day, n in _per_day(session, now, used)}
    return [
        {"day": d.isoformat(), "tokens": n, "cost": round(n / 1000 * price_per_1k, 4)}
        for d in _days(now)
        for n in [per_day.get(d, 0)]
    ]


def category_bars(session: Session, since: datetime, limit: int = 8) -> list[charts.Bar]:
    counts = list(grouped_counts(session, Incident.category, since).items())
    shown, rest = counts[:limit], sum(n for _, n in counts[limit:])
    bars = [charts.Bar(mask_secrets(name), n) for name, n in shown]
    return bars + ([charts.Bar("other categories", rest)] if rest else [])


def signature_bars(session: Session, since: datetime) -> list[charts.Bar]:
    return [
        charts.Bar(
            f"{s['category'] or 'unknown'} · {s['signature']}",
            s["count"],
            display=f"×{s['count']}",
            note=mask_secrets(s["example"] or ""),
        )
        for s in top_signatures(session, since)
    ]


def filter_options(session: Session) -> dict[str, list[str]]:
    repos = session.execute(
        select(col(Incident.repo))
        .where(col(Incident.repo).is_not(None))
        .distinct()
        .order_by(col(Incident.repo))
    ).scalars()
    return {
        "source": [s.value for s in IncidentSource],
        "status": [s.value for s in IncidentStatus],
        "category": [c.value for c in Category],
        "repo": [mask_secrets(r) for r in list(repos)[:200]],
    }


class DashboardQuery:
    """Everything the dashboard pages show, as plain view models."""

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self.incidents = IncidentQuery(db)

    def overview(self, filters: Filters, *, now: datetime | None = None) -> Overview:
        now = now or utcnow()
        page = self.incidents.page(
            status=filters.status,
            source=filters.source,
            repo=filters.repo,
            category=filters.category,
            limit=PAGE_SIZE,
            offset=(filters.page - 1) * PAGE_SIZE,
        )
        with self.db.session() as session:
            kpis = summary(
                session,
                now=now,
                since=KPI_WINDOW,
                max_fixes_per_hour=self.settings.decision.max_fixes_per_hour,
            )
            has_incidents = session.execute(select(col(Incident.id)).limit(1)).first() is not None
            since = now - KPI_WINDOW
            stacks = decision_days(session, now)
            categories = category_bars(session, since)
            signatures = signature_bars(session, since)
            llm_days = token_days(session, now, self.settings.report.llm_price_per_1k_tokens)
            table = reliability(calibration_samples(session))
            options = filter_options(session)
            flakiest = flakiest_tests(session, since)
            autonomy = recent_changes(session)
            pauses = PauseRepository(session).active()
        return Overview(
            kpis=kpi_tiles(kpis),
            charts=_overview_charts(stacks, categories, signatures, llm_days, table),
            calibration={
                "samples": sum(b.count for b in table),
                "ece": expected_calibration_error(table),
            },
            llm={
                "days": llm_days,
                "tokens": sum(d["tokens"] for d in llm_days),
                "cost": sum(d["cost"] for d in llm_days),
            },
            rows=[incident_row(item) for item in page["items"]],
            total=page["total"],
            pages=max(1, math.ceil(page["total"] / PAGE_SIZE)),
            filters=filters,
            options=options,
            has_incidents=has_incidents,
            flakiest_tests={
                mask_secrets(repo): [
                    {**t, "test": mask_secrets(t["test"]), "last": format_time(t["last_seen"])}
                    for t in tests
                ]
                for repo, tests in flakiest.items()
            },
            autonomy_changes=[{**c, "when": format_time(c["at"])} for c in autonomy],
            pauses=[pause_row(p) for p in pauses],
        )

    def incident(self, incident_id: int) -> dict[str, Any] | None:
        """The incident page's data, every string masked; None when the id is unknown."""
        try:
            detail = self.incidents.detail(incident_id)
        except NotFoundError:
            return None
        return incident_page(mask_mapping(detail), self.settings)


def pause_row(pause: Pause) -> dict[str, Any]:
    """A pause for the banner: what, who, when, why (masked), and the command that ends it."""
    return {
        "id": pause.id,
        "summary": mask_secrets(_capital(pause.summary)),
        "resume": " ".join(("codehealer resume", scope_options(pause))).strip(),
    }


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _overview_charts(stacks, categories, signatures, llm_days, table) -> dict[str, str]:
    tokens = [charts.Bar(d["day"], d["tokens"], note=f"cost {d['cost']:.2f}") for d in llm_days]
    return {
        "decisions": charts.stacked_day_bars(
            stacks, DECISION_SERIES, title=f"Incidents per day by decision, last {CHART_DAYS} days"
        ),
        "categories": charts.horizontal_bars(
            categories,
            title="Incidents by category, last 7 days",
            colour=charts.BLUE,
            empty_message="No analysed incidents in the last 7 days",
        ),
        "signatures": charts.horizontal_bars(
            signatures,
            title="Top recurring failure signatures, last 7 days",
            colour=charts.VERMILLION,
            empty_message="Nothing has failed the same way twice this week",
        ),
        "calibration": charts.calibration_plot(
            table, title="Calibration: confidence against observed success"
        ),
        "tokens": charts.day_bars(
            tokens,
            title=f"LLM tokens per day, last {CHART_DAYS} days",
            colour=charts.BLUE,
            empty_message="No LLM calls in this period (offline rules need no tokens)",
        ),
    }


def _details_text(details: Any) -> list[tuple[str, str]]:
    """``key value`` pairs of an audit entry or an attempt result, each value short."""
    if not isinstance(details, dict):
        details = {"value": details} if details else {}
    pairs = []
    for key, value in details.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        pairs.append((str(key), charts.clip(text, 300)))
    return pairs


def similar_rows(similar: list[Any]) -> list[dict[str, Any]]:
    """The stored neighbours, tolerant of rows written before a field existed. A reference
    entry (a labelled failure CodeHealer ships with) links to the thread it came from."""
    rows = []
    for item in similar:
        if not isinstance(item, dict):
            continue
        incident_id, reference = item.get("incident_id"), item.get("reference")
        if not isinstance(incident_id, int) and not isinstance(reference, str):
            continue
        source = item.get("reference_source")
        rows.append(
            {
                "incident_id": incident_id if isinstance(incident_id, int) else None,
                "reference": reference if isinstance(reference, str) else None,
                "reference_url": source
                if isinstance(source, str) and source.startswith("https://")
                else None,
                "similarity": float(item.get("similarity") or 0.0),
                **{k: item.get(k) or "—" for k in ("category", "action", "outcome")},
            }
        )
    return rows


def fallback_rows(fallbacks: Any) -> list[dict[str, str]]:
    """The parts of the analysis that fell back, tolerant of rows of another shape."""
    if not isinstance(fallbacks, list):
        return []
    keys = ("stage", "configured", "used", "reason")
    return [
        {key: str(item.get(key) or "—") for key in keys}
        for item in fallbacks
        if isinstance(item, dict)
    ]


def green_run_note(details: Any) -> str | None:
    """What the comparison with the last successful run did, as the analysis recorded it."""
    green = details.get("green_run") if isinstance(details, dict) else None
    note = green.get("note") if isinstance(green, dict) else None
    return note if isinstance(note, str) and note else None


def runbook_link(
    detail: dict[str, Any], settings: Settings, *, now: datetime
) -> dict[str, str | None] | None:
    """The runbook of why this incident needs a person: ``url`` is RUNBOOK_BASE_URL's page when
    that is set, else None (the template links the dashboard's own copy)."""
    latest = detail["approvals"][-1] if detail["approvals"] else None
    expired = latest is not None and approval_has_expired(
        latest["status"], datetime.fromisoformat(latest["expires_at"]), now
    )
    reason = reason_needing_person(
        detail.get("escalation_reason"), status=detail["status"], approval_expired=expired
    )
    if reason is None:
        return None
    base = (settings.dashboard.runbook_base_url or "").strip()
    url = runbook_url(base, reason) if base.startswith(("https://", "http://")) else None
    return {"key": reason.value, "title": TITLES[reason], "url": url}


def incident_page(detail: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Adds what the template shows but the API does not: times, labels, the confidence chart."""
    parts = detail["confidence_parts"]
    weights = {
        "classifier": settings.analysis.weight_classifier,
        "similarity": settings.analysis.weight_similarity,
        "history": settings.analysis.weight_history,
    }
    bars = [
        charts.Bar(
            f"{name} (weight {weights[name]:.1f})", parts[name], display=f"{parts[name]:.2f}"
        )
        for name in weights
        if parts[name] is not None
    ]
    if parts["total"] is not None:
        bars.append(charts.Bar("total confidence", parts["total"], display=f"{parts['total']:.2f}"))
    url = detail.get("html_url") or ""
    page = {
        **detail,
        "weights": weights,
        "target": target_of(detail),
        "created": format_time(detail["created_at"]),
        "resolved": format_time(detail.get("resolved_at")),
        "mttr": format_duration(detail.get("mttr_seconds")),
        "link": url if url.startswith(("https://", "http://")) else None,
        "confidence_chart": charts.horizontal_bars(
            bars,
            title="Confidence and its parts",
            colour=charts.BLUISH_GREEN,
            max_value=1.0,
            empty_message="Not scored yet",
            chart_id=f"confidence-{detail['id']}",
        ),
        "runbook": runbook_link(detail, settings, now=utcnow()),
        "similar_rows": similar_rows(detail["similar"]),
        "fallback_rows": fallback_rows(detail.get("analysis_fallbacks")),
        "green_run": green_run_note(detail.get("details")),
        "diagnosis": diagnosis_of(detail.get("details")),
        "timeline": [
            {**entry, "when": format_time(entry["at"]), "pairs": _details_text(entry["details"])}
            for entry in detail["audit"]
        ],
        "attempt_rows": [
            {
                **a,
                "started": format_time(a["started_at"]),
                "finished": format_time(a.get("finished_at")),
                "result_pairs": _details_text(a["result"]),
            }
            for a in detail["attempts"]
        ],
        "approval_rows": [
            {
                **a,
                "requested": format_time(a["requested_at"]),
                "expires": format_time(a["expires_at"]),
                "decided": format_time(a.get("decided_at")),
            }
            for a in detail["approvals"]
        ],
    }
    page["timeline"] = with_links(page["timeline"], detail.get("links") or [])
    page["link_rows"] = [link_row(link) for link in detail.get("links") or []]
    return page


def link_row(link: dict[str, Any]) -> dict[str, Any]:
    """A linked object for the page: what it is to the incident, and a page to open it on."""
    url = link.get("url") or ""
    return {
        **link,
        "href": url if url.startswith(("https://", "http://")) else None,
        "when": format_time(link.get("at")) if link.get("at") else None,
    }


def with_links(timeline: list[dict[str, Any]], links: list[dict[str, Any]]) -> list[dict]:
    """The audit trail with the dated links (the sync, the run) in time order among it."""
    dated = [
        {
            "at": link["at"],
            "when": format_time(link["at"]),
            "event": f"{link['relation']} {link['ref']}",
            "actor": link["source"],
            "pairs": [],
        }
        for link in links
        if link.get("at")
    ]
    return sorted(timeline + dated, key=lambda entry: str(entry.get("at") or ""))
