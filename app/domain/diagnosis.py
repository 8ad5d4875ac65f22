"""The diagnosis a decision records on an incident: what the deciding rules found, a line
each, kept under ``details["diagnosis"]`` and shown by the Slack message and the dashboard."""

from typing import Any

DIAGNOSIS_KEY = "diagnosis"


def diagnosis_of(details: Any) -> list[str]:
    """The recorded lines, or none (no diagnosis, or a value this version cannot read)."""
    lines = details.get(DIAGNOSIS_KEY) if isinstance(details, dict) else None
    if not isinstance(lines, list):
        return []
    return [str(line) for line in lines if line is not None]
