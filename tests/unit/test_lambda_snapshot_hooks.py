"""SnapStart on Lambda: when the init phase prepares a snapshot, and the runtime hooks that
make one snapshot safe to restore in many execution environments (no database needed)."""

import random
from collections.abc import Iterator

import pytest
import snapshot_restore_py

from app import lambda_handler
from app.core.errors import ConfigurationError


@pytest.fixture
def hook_registries() -> Iterator[tuple[list, list]]:
    """The library's registries, restored afterwards (they are process-wide lists)."""
    before, after = (
        snapshot_restore_py.get_before_snapshot(),
        snapshot_restore_py.get_after_restore(),
    )
    saved = list(before), list(after)
    yield before, after
    before[:], after[:] = saved


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}, True),
        ({"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}, False),
        ({"AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency"}, False),
        ({}, False),
    ],
)
def test_only_a_snap_start_initialisation_prepares_a_snapshot(environ, expected):
    assert lambda_handler.initialized_for_snapshot(environ) is expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"_HANDLER": "app.lambda_handler.handler"}, True),
        ({"_HANDLER": "app.lambda_handler.worker_handler"}, False),
        ({"_HANDLER": "app.lambda_handler.sweep_handler"}, False),
        ({}, True),
    ],
)
def test_the_http_app_is_built_at_init_only_for_the_http_handler(environ, expected):
    assert lambda_handler.serves_http(environ) is expected


def test_environments_restored_from_one_snapshot_draw_different_random_numbers():
    snapshot_state = random.getstate()
    lambda_handler.after_restore()
    first_environment = [random.random() for _ in range(4)]
    random.setstate(snapshot_state)
    lambda_handler.after_restore()
    second_environment = [random.random() for _ in range(4)]
    assert first_environment != second_environment


def test_the_hooks_are_registered_with_the_runtime_hooks_library(hook_registries):
    before, after = hook_registries
    lambda_handler.register_runtime_hooks()
    assert (lambda_handler.before_snapshot, (), {}) in before
    assert (lambda_handler.after_restore, (), {}) in after


def test_a_snapshot_without_the_runtime_hooks_library_is_refused(monkeypatch):
    monkeypatch.setattr(lambda_handler, "RUNTIME_HOOKS_MODULE", "snapshot_restore_py_absent")
    with pytest.raises(ConfigurationError, match="snapshot-restore-py"):
        lambda_handler.register_runtime_hooks()
