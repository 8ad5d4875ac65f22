"""Ports: the small interfaces services depend on. Adapters implement them."""

from typing import Protocol


class Queue(Protocol):
    """Hands incident ids to the workers that process them."""

    def enqueue(self, incident_id: int) -> None: ...
