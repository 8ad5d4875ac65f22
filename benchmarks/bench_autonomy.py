"""Autonomy benchmark: how fast a new installation earns the right to fix failures by itself,
and how often it is wrong, on a simulated stream of real failures.

Every failure is a real log of the labelled corpus's TEST side (tests/fixtures/ci_logs,
labels.yaml + split.yaml; the rules were tuned on the train side only). Each one goes through
the real service on a real PostgreSQL: an incident row is claimed by the real worker, the
analyzer reads the log (excerpt, signature, local embeddings, similar incidents through
pgvector, offline rule classifier, confidence), the decision step applies the strategy of a
default dev installation (slack_first), earned autonomy and the rules, the remediation step
runs the planned attempt, approvals go through the approval service, and every outcome and
every person's re-run goes through the verification recorder, which judges earned autonomy
again. Only the outside world is simulated: the fix itself (a stand-in remediator that accepts
the call), whether it worked, the person, and the clock.

The stream: ``--failures`` failures arriving as a Poisson process of ``--per-day`` a day
(default 60, about 2,000 a month), each naming one of ``REPOSITORIES`` repositories. Which log
each failure is follows Zipf's law over the test excerpts in a seeded order (weight 1/rank):
a few failures recur often, most are rare.

Outcomes, drawn per action from published base rates where there are some:

- A re-run passes for a failure whose right fix is a re-run (transient: network, rate limit,
  flaky test, runner, image pull, cache) with probability ``RERUN_PASSES_TRANSIENT`` = 0.85,
  and for any other failure (a compile error, a real test failure, a bad configuration) with
  ``RERUN_PASSES_REAL`` = 0.03. Published: of the builds people re-ran on GitHub Actions,
  67.73 % changed outcome (Zhang & Ge 2026, "Understanding and Detecting Flaky Builds in
  GitHub Actions", arXiv:2602.02307, 1,960 Java projects); flaky results are common (about
  1.5 % of all test runs at Google, and almost 16 % of its tests show some flakiness: Micco,
  "Flaky Tests at Google and How We Mitigate Them", Google Testing Blog, 2016). The two rates
  are not published per kind of failure; they are chosen so that people who re-run
  ``PERSON_RERUNS_TRANSIENT`` of the transient failures and ``PERSON_RERUNS_REAL`` of the
  others of this corpus see about the published 67.73 % of their re-runs pass (0.66).
- Any other action works with ``RIGHT_FIX_WORKS`` = 0.90 when it is the labelled fix and
  ``WRONG_FIX_WORKS`` = 0.03 otherwise (assumptions).

The simulated person approves a suggestion in Slack when it is the labelled fix of an
auto-fixable failure and rejects it otherwise. A failure CodeHealer did not fix (escalated,
rejected, its approval expired, its fix failed) the person handles: they re-run it by hand
first with probability ``PERSON_RERUNS_TRANSIENT`` = 0.80 (transient) or
``PERSON_RERUNS_REAL`` = 0.10 (other), which the recorder counts as a person's re-run (the
evidence autonomy is earned from), then fix it by hand when the re-run did not.

Simulated times (minutes): analysis and decision ``DETECT_MINUTES`` = 1 after the failure; a
re-run or fix lasts log-normal(median 8, sigma 0.5); a person answers a Slack approval request
after log-normal(median 10, sigma 1.0) (assumption; the request expires after APPROVAL_TTL, 30
by default) and turns to a failure nobody asked them about after log-normal(median 50, sigma
1.2), which puts 55 % of them within the hour (Durieux et al., "Empirical Study of Restarted
and Flaky Builds on Travis CI", MSR 2020: 54.42 % of restarted builds were restarted within an
hour of the failure); a fix by hand other than a re-run takes 30 more (assumption). The
service's clock (``app.adapters.database.tables.utcnow``) follows the simulated time, so the
hourly budget, recurrence, storm windows and approval expiry see the stream as it would arrive.

Printed per ``--window`` (250) failures, and for all failures up to ``TARGET_AT`` (1,000):

- auto-resolution: of the fixable failures (labelled auto-fixable, with a fixing action), the
  share CodeHealer fixed by itself and the fix passed verification;
- wrong automatic fixes: automatic fixes whose action is not the labelled fix, per automatic fix;
- approvals asked per 100 failures;
- simulated MTTR of the fixable failures (mean and median minutes, failure → passing run).

Targets after 1,000 failures: auto-resolution >= 0.60, wrong automatic fixes <= 0.01,
approvals <= 25 per 100 failures.

Usage: python benchmarks/bench_autonomy.py [--failures 2000] [--seed 7] [--per-day 60]
       [--window 250] [--database-url URL] [--check]
Without --database-url a throwaway embedded PostgreSQL is started and deleted afterwards.

The stream and the draws are seeded; the service's decisions are not bit for bit repeatable:
pgvector's HNSW index places each vector at a random level, so the similar incidents found for
a failure (and with them a confidence) can differ between two runs. Each failure draws from its
own generator, so such a difference stays with that failure.
With --check the exit status is 1 when a target is missed.
"""

