"""decode_json_object: a JSON object every later step can store and read back, or a 400."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import BadRequestError
from app.core.json_body import MAX_JSON_DEPTH, decode_json_object
from tests.conftest import fixture_bytes

REAL = fixture_bytes("github/derived__workflow_run__completed.failure.payload.json")


def refused(raw: bytes | str) -> str:
    with pytest.raises(BadRequestError) as caught:
        decode_json_object(raw)
    return str(caught.value)


def test_a_real_payload_decodes_as_json_loads_does():
    assert decode_json_object(REAL) == json.loads(REAL)


def test_text_decodes_like_bytes():
    assert decode_json_object(REAL.decode()) == json.loads(REAL)


def test_nesting_at_the_limit_is_accepted():
    inner = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    assert decode_json_object('{"a": ' + inner + "}")["a"]


def test_nesting_one_past_the_limit_is_refused():
    inner = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert "nested deeper" in refused('{"a": ' + inner + "}")


def test_nesting_past_pythons_recursion_limit_is_refused():
    assert "nested deeper" in refused('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")


@pytest.mark.parametrize("digits", [5000, 20])
def test_integers_outside_64_bits_are_refused(digits):
    assert "64-bit" in refused('{"a": ' + "9" * digits + "}")


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63)])
def test_integers_at_the_64_bit_bounds_are_kept(value):
    assert decode_json_object(f'{{"a": {value}}}') == {"a": value}


@pytest.mark.parametrize("number", ["1e1000000", "-1e400", "1E309"])
def test_numbers_that_overflow_a_float_are_refused(number):
    assert "out of range" in refused('{"a": ' + number + "}")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_are_refused(constant):
    refused('{"a": ' + constant + "}")


@pytest.mark.parametrize(
    "document",
    ['{"a": "\\ud800"}', '{"a": "x\\uDFFF"}', '{"\\udc00": 1}', '{"a": ["\\u0000"]}'],
    ids=["high-surrogate", "low-surrogate", "surrogate-key", "nul"],
)
def test_strings_utf8_or_postgresql_cannot_hold_are_refused(document):
    assert "not storable" in refused(document)


def test_a_surrogate_pair_is_one_character_and_kept():
    assert decode_json_object('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}


def test_an_escaped_backslash_before_u0000_text_is_kept():
    assert decode_json_object('{"a": "\\\\u0000"}') == {"a": "\\u0000"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_json_in_another_unicode_encoding_is_refused(encoding):
    assert "UTF-8" in refused('{"a": 1}'.encode(encoding))


def test_a_byte_order_mark_is_refused():
    assert "byte order mark" in refused(b"\xef\xbb\xbf" + REAL)


def test_invalid_utf8_is_refused_with_its_position():
    assert "position 7" in refused(b'{"a": "\xff"}')


@pytest.mark.parametrize("document", ["[]", "1", '"a"', "null"])
def test_a_document_that_is_not_an_object_is_refused(document):
    assert "object" in refused(document)


def test_the_message_names_what_was_decoded():
    with pytest.raises(BadRequestError, match="^payload "):
        decode_json_object("[]", what="payload")


# Strings include lone surrogates; integers and floats are unbounded.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(exclude_categories=()), max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=4))
def test_anything_python_serializes_is_decoded_or_refused_with_a_bad_request(value):
    text = json.dumps(value)  # writes NaN, lone surrogates and unbounded integers
    try:
        decoded = decode_json_object(text.encode())
    except BadRequestError:
        return
    # What is accepted can be encoded as UTF-8 (so stored) and says what was sent.
    assert json.dumps(decoded, ensure_ascii=False).encode("utf-8")
    assert decoded == json.loads(text)
