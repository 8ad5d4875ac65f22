"""Parsers take anything a sender can post: they return an event or raise NormalizationError."""

import contextlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import NormalizationError
from app.core.events.github import parse_github_event
from tests.conftest import fixture_bytes

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
EVENTS = st.sampled_from(["workflow_run", "workflow_job", "ping", "push", "check_run", ""])
REAL = json.loads(fixture_bytes("github/derived__workflow_run__completed.failure.payload.json"))


@settings(max_examples=300, deadline=None)
@given(event=EVENTS, payload=st.dictionaries(st.text(max_size=12), JSON, max_size=6))
def test_arbitrary_objects_never_raise_anything_but_bad_request(event, payload):
    with contextlib.suppress(NormalizationError):
        parse_github_event(event, payload)


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(sorted(REAL["workflow_run"])), value=JSON)
def test_a_real_payload_with_one_field_replaced_never_crashes(key, value):
    payload = json.loads(json.dumps(REAL))
    payload["workflow_run"][key] = value
    with contextlib.suppress(NormalizationError):
        parse_github_event("workflow_run", payload)