import argparse
import logging
import math
import random
import statistics
import sys
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, ThrowawayPostgres, banner  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlmodel import col  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import corpus_split  # noqa: E402  (a sibling script, not a package)

from app.adapters.database import tables  # noqa: E402
from app.adapters.database.migrate import upgrade  # noqa: E402
from app.adapters.database.repositories.approvals import ApprovalRepository  # noqa: E402
from app.adapters.database.tables import AuditEntry, Incident  # noqa: E402
from app.bootstrap import REMEDIATOR_CLASSES, Container, build_container  # noqa: E402
from app.core.enums import (  # noqa: E402
    ActionKind,
    Decision,
    IncidentKind,
    IncidentSource,
    IncidentStatus,
)
from app.core.models import FetchedLogs, IncidentTarget  # noqa: E402
from app.domain.audit import AuditEvent  # noqa: E402
from app.domain.remediators.base import (  # noqa: E402
    RemediationResult,
    RemediationStatus,
    Remediator,
    StrictParams,
)
from app.domain.verification import FixChecked, RunAttemptConcluded  # noqa: E402
from app.services.approvals import ApprovalOutcome  # noqa: E402
from app.settings_loader import load_settings  # noqa: E402

# --- base rates (see the module docstring for their sources) ---------------------------------
RERUN_PASSES_TRANSIENT = 0.85
RERUN_PASSES_REAL = 0.03
RIGHT_FIX_WORKS = 0.90
WRONG_FIX_WORKS = 0.03
PERSON_RERUNS_TRANSIENT = 0.80
PERSON_RERUNS_REAL = 0.10
# --- simulated times, minutes -----------------------------------------------------------------
DETECT_MINUTES = 1.0
FIX_MEDIAN, FIX_SIGMA = 8.0, 0.5
APPROVAL_MEDIAN, APPROVAL_SIGMA = 10.0, 1.0
RESPONSE_MEDIAN, RESPONSE_SIGMA = 50.0, 1.2
MANUAL_FIX_MINUTES = 30.0
# --- the stream and the targets ----------------------------------------------------------------
REPOSITORIES = 20
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TARGET_AT = 1000
TARGET_AUTO_RESOLUTION = 0.60
TARGET_WRONG_AUTO = 0.01
TARGET_APPROVALS_PER_100 = 25.0
RERUNS = frozenset({ActionKind.RERUN_FAILED_JOBS.value, ActionKind.RERUN_NO_CACHE.value})
APPROVER = "U0SIMULATED"
FAKE_TOKEN = "ghp_" + "s" * 36  # shaped like a token; nothing is ever called with it


# --- the corpus ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """A labelled excerpt of the test side."""

    file: str
    text: str
    category: str
    action: str  # the labelled right action ("none": a person's fix)
    fixable: bool  # labelled auto-fixable with a fixing action

    @property
    def transient(self) -> bool:
        return self.fixable and self.action in RERUNS

    @property
    def source(self) -> IncidentSource:
        if self.category.startswith("k8s_"):
            return IncidentSource.KUBERNETES
        if self.category.startswith("argocd_"):
            return IncidentSource.ARGOCD
        return IncidentSource.GITHUB

    def right(self, action: str) -> bool:
        return self.fixable and action == self.action


