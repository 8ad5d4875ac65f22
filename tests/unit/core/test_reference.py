"""The reference memory's model: entries validated at the boundary, a version that is the
hash of the entries themselves."""

import pytest
from pydantic import ValidationError

from app.core.reference import ReferenceEntry, ReferenceMemory, parse_reference_memory

ENTRY = {
    "name": "040_npm_econnreset_actions",
    "source": "https://github.com/org/repo/issues/1",
    "category": "transient_network",
    "action": "rerun_failed_jobs",
    "log": "npm ERR! code ECONNRESET\n",
}


def memory_json(*entries: dict) -> str:
    import json

    return json.dumps({"format": 1, "about": "", "entries": list(entries)})


def test_a_memory_is_read_from_its_json():
    memory = parse_reference_memory(memory_json(ENTRY))

    assert memory.entries == (ReferenceEntry(**ENTRY),)


def test_the_version_changes_with_any_field_of_any_entry():
    base = parse_reference_memory(memory_json(ENTRY)).version
    relabelled = parse_reference_memory(memory_json({**ENTRY, "action": "none"})).version

    assert len(base) == 64
    assert relabelled != base
    assert parse_reference_memory(memory_json(ENTRY)).version == base


def test_the_about_text_is_not_part_of_the_version():
    one = ReferenceMemory(about="one", entries=(ReferenceEntry(**ENTRY),))
    two = ReferenceMemory(about="two", entries=(ReferenceEntry(**ENTRY),))

    assert one.version == two.version


@pytest.mark.parametrize(
    "change",
    [{"category": "network"}, {"action": "delete_repo"}, {"name": ""}, {"extra": "field"}],
)
def test_an_entry_outside_the_vocabulary_is_refused(change):
    with pytest.raises(ValidationError):
        parse_reference_memory(memory_json({**ENTRY, **change}))


def test_an_entry_named_twice_is_refused():
    with pytest.raises(ValidationError, match="twice"):
        parse_reference_memory(memory_json(ENTRY, ENTRY))
