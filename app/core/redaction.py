"""Mask secrets in any text before it is stored, logged, sent to Slack or to a model.

Every rule replaces the secret with a fixed marker and refuses to match a marker again, so
``mask_secrets(mask_secrets(x)) == mask_secrets(x)``. Patterns are compiled once at import and
each starts with a literal, so the regex engine's fast prefix search keeps a multi-megabyte job
log to a few milliseconds per megabyte.
"""

import re
from collections.abc import Iterable
from typing import Any

MARK = "[REDACTED]"

# Values already masked, by us or by the CI system (GitHub prints ``***``), are left alone.
_NOT_MASKED = r"(?!\s*(?:\[redacted|\*\*\*))"

# Secrets recognisable by their own shape. A leading ``\b`` would disable the prefix search, so
# the "not in the middle of a longer word" check happens in ``_mask_token``.
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private_key",
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)"
        ),
    ),
    ("github_token", re.compile(r"github_pat_[A-Za-z0-9_]{20,}")),
    ("github_token", re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}")),
    ("slack_token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{8,}")),
    ("aws_access_key_id", re.compile(r"A[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9])")),
    ("jwt", re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")),
    ("nvidia_api_key", re.compile(r"nvapi-[\w-]{16,}")),
    ("gitlab_token", re.compile(r"glpat-[\w-]{16,}")),
    ("npm_token", re.compile(r"npm_[A-Za-z0-9]{30,}")),
    ("docker_token", re.compile(r"dckr_pat_[\w-]{16,}")),
)

# The next three run on a lower-cased copy of the text (a case-insensitive regex is an order
# of magnitude slower); their ``value`` group is the span to mask in the original.
_AUTH_HEADER = re.compile(
    r"authorization[\"']?+[ \t]*+[:=][ \t]*+[\"']?+" + _NOT_MASKED + r"(?P<value>[^\r\n\"']+)"
)
_BEARER = re.compile(r"bearer[ \t]++" + _NOT_MASKED + r"(?P<value>[a-z0-9._~+/=-]{16,})")
# key=value / key: value / "key": "value" where the key names a secret; the key stays visible.
# Anchored on the keyword itself, so ``access_token=`` matches on ``token=``. One pattern per
# keyword family, each starting with a literal: one alternation of them all would make the
# engine try every position of the text (5x slower on a 20 KB payload).
_PAIR_VALUE = (
    r"[\"']?+[ \t]*+[:=][ \t]*+"
    + _NOT_MASKED
    + r"(?P<value>\"[^\"\r\n]*\"|'[^'\r\n]*'|[\"']?+[^\s\"',;&]+)"
)
_PAIRS = tuple(
    re.compile(keyword + _PAIR_VALUE)
    for keyword in (
        r"pass(?:word|wd|phrase)",
        r"secret",
        r"token",
        r"api[_-]?key",
        r"access[_-]?key",
        r"private[_-]?key",
    )
)
_SPAN_RULES = (_AUTH_HEADER, _BEARER, *_PAIRS)
_SPAN_RULES_ANY_CASE = tuple(re.compile(rule.pattern, re.IGNORECASE) for rule in _SPAN_RULES)

# scheme://user:password@host — keep the user, mask the password.
_URL_CREDENTIALS = re.compile(r"(://[^/\s:@]+:)(?!\[REDACTED|\*\*\*)[^@\s/]+@")


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _mask_tokens(text: str) -> str:
    for kind, pattern in _TOKENS:
        marker = f"[REDACTED:{kind}]"

        def replace(match: re.Match[str], marker: str = marker) -> str:
            start = match.start()
            # Inside a longer word (``xghp_…``, ``ABCAKIA…``) it is not a token of that kind.
            if start and _word_char(match.string[start - 1]):
                return match.group(0)
            return marker

        text = pattern.sub(replace, text)
    return text


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            continue
        merged.append((start, end))
    return merged


def _mask_values(text: str) -> str:
    lowered = text.lower()
    rules, source = _SPAN_RULES, lowered
    if len(lowered) != len(text):
        # A few Unicode characters change length when lower-cased: offsets would not line up.
        rules, source = _SPAN_RULES_ANY_CASE, text
    spans = [m.span("value") for rule in rules for m in rule.finditer(source)]
    if not spans:
        return text
    pieces: list[str] = []
    last = 0
    for start, end in _merged(spans):
        pieces.append(text[last:start])
        pieces.append(MARK)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def mask_secrets(text: str) -> str:
    """Replace tokens, keys and credential values with a fixed marker. Idempotent, never raises."""
    if not isinstance(text, str) or not text:
        return text
    text = _mask_tokens(text)
    text = _mask_values(text)
    return _URL_CREDENTIALS.sub(lambda m: m.group(1) + MARK + "@", text)


# Strings already seen to hold no secret. Deliveries from one repository repeat most of their
# strings (a GitHub payload carries ~100 URL templates of its repository, organisation and
# sender), so the secret rules only need to run over what is new. Bounded: cleared when full.
_KNOWN_CLEAN: dict[str, None] = {}
_KNOWN_CLEAN_MAX_ENTRIES = 8192
_KNOWN_CLEAN_MAX_LENGTH = 1024


def mask_mapping(value: Any) -> Any:
    """Mask every string inside nested dicts, lists and tuples (keys stay as they are).

    Webhook payloads are large and almost never hold a secret: one pass over their strings not
    seen clean before, joined by newlines (a boundary for every rule), decides whether the
    field-by-field walk is needed at all.
    """
    unseen = [text for text in _strings(value) if text not in _KNOWN_CLEAN]
    if not unseen:
        return value
    joined = "\n".join(unseen)
    if mask_secrets(joined) != joined:
        return _mask_each(value)
    _remember_clean(unseen)
    return value


def _remember_clean(strings: list[str]) -> None:
    if len(_KNOWN_CLEAN) + len(strings) > _KNOWN_CLEAN_MAX_ENTRIES:
        _KNOWN_CLEAN.clear()
    for text in strings:
        if len(text) <= _KNOWN_CLEAN_MAX_LENGTH:
            _KNOWN_CLEAN[text] = None


def _strings(value: Any) -> list[str]:
    """Every string in ``value`` (in no particular order), without recursion: a generator per
    level costs about as much as the secret rules on a 20 KB payload."""
    found: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return found


def _mask_each(value: Any) -> Any:
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {key: _mask_each(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_each(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_mask_each(item) for item in value)
    return value
