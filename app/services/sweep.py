"""The sweep (``codehealer sweep``, the scheduled Lambda): periodic housekeeping that catches
what no webhook will tell us. Each task is independent and safe to run concurrently."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.services.worker import IncidentWorker

log = logging.getLogger(__name__)

SweepTask = Callable[[], dict[str, Any]]


@dataclass
class Sweeper:
    worker: IncidentWorker
    tasks: dict[str, SweepTask] = field(default_factory=dict)

    def run(self) -> dict[str, Any]:
        """Run every task; one failing task is reported, not fatal to the others."""
        report: dict[str, Any] = {"reclaimed": self.worker.drain()}
        for name, task in self.tasks.items():
            try:
                report[name] = task()
            except Exception as exc:  # report and continue: the other tasks still matter
                log.exception("sweep task %s failed", name)
                report[name] = {"error": type(exc).__name__}
        return report