def test_cases() -> list[Case]:
    """The excerpts of the frozen split's test side, in file order."""
    split, logs = corpus_split.load_split(), corpus_split.LOGS
    return [
        Case(
            file=entry["file"],
            text=(logs / entry["file"]).read_text(encoding="utf-8"),
            category=entry["category"],
            action=entry["action"],
            fixable=bool(entry["auto_fixable_truth"]) and entry["action"] != "none",
        )
        for entry in corpus_split.load_entries()
        if corpus_split.side_of(entry, split) == "test"
    ]


class ZipfStream:
    """Failures with Zipf recurrence over the cases (in a seeded order), Poisson arrivals."""

    def __init__(self, cases: list[Case], rng: random.Random, *, per_day: float):
        self.order = cases[:]
        rng.shuffle(self.order)
        weights = [1.0 / rank for rank in range(1, len(self.order) + 1)]
        total = sum(weights)
        running, self.cumulative = 0.0, []
        for weight in weights:
            running += weight / total
            self.cumulative.append(running)
        self.rng = rng
        self.mean_gap_minutes = 24 * 60 / per_day

    def __iter__(self) -> Iterator[tuple[datetime, Case, int]]:
        at = START
        while True:
            at += timedelta(minutes=self.rng.expovariate(1 / self.mean_gap_minutes))
            pick = min(bisect(self.cumulative, self.rng.random()), len(self.order) - 1)
            yield at, self.order[pick], self.rng.randrange(REPOSITORIES)


# --- the simulated outside world ----------------------------------------------------------------
class SimulatedClock(datetime):
    """``datetime`` whose ``now()`` is the simulated moment: set as the datetime the service's
    ``utcnow()`` reads, every time the service takes is simulated time."""

    moment: ClassVar[datetime] = START

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return cls.moment if tz is not None else cls.moment.replace(tzinfo=None)


@contextmanager
def simulated_time() -> Iterator[type[SimulatedClock]]:
    with mock.patch.object(tables, "datetime", SimulatedClock):
        yield SimulatedClock


class CorpusLogs:
    """The log source: each incident's log is the corpus excerpt it was created for."""

    def __init__(self) -> None:
        self.texts: dict[int, str] = {}

    def fetch(self, incident: IncidentTarget) -> FetchedLogs:
        return FetchedLogs(text=self.texts[incident.id])


class SimulatedRemediator:
    """Stands in for a real remediator class (its action, risk and re-run nature): accepts the
    call; whether the fix worked is drawn later, when it is verified."""

    params_model = StrictParams

    def __init__(self, real: type[Remediator[Any]]):
        self.action = real.action
        self.risk = real.risk
        self.reruns_workflow_run = real.reruns_workflow_run

    def prevalidate(self, params: StrictParams) -> RemediationResult | None:
        return None

    def execute(self, params: StrictParams) -> RemediationResult:
        return RemediationResult(status=RemediationStatus.SUCCEEDED, detail="simulated")

    def describe(self, params: StrictParams) -> str:
        return f"{self.action.value} (simulated)"


# --- one failure, and what became of it ---------------------------------------------------------
@dataclass
class Fate:
    case: Case
    decision: str = ""
    automatic: bool = False  # an automatic fix was executed
    wrong_automatic: bool = False
    asked: bool = False
    resolved_by: str = ""  # "auto", "approval", "person" or "" (a person's code change)
    minutes: float | None = None  # failure → passing run, for the fixable
    action: str = ""  # what the analysis proposed
    escalation: str = ""  # why the decision or the approval escalated, if it did
    approval: str = ""  # what became of the approval request, if one was made

    @property
    def path(self) -> str:
        """How a fixable failure went, in a few words."""
        if not self.case.right(self.action):
            return f"analysis proposed {self.action or 'nothing'}, not {self.case.action}"
        if self.automatic:
            return "fixed automatically" if self.resolved_by == "auto" else "automatic fix failed"
        if self.approval == ApprovalOutcome.APPROVED and self.resolved_by != "approval":
            return "asked, approved, fix failed"
        if self.approval:
            return f"asked, {self.approval}"
        return f"right fix, escalated: {self.escalation or self.decision}"


