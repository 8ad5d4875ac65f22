"""The symptom-not-cause rule and the summary it escalates with, on history rows alone."""

from datetime import UTC, datetime, timedelta

from app.core.enums import (
    ActionKind,
    Decision,
    Environment,
    Fixability,
    IncidentSource,
    Strategy,
)
from app.core.targets import AppTarget, RunTarget, WorkloadTarget
from app.domain.classification.flaky_tests import FlakeHistory
from app.domain.decisions.engine import DecisionEngine
from app.domain.decisions.fix_history import FixHistory, PastFix, target_label
from app.domain.decisions.models import DecisionFacts, Thresholds
from app.domain.escalation import EscalationReason
from app.domain.rules.recurrence import RecurrenceRule
from app.domain.rules.symptom_not_cause import SymptomNotCauseRule
from app.domain.strategies.hybrid import HybridStrategy

WEEK = timedelta(days=7)
NOW = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)
FLAKY_TEST = "tests/test_checkout.py::test_pays_twice"


def day(n: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, 28, hour, 0, tzinfo=UTC) + timedelta(days=n)


def bump(incident_id: int, n: int, before: str | None, after: str | None, **extra) -> PastFix:
    return PastFix.from_attempt(
        incident_id=incident_id,
        action=ActionKind.SCALE_MEMORY,
        failed_at=day(n),
        fixed_at=day(n) + timedelta(minutes=4),
        actor=extra.get("actor", "auto"),
        actor_id=extra.get("actor_id"),
        result={"detail": "…", "from": before, "to": after, "container": "app"}
        if after
        else {"detail": "container app limit is already 384Mi"},
    )


def memory_history(*fixes: PastFix) -> FixHistory:
    return FixHistory(target="Deployment shop/cart", window=WEEK, fixes=list(fixes), failed_at=NOW)


def three_bumps() -> FixHistory:
    return memory_history(
        bump(11, 1, "256Mi", "384Mi"),
        bump(14, 3, "384Mi", "576Mi", actor="slack", actor_id="U0APPROVER"),
        bump(17, 5, "576Mi", "864Mi"),
    )


def facts(action: ActionKind, history: FixHistory | None, **overrides) -> DecisionFacts:
    values = dict(
        incident_id=20,
        source=IncidentSource.KUBERNETES,
        environment=Environment.PROD,
        category="oom_killed",
        action=action,
        fixability=Fixability.AUTO,
        confidence=0.97,
        target="shop",
        fixes_of_target=history,
    )
    values.update(overrides)
    return DecisionFacts(**values)


def check(action: ActionKind, history: FixHistory | None, limit: int = 3):
    return SymptomNotCauseRule(limit).check(facts(action, history), Decision.AUTO_FIX)


# --- the rule ----------------------------------------------------------------------------------
def test_three_memory_raises_of_one_deployment_escalate_the_fourth_as_cause_remains():
    finding = check(ActionKind.SCALE_MEMORY, three_bumps())

    assert finding is not None
    assert finding.decision is Decision.ESCALATE
    assert finding.key is EscalationReason.CAUSE_REMAINS
    assert finding.reason == (
        "the fix works but the cause remains: scale_memory on Deployment shop/cart "
        "3 times in 7 days (#11, #14, #17)"
    )


def test_two_memory_raises_are_below_the_limit():
    history = memory_history(bump(11, 1, "256Mi", "384Mi"), bump(14, 3, "384Mi", "576Mi"))

    assert check(ActionKind.SCALE_MEMORY, history) is None


def test_a_memory_fix_that_found_the_limit_already_raised_is_not_a_raise():
    history = memory_history(
        bump(11, 1, "256Mi", "384Mi"), bump(12, 1, None, None), bump(14, 3, "384Mi", "576Mi")
    )

    assert check(ActionKind.SCALE_MEMORY, history) is None


def test_fixes_by_another_action_do_not_count():
    assert check(ActionKind.RESTART_POD, three_bumps()) is None


def test_no_history_or_no_action_says_nothing():
    assert check(ActionKind.SCALE_MEMORY, None) is None
    assert check(ActionKind.NONE, three_bumps()) is None


