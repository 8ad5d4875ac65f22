"""Registries keyed by enums cover every member exactly once."""

from app.bootstrap import (
    REMEDIATOR_CLASSES,
    action_risks,
    allowed_actions,
    build_decision_engine,
    build_parsers,
    build_remediators,
)
from app.bootstrap.registries import github_web_host
from app.core.enums import ActionKind, IncidentSource, Strategy
from app.domain.remediators.base import PERSON_ACTIONS, Risk
from tests.conftest import make_settings

# Actions a person performs: never executed by CodeHealer.
HUMAN_ACTIONS = {ActionKind.NONE}


class _AnyApi:
    """Stands in for a configured client; remediators only store it at construction."""


def test_every_executable_action_has_exactly_one_remediator():
    registry = build_remediators(
        _AnyApi(),
        secret_sources=[],
        stores={},
        kubernetes=_AnyApi(),
        argocd=_AnyApi(),
        pulls=_AnyApi(),
    )
    assert set(registry) == set(ActionKind) - HUMAN_ACTIONS
    assert all(remediator.action is action for action, remediator in registry.items())


def test_unconfigured_integrations_register_nothing():
    assert build_remediators(None, secret_sources=[], stores={}) == {}


def test_every_strategy_is_registered():
    engine, _ = build_decision_engine(make_settings())
    assert set(engine.strategies) == set(Strategy)


def test_github_parser_is_registered():
    assert IncidentSource.GITHUB in build_parsers(make_settings())


def test_every_source_has_a_registered_parser():
    assert set(build_parsers(make_settings())) == set(IncidentSource)


def test_the_person_actions_are_the_ones_no_remediator_executes():
    assert PERSON_ACTIONS == HUMAN_ACTIONS


def test_every_remediator_class_is_listed_once():
    registry = build_remediators(
        _AnyApi(),
        secret_sources=[],
        stores={},
        kubernetes=_AnyApi(),
        argocd=_AnyApi(),
        pulls=_AnyApi(),
    )
    assert sorted(map(str, map(type, registry.values()))) == sorted(map(str, REMEDIATOR_CLASSES))


def test_every_remediator_class_declares_its_risk_and_whether_it_reruns_a_run():
    for remediator in REMEDIATOR_CLASSES:
        assert isinstance(remediator.risk, Risk), remediator
        assert isinstance(remediator.reruns_workflow_run, bool), remediator


def test_the_declared_risks_are_the_ones_the_decision_rules_have_always_used():
    risks = action_risks()
    assert risks.low == {
        ActionKind.RERUN_FAILED_JOBS,
        ActionKind.RERUN_NO_CACHE,
        ActionKind.ARGOCD_HARD_REFRESH,
    }
    assert risks.high == {
        ActionKind.REFRESH_SECRET,
        ActionKind.ARGOCD_ROLLBACK,
        ActionKind.ROLLOUT_UNDO,
    }
    assert risks.reruns == {
        ActionKind.RERUN_FAILED_JOBS,
        ActionKind.RERUN_NO_CACHE,
        ActionKind.REFRESH_SECRET,
    }


def test_the_model_may_propose_the_configured_actions_and_what_a_person_does():
    # Without GitHub no configuration fix can be proposed as a pull request.
    registry = build_remediators(None, secret_sources=[], stores={}, argocd=_AnyApi())
    assert allowed_actions(registry) == [
        ActionKind.ARGOCD_SYNC,
        ActionKind.ARGOCD_HARD_REFRESH,
        ActionKind.ARGOCD_ROLLBACK,
        ActionKind.NONE,
    ]


def test_the_model_may_propose_an_action_an_added_source_does_its_own_way():
    registry = build_remediators(None, secret_sources=[], stores={}, argocd=_AnyApi())
    allowed = allowed_actions(registry, [ActionKind.RERUN_FAILED_JOBS])
    assert ActionKind.RERUN_FAILED_JOBS in allowed
    assert ActionKind.RESTART_POD not in allowed


def test_a_configuration_fix_is_proposed_through_githubs_pull_requests():
    registry = build_remediators(None, secret_sources=[], stores={}, pulls=_AnyApi())
    assert set(registry) == {ActionKind.CONFIG_FIX_PR}


def test_memory_raises_go_through_git_only_when_argo_cd_and_github_are_both_configured():
    alone = build_remediators(None, secret_sources=[], stores={}, kubernetes=_AnyApi())
    both = build_remediators(
        None, secret_sources=[], stores={}, kubernetes=_AnyApi(), argocd=_AnyApi(), pulls=_AnyApi()
    )
    assert alone[ActionKind.SCALE_MEMORY].gitops is None
    assert both[ActionKind.SCALE_MEMORY].gitops is not None


def test_the_github_web_host_is_github_com_or_the_enterprise_host():
    assert github_web_host("https://api.github.com") == "github.com"
    assert github_web_host("https://ghe.example.com/api/v3") == "ghe.example.com"
