"""Metrics adapters: CloudWatch Embedded Metric Format (Lambda); the no-op lives in core."""

from app.adapters.metrics.emf import EmfMetrics
from app.core.metrics import NullMetrics

__all__ = ["EmfMetrics", "NullMetrics"]