def test_the_limit_comes_from_the_setting():
    assert check(ActionKind.SCALE_MEMORY, three_bumps(), limit=4) is None
    assert check(ActionKind.SCALE_MEMORY, three_bumps(), limit=2) is not None


# --- the memory summary --------------------------------------------------------------------------
def test_the_memory_summary_lists_each_raise_with_its_limits_and_times():
    finding = check(ActionKind.SCALE_MEMORY, three_bumps())

    assert finding is not None
    assert finding.diagnosis[:5] == [
        "The memory limit of Deployment shop/cart was raised 3 times in 7 days, and it ran out "
        "of memory again each time:",
        "• 2026-11-29 09:00 UTC: OOM-killed and restarted (#11); limit raised 256Mi → 384Mi "
        "(container app) at 2026-11-29 09:04 UTC, automatically",
        "• 2026-12-01 09:00 UTC: OOM-killed and restarted (#14); limit raised 384Mi → 576Mi "
        "(container app) at 2026-12-01 09:04 UTC, approved by U0APPROVER",
        "• 2026-12-03 09:00 UTC: OOM-killed and restarted (#17); limit raised 576Mi → 864Mi "
        "(container app) at 2026-12-03 09:04 UTC, automatically",
        "• 2026-12-05 13:00 UTC: OOM-killed again (this incident)",
    ]


def test_the_memory_summary_calls_the_growth_a_likely_leak():
    finding = check(ActionKind.SCALE_MEMORY, three_bumps())

    assert finding is not None
    assert finding.diagnosis[-1].startswith(
        "The usage grew with every limit (256Mi → 864Mi): most likely a leak."
    )


# --- restarts and other fixes ---------------------------------------------------------------------
def restart(incident_id: int, n: int) -> PastFix:
    return PastFix(
        incident_id=incident_id,
        action=ActionKind.RESTART_POD,
        failed_at=day(n, 6),
        fixed_at=day(n, 6) + timedelta(minutes=1),
    )


def test_the_restart_summary_lists_each_failure_and_restart_time():
    history = FixHistory(
        target="Deployment shop/cart",
        window=WEEK,
        fixes=[restart(3, 0), restart(5, 1), restart(8, 2)],
        failed_at=NOW,
    )

    finding = check(ActionKind.RESTART_POD, history)

    assert finding is not None
    assert finding.diagnosis[0] == (
        "Deployment shop/cart was restarted 3 times in 7 days; each restart cleared it and it "
        "failed again:"
    )
    assert finding.diagnosis[1:4] == [
        f"• 2026-11-{28 + n} 06:00 UTC: failed (#{i}); restarted at 2026-11-{28 + n} 06:01 UTC, "
        "automatically"
        for i, n in ((3, 0), (5, 1), (8, 2))
    ]


def test_an_action_without_its_own_summary_lists_the_fix_times():
    fixes = [
        PastFix(incident_id=i, action=ActionKind.ARGOCD_SYNC, failed_at=day(i), fixed_at=day(i))
        for i in (1, 2, 3)
    ]
    history = FixHistory(target="Argo CD app shop", window=WEEK, fixes=fixes, failed_at=NOW)

    finding = check(ActionKind.ARGOCD_SYNC, history)

    assert finding is not None
    assert finding.diagnosis[0] == (
        "argocd_sync ran on Argo CD app shop 3 times in 7 days, and the failure came back each "
        "time:"
    )
    assert len(finding.diagnosis) == 6


# --- flaky tests ----------------------------------------------------------------------------------
def rerun(incident_id: int, n: int, *tests: str) -> PastFix:
    return PastFix(
        incident_id=incident_id,
        action=ActionKind.RERUN_FAILED_JOBS,
        failed_at=day(n),
        fixed_at=day(n) + timedelta(minutes=2),
        failing_tests=tests,
    )