@dataclass
class Simulation:
    container: Container
    logs: CorpusLogs
    rng: random.Random
    clock: type[SimulatedClock]
    transient_passes: float = RERUN_PASSES_TRANSIENT
    seed: int = 0
    fates: list[Fate] = field(default_factory=list)
    promotions: int = 0

    def lognormal(self, median: float, sigma: float) -> float:
        return self.rng.lognormvariate(math.log(median), sigma)

    def passes(self, action: str, case: Case) -> bool:
        if action in RERUNS:
            chance = self.transient_passes if case.transient else RERUN_PASSES_REAL
        else:
            chance = RIGHT_FIX_WORKS if case.right(action) else WRONG_FIX_WORKS
        return self.rng.random() < chance

    def run(self, number: int, at: datetime, case: Case, repo: int) -> Fate:
        # Each failure draws its outcomes from its own generator: a decision that differs
        # between two runs (see the docstring) changes that failure's draws, not all later ones.
        self.rng = random.Random(f"{self.seed}:outcomes:{number}")
        self.clock.moment = at
        incident_id = self._new_incident(number, at, case, repo)
        self.logs.texts[incident_id] = case.text
        self.clock.moment = at + timedelta(minutes=DETECT_MINUTES)
        worker = self.container.new_worker(worker_id="bench")
        worker.process_incident(incident_id)
        incident = self._incident(incident_id)
        fate = Fate(
            case,
            decision=incident.decision or "",
            action=incident.action or "",
            escalation=incident.escalation_reason or "",
        )
        fate.asked = incident.decision == Decision.NEEDS_APPROVAL.value
        if incident.status == IncidentStatus.VERIFYING:  # an automatic fix ran
            fate.automatic = True
            fate.wrong_automatic = not case.right(incident.action or "")
            self._verify(fate, incident, at, started=DETECT_MINUTES, by="auto")
        elif incident.status == IncidentStatus.AWAITING_APPROVAL:
            self._ask(fate, incident, at)
        else:
            self._person(fate, incident, at, after=DETECT_MINUTES)
        return fate

    def _new_incident(self, number: int, at: datetime, case: Case, repo: int) -> int:
        source = case.source
        row = Incident(
            source=source,
            kind={
                IncidentSource.GITHUB: IncidentKind.WORKFLOW_RUN,
                IncidentSource.KUBERNETES: IncidentKind.K8S_POD,
                IncidentSource.ARGOCD: IncidentKind.ARGOCD_APP,
            }[source],
            dedup_key=f"bench-{number}",
            fingerprint=f"bench:{source}:{repo}",
            title=f"simulated failure {number}",
            created_at=at,
            updated_at=at,
            last_seen_at=at,
        )
        if source is IncidentSource.GITHUB:
            row.repo, row.run_id, row.run_attempt = f"sim-org/repo-{repo:02d}", 10_000 + number, 1
            row.head_branch, row.workflow_id, row.run_started_at = "main", 1, at
        elif source is IncidentSource.KUBERNETES:
            row.namespace, row.pod, row.container = f"team-{repo:02d}", f"api-{number}", "api"
            row.owner_kind, row.owner_name = "Deployment", "api"
        else:
            row.app, row.namespace = f"app-{repo:02d}", "argocd"
        with self.container.db.session() as session:
            session.add(row)
            session.flush()
            return row.id

    def _incident(self, incident_id: int) -> Incident:
        with self.container.db.session() as session:
            row = session.get(Incident, incident_id)
            assert row is not None
            session.expunge(row)
            return row

    def _verify(self, fate: Fate, incident: Incident, at: datetime, *, started: float, by: str):
        """The fix that ran is verified: a later attempt of the run, or a look at the target."""
        action = incident.action or ""
        worked = self.passes(action, fate.case)
        ended = started + self.lognormal(FIX_MEDIAN, FIX_SIGMA)
        self.clock.moment = at + timedelta(minutes=ended)
        self._observe(incident, worked, attempt=2)
        if worked:
            self._resolved(fate, by, ended)
        else:
            self._person(fate, incident, at, after=ended, attempt=3)

    def _observe(self, incident: Incident, worked: bool, *, attempt: int) -> None:
        with self.container.db.session() as session:
            if incident.run_id is not None and incident.repo is not None:
                seen: RunAttemptConcluded | FixChecked = RunAttemptConcluded(
                    incident.repo,
                    incident.run_id,
                    attempt,
                    worked,
                    f"attempt {attempt} {'succeeded' if worked else 'failed'}",
                    self.clock.moment,
                    failed=not worked,
                )
            else:
                seen = FixChecked(incident.id, worked, "target checked", self.clock.moment)
            self.container.verifier.record(session, seen)

    def _ask(self, fate: Fate, incident: Incident, at: datetime) -> None:
        """The person answers the Slack request: approves the labelled fix, rejects the rest."""
        answered = DETECT_MINUTES + self.lognormal(APPROVAL_MEDIAN, APPROVAL_SIGMA)
        self.clock.moment = at + timedelta(minutes=answered)
        with self.container.db.session() as session:
            request = ApprovalRepository(session).pending_for(incident.id)
            nonce = request.nonce if request is not None else ""
        approve = fate.case.right(incident.action or "")
        result = self.container.approvals.decide(
            incident_id=incident.id, nonce=nonce, user_id=APPROVER, approve=approve, allowed=True
        )
        fate.approval = result.outcome.value
        if result.outcome is ApprovalOutcome.BLOCKED:
            fate.escalation = self._incident(incident.id).escalation_reason or ""
        if result.outcome is ApprovalOutcome.APPROVED:
            self.container.new_worker(worker_id="bench").process_incident(incident.id)
            if self._incident(incident.id).status == IncidentStatus.VERIFYING:
                self._verify(fate, incident, at, started=answered, by="approval")
                return
        self._person(fate, incident, at, after=answered)

    def _person(
        self, fate: Fate, incident: Incident, at: datetime, *, after: float, attempt: int = 2
    ) -> None:
        """A failure CodeHealer did not fix: the person turns to it, re-runs it by hand first
        some of the time (evidence for earned autonomy), then fixes it by hand."""
        case = fate.case
        began = after + self.lognormal(RESPONSE_MEDIAN, RESPONSE_SIGMA)
        reruns = PERSON_RERUNS_TRANSIENT if case.transient else PERSON_RERUNS_REAL
        if incident.run_id is not None and self.rng.random() < reruns:
            worked = self.passes(ActionKind.RERUN_FAILED_JOBS.value, case)
            ended = began + self.lognormal(FIX_MEDIAN, FIX_SIGMA)
            self.clock.moment = at + timedelta(minutes=ended)
            self._observe(incident, worked, attempt=attempt)
            if worked:
                self._resolved(fate, "person", ended)
                return
            began = ended
        if case.fixable:
            self._resolved(fate, "person", began + MANUAL_FIX_MINUTES)

    @staticmethod
    def _resolved(fate: Fate, by: str, minutes: float) -> None:
        fate.resolved_by = by
        if fate.case.fixable:
            fate.minutes = minutes


