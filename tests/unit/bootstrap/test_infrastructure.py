"""The composition root picks the metrics adapter from settings."""

from app.adapters.metrics.emf import EmfMetrics
from app.bootstrap import build_metrics
from app.core.metrics import NullMetrics
from tests.conftest import make_settings


def test_emf_backend_gives_emf_metrics():
    assert isinstance(build_metrics(make_settings(metrics_backend="emf")), EmfMetrics)


def test_default_backend_records_nothing():
    assert isinstance(build_metrics(make_settings()), NullMetrics)