def flaky_history(failing: tuple[str, ...], *fixes: PastFix) -> FixHistory:
    return FixHistory(
        target="workflow CI of org/shop",
        window=WEEK,
        fixes=list(fixes),
        failed_at=NOW,
        failing_tests=failing,
        test_history={FLAKY_TEST: FlakeHistory(FLAKY_TEST, flaky=6, broken=1)},
    )


def test_the_same_flaky_test_re_run_three_times_names_the_test_to_fix_or_quarantine():
    other = "tests/test_cart.py::test_total"
    history = flaky_history(
        (FLAKY_TEST,),
        rerun(4, 0, FLAKY_TEST),
        rerun(6, 2, FLAKY_TEST, other),
        rerun(9, 4, FLAKY_TEST),
    )

    finding = check(ActionKind.RERUN_FAILED_JOBS, history)

    assert finding is not None
    assert finding.key is EscalationReason.CAUSE_REMAINS
    assert finding.diagnosis[:2] == [
        "rerun_failed_jobs ran on workflow CI of org/shop 3 times in 7 days for the same "
        "failing tests. Fix or quarantine:",
        f"• {FLAKY_TEST}: failed in 3 of those runs and in this one; flaky on 6 commits "
        "(a re-run passed), broken on 1 commit (a re-run failed again)",
    ]
    assert other not in "\n".join(finding.diagnosis)


def test_re_runs_for_other_failing_tests_do_not_count():
    history = flaky_history(
        (FLAKY_TEST,),
        rerun(4, 0, FLAKY_TEST),
        rerun(6, 2, "tests/test_cart.py::test_total"),
        rerun(9, 4, "tests/test_login.py::test_expired"),
    )

    assert check(ActionKind.RERUN_FAILED_JOBS, history) is None


def test_re_runs_of_a_failure_that_names_no_test_do_not_count():
    history = flaky_history((), rerun(4, 0), rerun(6, 2), rerun(9, 4))

    assert check(ActionKind.RERUN_FAILED_JOBS, history) is None


# --- target labels --------------------------------------------------------------------------------
def test_target_labels_name_the_workload_the_workflow_and_the_app():
    workload = WorkloadTarget(
        cluster="prod",
        namespace="shop",
        pod="cart-7d9-abcde",
        owner_kind="Deployment",
        owner_name="cart",
    )
    assert target_label(workload) == "Deployment shop/cart in cluster prod"
    assert target_label(WorkloadTarget(namespace="shop", pod="cart-0")) == "pod shop/cart-0"
    run = RunTarget(repo="org/shop", run_id=5, workflow_name="CI")
    assert target_label(run) == "workflow CI of org/shop"
    assert target_label(AppTarget(app="shop")) == "Argo CD app shop"


# --- with the recurrence rule ---------------------------------------------------------------------
def test_with_recurrence_firing_too_the_key_and_diagnosis_are_the_cause_that_remains():
    engine = DecisionEngine(
        {Strategy.HYBRID: HybridStrategy()}, [SymptomNotCauseRule(3), RecurrenceRule(3)]
    )
    both = facts(
        ActionKind.SCALE_MEMORY, three_bumps(), recent_auto_fixes_of_signature=[11, 14, 17]
    )

    outcome = engine.decide(both, strategy=Strategy.HYBRID, thresholds=Thresholds())

    assert [f.rule for f in outcome.findings] == ["symptom_not_cause", "recurrence"]
    assert outcome.escalation_reason is EscalationReason.CAUSE_REMAINS
    assert outcome.diagnosis[0].startswith("The memory limit of Deployment shop/cart")


def test_recurrence_alone_records_no_diagnosis():
    engine = DecisionEngine(
        {Strategy.HYBRID: HybridStrategy()}, [SymptomNotCauseRule(3), RecurrenceRule(3)]
    )
    recurring = facts(
        ActionKind.SCALE_MEMORY, memory_history(), recent_auto_fixes_of_signature=[11, 14, 17]
    )

    outcome = engine.decide(recurring, strategy=Strategy.HYBRID, thresholds=Thresholds())

    assert outcome.escalation_reason is EscalationReason.RECURRING_FAILURE
    assert outcome.diagnosis == []