# --- figures ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figures:
    failures: int
    fixable: int
    auto_resolved: int
    automatic: int
    wrong_automatic: int
    asked: int
    minutes: tuple[float, ...]

    @classmethod
    def of(cls, fates: list[Fate]) -> "Figures":
        fixable = [f for f in fates if f.case.fixable]
        return cls(
            failures=len(fates),
            fixable=len(fixable),
            auto_resolved=sum(f.resolved_by == "auto" for f in fixable),
            automatic=sum(f.automatic for f in fates),
            wrong_automatic=sum(f.wrong_automatic for f in fates),
            asked=sum(f.asked for f in fates),
            minutes=tuple(f.minutes for f in fixable if f.minutes is not None),
        )

    @property
    def auto_resolution(self) -> float:
        return self.auto_resolved / self.fixable if self.fixable else 0.0

    @property
    def wrong_share(self) -> float:
        return self.wrong_automatic / self.automatic if self.automatic else 0.0

    @property
    def approvals_per_100(self) -> float:
        return 100 * self.asked / self.failures if self.failures else 0.0

    @property
    def mttr(self) -> tuple[float, float]:
        if not self.minutes:
            return float("nan"), float("nan")
        return statistics.fmean(self.minutes), statistics.median(self.minutes)

    def row(self, label: str) -> str:
        mean, median = self.mttr
        return (
            f"{label:<12}{self.auto_resolution:>7.2f} ({self.auto_resolved:>3}/{self.fixable:<3})"
            f"{self.wrong_share:>8.3f} ({self.wrong_automatic}/{self.automatic:<3})"
            f"{self.approvals_per_100:>10.1f}{mean:>10.1f}{median:>9.1f}"
        )


