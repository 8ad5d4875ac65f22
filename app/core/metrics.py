"""The ``Metrics`` port: counters and timings with a few string dimensions."""

from typing import Protocol


class Metrics(Protocol):
    """Records operational metrics. Recording a metric never breaks the work it measures."""

    def count(self, name: str, value: float = 1, **dimensions: str) -> None: ...

    def timing(self, name: str, ms: float, **dimensions: str) -> None: ...


class NullMetrics:
    """The ``Metrics`` port that records nothing (local runs, tests)."""

    def count(self, name: str, value: float = 1, **dimensions: str) -> None:
        return None

    def timing(self, name: str, ms: float, **dimensions: str) -> None:
        return None
