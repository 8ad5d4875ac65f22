"""The runbook pages shipped with CodeHealer (docs/runbooks), as the dashboard serves them.

Only files directly in the folder whose names are ``<lowercase key>.md`` can be read, so a
request can never reach another file.
"""

import re
from dataclasses import dataclass
from pathlib import Path

RUNBOOKS_DIR = Path(__file__).resolve().parents[2] / "docs" / "runbooks"
INDEX = "README.md"
_PAGE_NAME = re.compile(r"[a-z0-9_]{1,64}\.md")


@dataclass(frozen=True)
class RunbookPage:
    name: str  # the file name, e.g. storm.md
    title: str  # its first heading
    text: str


class RunbookLibrary:
    def __init__(self, directory: Path = RUNBOOKS_DIR):
        self.directory = directory

    def page(self, name: str) -> RunbookPage | None:
        """The page called ``name`` (``storm.md``), or None when there is no such page."""
        if name != INDEX and not _PAGE_NAME.fullmatch(name):
            return None
        path = self.directory / name
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
        return RunbookPage(name=name, title=_title(text, name), text=text)

    def pages(self) -> list[RunbookPage]:
        """Every page but the index, by title."""
        if not self.directory.is_dir():
            return []
        found = (self.page(p.name) for p in sorted(self.directory.glob("*.md")))
        pages = [p for p in found if p is not None and p.name != INDEX]
        return sorted(pages, key=lambda p: (p.name.startswith("alarm_"), p.title.lower()))


def _title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback
