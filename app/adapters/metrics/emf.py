"""CloudWatch Embedded Metric Format: one JSON line per metric on stdout.

On Lambda, stdout goes to CloudWatch Logs, which extracts the metrics from these lines: no
API call and no extra latency on the request path.
"""

import json
import logging
import math
import sys
import time
from collections.abc import Callable
from typing import TextIO

from app.core.redaction import mask_secrets

COUNT = "Count"
MILLISECONDS = "Milliseconds"
# CloudWatch allows at most 30 dimensions per dimension set and 1024 characters per value.
MAX_DIMENSIONS = 30
MAX_DIMENSION_VALUE = 1024
ENVIRONMENT_DIMENSION = "Environment"

log = logging.getLogger(__name__)


class EmfMetrics:
    """The ``Metrics`` port as EMF log lines in ``namespace``."""

    def __init__(
        self,
        namespace: str = "CodeHealer",
        stream: TextIO | None = None,
        environment: str | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self.namespace = namespace
        self._stream = stream
        self.environment = environment
        self._clock = clock

    def count(self, name: str, value: float = 1, **dimensions: str) -> None:
        self._emit(name, value, COUNT, dimensions)

    def timing(self, name: str, ms: float, **dimensions: str) -> None:
        self._emit(name, ms, MILLISECONDS, dimensions)

    def document(
        self, name: str, value: float, unit: str, dimensions: dict[str, str]
    ) -> dict[str, object]:
        """The EMF object for one metric value; raises ``ValueError`` for an invalid metric."""
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            raise ValueError(f"metric {name!r} needs a finite number")
        dims = dict(dimensions)
        if self.environment:
            dims.setdefault(ENVIRONMENT_DIMENSION, self.environment)
        if name in dims:
            raise ValueError(f"metric name {name!r} is also a dimension name")
        if len(dims) > MAX_DIMENSIONS:
            raise ValueError(f"at most {MAX_DIMENSIONS} dimensions, got {len(dims)}")
        keys = sorted(dims)
        doc: dict[str, object] = {
            "_aws": {
                "Timestamp": int(self._clock() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": [keys],
                        "Metrics": [{"Name": name, "Unit": unit}],
                    }
                ],
            }
        }
        for key in keys:
            doc[key] = mask_secrets(str(dims[key]))[:MAX_DIMENSION_VALUE]
        doc[name] = value
        return doc

    def _emit(self, name: str, value: float, unit: str, dimensions: dict[str, str]) -> None:
        try:
            doc = self.document(name, value, unit, dimensions)
        except ValueError as exc:  # a bad metric is dropped; the work it measures goes on
            log.warning("metric dropped: %s", exc)
            return
        line = json.dumps(doc, separators=(",", ":"))
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write(line + "\n")
        stream.flush()
