"""Metrics adapters: CloudWatch Embedded Metric Format (Lambda) and a no-op."""

from app.adapters.metrics.emf import EmfMetrics, NullMetrics

__all__ = ["EmfMetrics", "NullMetrics"]