HEADER = (
    f"{'failures':<12}{'auto-resolution':>17}{'wrong auto':>16}{'asked/100':>10}"
    f"{'MTTR mean':>10}{'median':>9}"
)


def table(fates: list[Fate], window: int) -> list[str]:
    rows = [HEADER]
    for start in range(0, len(fates), window):
        part = fates[start : start + window]
        rows.append(Figures.of(part).row(f"{start + 1}-{start + len(part)}"))
    rows.append(Figures.of(fates).row(f"all {len(fates)}"))
    return rows


def curve(fates: list[Fate], window: int, width: int = 40) -> list[str]:
    """Auto-resolution of each window as a text bar, the target marked with ``|``."""
    mark = round(TARGET_AUTO_RESOLUTION * width)
    rows = [f"auto-resolution per {window} failures (| = target {TARGET_AUTO_RESOLUTION:.2f})"]
    for start in range(0, len(fates), window):
        share = Figures.of(fates[start : start + window]).auto_resolution
        bar = list("#" * round(share * width) + "." * (width - round(share * width)))
        bar.insert(mark, "|")
        rows.append(f"{start + window:>6} {''.join(bar)} {share:.2f}")
    return rows


def paths(fates: list[Fate]) -> list[str]:
    """Where the fixable failures went, most frequent first."""
    fixable = [f for f in fates if f.case.fixable]
    rows = [f"the {len(fixable)} fixable failures:"]
    for path, n in Counter(f.path for f in fixable).most_common():
        rows.append(f"  {n:>5} {n / len(fixable):>6.1%}  {path}")
    return rows


def frequent(fates: list[Fate], top: int = 10) -> list[str]:
    """The most frequent failures of the stream and what became of them."""
    by_file: dict[str, list[Fate]] = defaultdict(list)
    for fate in fates:
        by_file[fate.case.file].append(fate)
    ranked = sorted(by_file.values(), key=len, reverse=True)[:top]
    rows = [f"the {len(ranked)} most frequent failures (of {len(by_file)} distinct):"]
    for group in ranked:
        case = group[0].case
        proposed = Counter(f.action or "none" for f in group).most_common(1)[0][0]
        automatic = sum(f.automatic for f in group)
        label = case.action if case.fixable else "a person"
        rows.append(
            f"  {len(group):>5}  {case.file:<48} labelled {label:<18} proposed {proposed:<18} "
            f"automatic {automatic}"
        )
    return rows


def wrong(fates: list[Fate]) -> list[str]:
    """Each automatic fix that was not the labelled fix: which failure, which action."""
    rows = ["wrong automatic fixes:" if any(f.wrong_automatic for f in fates) else ""]
    for number, fate in enumerate(fates, start=1):
        if fate.wrong_automatic:
            label = fate.case.action if fate.case.fixable else "a person"
            rows.append(f"  #{number:<5} {fate.case.file:<48} {fate.action} (labelled {label})")
    return [row for row in rows if row]


def verdict(fates: list[Fate]) -> tuple[list[str], bool]:
    """The figures of the first ``TARGET_AT`` failures against the targets."""
    first = Figures.of(fates[:TARGET_AT])
    checks = [
        ("auto-resolution", first.auto_resolution, f">= {TARGET_AUTO_RESOLUTION}",
         first.auto_resolution >= TARGET_AUTO_RESOLUTION),
        ("wrong automatic fixes", first.wrong_share, f"<= {TARGET_WRONG_AUTO}",
         first.wrong_share <= TARGET_WRONG_AUTO),
        ("approvals per 100", first.approvals_per_100, f"<= {TARGET_APPROVALS_PER_100}",
         first.approvals_per_100 <= TARGET_APPROVALS_PER_100),
    ]  # fmt: skip
    rows = [f"after the first {first.failures} failures:"]
    rows += [
        f"  {name:<24}{value:>8.3f}  target {target:<8} {'met' if ok else 'MISSED'}"
        for name, value, target, ok in checks
    ]
    return rows, all(ok for *_, ok in checks)


