"""docs/architecture.md names only what exists: every app/ path it mentions, every entry of its
layout under app/, and every folder an entry lists (under it, or under app/)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
APP_PATH = re.compile(r"\bapp/[\w./-]*\w/?")
# A layout entry under app/: two spaces, a file or folder name, then its description.
LAYOUT_ENTRY = re.compile(r"^  (?P<name>[\w./]+)\s{2,}(?P<text>.*)$")
CONTINUATION = re.compile(r"^\s{20,}(?P<text>\S.*)$")
FOLDER = re.compile(r"(?<![\w/.`])(?P<name>[a-z_]+)/(?=[\s,)]|$)")


def layout_block() -> list[str]:
    """The lines of the app/ tree in the Layout section."""
    section = DOC.split("## 2. Layout", 1)[1].split("```", 2)[1]
    lines = section.splitlines()
    start = lines.index("app/")
    block = []
    for line in lines[start + 1 :]:
        if line and not line.startswith(" "):
            break  # the next top-level folder (config/, tests/, ...)
        block.append(line)
    return block


def layout_entries() -> dict[str, str]:
    """Each entry under app/ → its description, continuation lines included."""
    entries: dict[str, str] = {}
    current = None
    for line in layout_block():
        if match := LAYOUT_ENTRY.match(line):
            current = match["name"]
            entries[current] = match["text"]
        elif (match := CONTINUATION.match(line)) and current:
            entries[current] += " " + match["text"]
    return entries


def test_the_layout_is_found():
    entries = layout_entries()
    assert {"bootstrap/", "core/", "domain/", "services/", "adapters/"} <= set(entries)


@pytest.mark.parametrize("path", sorted(set(APP_PATH.findall(DOC))))
def test_every_app_path_named_exists(path):
    assert (ROOT / path.rstrip(".")).exists(), f"{path} is named but does not exist"


@pytest.mark.parametrize("name", sorted(layout_entries()))
def test_every_layout_entry_exists(name):
    assert (ROOT / "app" / name).exists(), f"app/{name} is listed but does not exist"


@pytest.mark.parametrize(
    "entry,folder",
    sorted(
        (name, match["name"])
        for name, text in layout_entries().items()
        if name.endswith("/")
        for match in FOLDER.finditer(text)
    ),
)
def test_every_folder_a_layout_entry_lists_exists_under_it(entry, folder):
    under = ROOT / "app" / entry
    found = [p for p in under.rglob(folder) if p.is_dir() and "__pycache__" not in p.parts]
    assert found or (ROOT / "app" / folder).is_dir(), f"app/{entry} lists {folder}/: no such folder"
