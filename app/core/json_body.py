"""Bytes from a sender → a JSON object every later step can hold: the one decoder of webhook
bodies and Slack interaction payloads.

What ``json.loads`` accepts is wider than what CodeHealer can keep. PostgreSQL's jsonb has no
NaN or Infinity, its text has no NUL character and no lone surrogate (they cannot be encoded
as UTF-8); Python refuses to turn integers of more than 4,300 digits into ``int`` and recurses
once per nesting level; the columns targets land in are 64-bit. A body that is outside any of
these is refused here with a ``BadRequestError`` (400) that says which rule it broke, instead
of failing later as a 500 or, worse, being stored and breaking every read of it.
"""

import json
import math
import re
from typing import Any

from app.core.errors import BadRequestError

MAX_JSON_DEPTH = 64  # real payloads nest fewer than 10 levels
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_MAX_INT_DIGITS = len(str(INT64_MAX))
_BOM = "\ufeff"
# A NUL or a lone surrogate can only come from a \u escape once the text is strict UTF-8.
_ESCAPE_TO_CHECK = re.compile(r"\\u(?:0000|[dD][89abcdefABCDEF])")
_UNSTORABLE_CHAR = re.compile("[\x00\ud800-\udfff]")


def decode_json_object(raw: bytes | str, *, what: str = "body") -> dict[str, Any]:
    """The JSON object in ``raw`` (strict UTF-8, no BOM).

    Raises:
        BadRequestError: not UTF-8, not JSON, not an object, or holding a value that cannot
            be stored or read back (NaN, ±Infinity, an integer outside 64 bits, a NUL
            character, a lone surrogate, more than ``MAX_JSON_DEPTH`` levels of nesting).
    """
    text = _utf8_text(raw, what)
    try:
        value = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite, parse_int=_int64
        )
    except RecursionError:
        raise BadRequestError(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError is one
        raise BadRequestError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BadRequestError(f"{what} must be a JSON object")
    if text.count("{") + text.count("[") > MAX_JSON_DEPTH:
        _check_depth(value, what)
    if _ESCAPE_TO_CHECK.search(text) and _holds_unstorable(value):
        raise BadRequestError(
            f"{what} is not storable: a string holds the NUL character or a lone surrogate"
        )
    return value


def _utf8_text(raw: bytes | str, what: str) -> str:
    if isinstance(raw, bytes):
        if b"\x00" in raw:
            raise BadRequestError(f"{what} is not UTF-8 JSON (NUL bytes: UTF-16 or UTF-32?)")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequestError(
                f"{what} is not UTF-8: invalid byte at position {exc.start}"
            ) from None
    if raw.startswith(_BOM):
        raise BadRequestError(f"{what} starts with a byte order mark: send UTF-8 without one")
    return raw


def _refuse_constant(name: str) -> Any:
    raise BadRequestError(f"JSON has no {name}: not a number PostgreSQL can store")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise BadRequestError(f"number {_clip(text)} is out of range")
    return number


def _int64(text: str) -> int:
    # The digits are counted before int(): Python refuses to convert more than 4,300.
    number = int(text) if len(text.lstrip("-")) <= _MAX_INT_DIGITS else None
    if number is None or not INT64_MIN <= number <= INT64_MAX:
        raise BadRequestError(f"integer {_clip(text)} is outside the 64-bit range")
    return number


def _clip(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:20]}… ({len(text)} characters)"


def _check_depth(value: Any, what: str) -> None:
    """Level by level, containers only: no recursion, and cheap on ordinary payloads."""
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise BadRequestError(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels")
        deeper: list[dict[str, Any] | list[Any]] = []
        for container in level:
            items = container.values() if type(container) is dict else container
            deeper.extend(item for item in items if type(item) is dict or type(item) is list)
        level = deeper


def _holds_unstorable(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE_CHAR.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
