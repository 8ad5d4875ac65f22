"""Reference memory: labelled failures of other projects, shipped with CodeHealer.

Each entry is a real CI/CD failure log posted in a public thread, with the category and the
right action the thread settled on (the train side of the labelled corpus; the test side is
never shipped). Seeded into the database, the entries are neighbours for a new failure and a
prior for the history term of its confidence; they are never incidents and never outcomes of
this installation.

The version is a hash of the entries themselves, so any change to the shipped file is a new
version, whatever the file says.
"""

import hashlib
import json

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.enums import ActionKind, Category

FORMAT = 1


class ReferenceEntry(BaseModel):
    """One labelled failure: its log as posted, and what the thread settled on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)  # the corpus file, e.g. "040_npm_econnreset"
    source: str = Field(min_length=1)  # the public thread the log was posted in
    category: Category
    action: ActionKind  # the right action: what cured it, or none (a person changed something)
    log: str


class ReferenceMemory(BaseModel):
    """The shipped reference memory (``app/data/reference/memory.json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = FORMAT
    about: str = ""
    entries: tuple[ReferenceEntry, ...]

    @model_validator(mode="after")
    def _names_are_unique(self) -> "ReferenceMemory":
        names = [entry.name for entry in self.entries]
        if len(names) != len(set(names)):
            raise ValueError("reference memory names an entry twice")
        return self

    @property
    def version(self) -> str:
        """sha256 of the entries (their order and every field): what a seed records."""
        canonical = json.dumps(
            [entry.model_dump(mode="json") for entry in self.entries],
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_reference_memory(text: str) -> ReferenceMemory:
    """The memory in ``text`` (JSON); raises ``pydantic.ValidationError`` when malformed."""
    return ReferenceMemory.model_validate_json(text)
