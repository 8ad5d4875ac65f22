"""Registries keyed by enums cover every member exactly once."""

from app.bootstrap import build_decision_engine, build_parsers, build_remediators
from app.core.enums import ActionKind, IncidentSource, Strategy
from tests.conftest import make_settings

# Actions a person performs: never executed by CodeHealer.
HUMAN_ACTIONS = {ActionKind.NONE, ActionKind.CONFIG_FIX_PR}


class _AnyApi:
    """Stands in for a configured client; remediators only store it at construction."""


def test_every_executable_action_has_exactly_one_remediator():
    registry = build_remediators(
        _AnyApi(), secret_sources=[], stores={}, kubernetes=_AnyApi(), argocd=_AnyApi()
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