# --- running it -------------------------------------------------------------------------------
def build(database_url: str, logs: CorpusLogs, changed: dict[str, str]) -> Container:
    """The service as a new dev installation with a token has it: defaults everywhere, except
    the ``changed`` settings (environment variable names)."""
    environ = {
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "dev",
        "GITHUB_TOKEN": FAKE_TOKEN,
        "DRY_RUN": "false",
        "LOG_LEVEL": "WARNING",
    }
    settings = load_settings({**environ, **changed})
    registry: dict[ActionKind, Remediator[Any]] = {
        real.action: SimulatedRemediator(real) for real in REMEDIATOR_CLASSES
    }
    return build_container(
        settings,
        database_url=database_url,
        slack=None,
        remediators=registry,
        log_sources={source: logs for source in IncidentSource},
    )


def simulate(
    database_url: str,
    *,
    failures: int,
    seed: int,
    per_day: float,
    transient_passes: float = RERUN_PASSES_TRANSIENT,
    changed: dict[str, str] | None = None,
) -> Simulation:
    # Two generators: the stream is the same whatever the service decides or the settings are.
    stream = iter(ZipfStream(test_cases(), random.Random(f"{seed}:stream"), per_day=per_day))
    rng = random.Random(f"{seed}:outcomes")  # replaced per failure
    logs = CorpusLogs()
    upgrade(database_url)
    with simulated_time() as clock, build(database_url, logs, changed or {}) as container:
        simulation = Simulation(container, logs, rng, clock, transient_passes, seed)
        for number in range(failures):
            at, case, repo = next(stream)
            simulation.fates.append(simulation.run(number, at, case, repo))
        simulation.promotions = _promotions(container)
    return simulation


def _promotions(container: Container) -> int:
    with container.db.session() as session:
        stmt = select(func.count()).where(
            col(AuditEntry.event) == AuditEvent.AUTONOMY_PROMOTED.value
        )
        return int(session.execute(stmt).scalar_one())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-day", type=float, default=60.0, help="failures a day")
    parser.add_argument("--window", type=int, default=250, help="failures per table row")
    parser.add_argument(
        "--transient-rerun-passes",
        type=float,
        default=RERUN_PASSES_TRANSIENT,
        help="chance that a re-run of a transient failure passes",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting other than its default (e.g. RECURRENCE_LIMIT=100), to measure its part",
    )
    parser.add_argument("--database-url", help="an empty database to use (default: throwaway)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.failures < 1 or args.window < 1 or args.per_day <= 0:
        parser.error("--failures, --window and --per-day must be positive")
    if not 0 <= args.transient_rerun_passes <= 1:
        parser.error("--transient-rerun-passes must be between 0 and 1")
    if any("=" not in item for item in args.set):
        parser.error("--set takes NAME=VALUE")
    changed = dict(item.split("=", 1) for item in args.set)
    logging.basicConfig(level=logging.WARNING)
    banner("earned autonomy on a simulated stream of the corpus's test failures")
    print(
        f"stream  : {args.failures} failures, seed {args.seed}, {args.per_day:g} a day; "
        f"re-runs of transient failures pass {args.transient_rerun_passes:g}, "
        f"of others {RERUN_PASSES_REAL:g}"
    )
    print("memory  : no reference incidents (nothing seeded: the installation starts empty)")
    print(
        f"settings: defaults of a dev installation{''.join(f', {k}={v}' for k, v in changed.items())}"
    )
    stream = dict(
        failures=args.failures,
        seed=args.seed,
        per_day=args.per_day,
        transient_passes=args.transient_rerun_passes,
        changed=changed,
    )
    if args.database_url:
        simulation = simulate(args.database_url, **stream)
    else:
        with ThrowawayPostgres() as pg:
            simulation = simulate(pg.fresh_database("codehealer_bench_autonomy"), **stream)
    fates = simulation.fates
    print("\n".join(table(fates, args.window)))
    print(f"promotions to automatic: {simulation.promotions}")
    print("\n".join(paths(fates)))
    print("\n".join(frequent(fates)))
    print("\n".join(wrong(fates)))
    print("\n".join(curve(fates, args.window)))
    rows, met = verdict(fates)
    print("\n".join(rows))
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
