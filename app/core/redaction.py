"""Mask secrets in any text before it is stored, logged, sent to Slack or to a model.

Every rule replaces the secret with a fixed marker and refuses to match a marker again, so
``mask_secrets(mask_secrets(x)) == mask_secrets(x)``. Patterns are compiled once at import and
each starts with a literal, so the regex engine's fast prefix search keeps a multi-megabyte job
log to a few milliseconds per megabyte.
"""

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

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

# scheme://user:password@host — keep the user, mask the password; and scheme://token@host,
# a long opaque user with no password, which is how tokens ride in clone URLs.
_URL_CREDENTIALS = re.compile(
    r"(://(?:[^/\s:@]+:)?)(?:(?<=:)(?!\[REDACTED|\*\*\*)[^@\s/]+|(?<=//)[\w.~%+-]{20,})@"
)


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


# A key that names a credential: its value is masked whatever it looks like
# (``{"client_secret": "abc"}``). Matched on the key lower-cased without separators, so
# ``clientSecret``, ``X-Api-Key`` and ``private_key`` are all seen, and as a suffix, so
# ``access_token`` and ``db_password`` are too (``secret_name`` and ``max_tokens`` are not).
_SECRET_KEY = re.compile(
    r"(?:token|passw(?:or)?d|passphrase|secret|authorization|auth|credentials?|cookie"
    r"|(?:api|private|access|secret|signing|encryption)key)\Z"
)
_KEY_SEPARATORS = re.compile(r"[^a-z0-9]")
_ALREADY_MASKED = ("[REDACTED", "***")


@lru_cache(maxsize=4096)  # payload keys repeat; lru_cache is safe across threads
def names_a_secret(key: str) -> bool:
    """True when a mapping key (a JSON field, a header) says its value is a credential."""
    return _SECRET_KEY.search(_KEY_SEPARATORS.sub("", key.lower())) is not None


class _Remembered:
    """A bounded set of strings, cleared when full. Lookups need no lock (one dict lookup is
    atomic); additions take one, so the bound holds when worker threads add at once."""

    def __init__(self, max_entries: int, max_length: int):
        self.entries: dict[str, None] = {}
        self.max_entries = max_entries
        self.max_length = max_length
        self._lock = threading.Lock()

    def add_all(self, items: list[str], max_entries: int | None = None) -> None:
        bound = self.max_entries if max_entries is None else max_entries
        kept = [item for item in items if len(item) <= self.max_length]
        with self._lock:
            if len(self.entries) + len(kept) > bound:
                self.entries.clear()
            for item in kept[:bound]:
                self.entries[item] = None


# Strings already seen to hold no secret. Deliveries from one repository repeat most of their
# strings (a GitHub payload carries ~100 URL templates of its repository, organisation and
# sender), so the secret rules only need to run over what is new. Bounded: cleared when full.
_KNOWN_CLEAN_MAX_ENTRIES = 8192
_KNOWN_CLEAN_MAX_LENGTH = 1024
_CLEAN_STRINGS = _Remembered(_KNOWN_CLEAN_MAX_ENTRIES, _KNOWN_CLEAN_MAX_LENGTH)
_KNOWN_CLEAN = _CLEAN_STRINGS.entries
# Mapping keys already seen not to name a secret: a payload's few hundred keys are checked
# with one C-level set comparison per object instead of one rule per key.
_CLEAN_KEYS = _Remembered(4096, 200)


def mask_mapping(value: Any) -> Any:
    """Mask every string inside nested dicts, lists, tuples and pydantic models, and every
    value under a key that names a secret (keys stay as they are).

    Webhook payloads are large and almost never hold a secret: one pass over their keys not
    seen clean before and their strings not seen clean before, joined by newlines (a boundary
    for every rule), decides whether the field-by-field walk is needed at all. A model is
    returned as a copy with only its masked fields replaced; a clean value is returned as it is.
    """
    unseen, secret_valued = _strings(value)
    if secret_valued:
        return _mask_each(value)
    if not unseen:
        return value
    joined = "\n".join(unseen)
    if mask_secrets(joined) != joined:
        return _mask_each(value)
    _remember_clean(unseen)
    return value


def _remember_clean(strings: list[str]) -> None:
    _CLEAN_STRINGS.add_all(strings, _KNOWN_CLEAN_MAX_ENTRIES)


_SEQUENCES = (list, tuple)
_SCALARS = frozenset({int, float, bool, type(None)})


def _strings(value: Any) -> tuple[list[str], bool]:
    """The strings in ``value`` not known clean (in no particular order), and whether a key
    that names a secret holds a value still to mask. Without recursion: a generator per level
    costs about as much as the secret rules on a 20 KB payload."""
    found: list[str] = []
    secret_valued = False
    known, clean_keys = _KNOWN_CLEAN, _CLEAN_KEYS.entries.keys()
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if item not in known:
                found.append(item)
        elif isinstance(item, dict):
            if not secret_valued and not clean_keys >= item.keys():
                secret_valued = _holds_secret_value(item)
            pending.extend(item.values())
        elif isinstance(item, _SEQUENCES):
            pending.extend(item)
        elif type(item) in _SCALARS:
            continue  # most leaves: checked before the (slower) model check
        elif isinstance(item, BaseModel):
            pending.append(item.__dict__)
    return found, secret_valued


def _holds_secret_value(mapping: dict) -> bool:
    """Whether a key of ``mapping`` names a secret and holds something unmasked; remembers the
    keys that name none."""
    clean: list[str] = []
    for key, item in mapping.items():
        if not isinstance(key, str):
            continue
        if not names_a_secret(key):
            clean.append(key)
        elif _unmasked(item):
            return True
    _CLEAN_KEYS.add_all(clean)
    return False


def _unmasked(value: Any) -> bool:
    """Whether a value under a secret-naming key still shows something: a non-empty string not
    already masked, a number, or a container holding one. Flags and nulls say nothing."""
    if isinstance(value, str):
        return bool(value) and not value.startswith(_ALREADY_MASKED)
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, dict):
        return any(_unmasked(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_unmasked(item) for item in value)
    return False


def _mask_each(value: Any, secret: bool = False) -> Any:
    """``value`` with every string masked; under a secret-naming key, every value shown."""
    if isinstance(value, str):
        if secret:
            return MARK if _unmasked(value) else value
        masked = mask_secrets(value)
        return value if masked == value else masked  # keeps a StrEnum member what it is
    if isinstance(value, dict):
        return {
            key: _mask_each(item, secret or (isinstance(key, str) and names_a_secret(key)))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask_each(item, secret) for item in value]
    if isinstance(value, tuple):
        return tuple(_mask_each(item, secret) for item in value)
    if isinstance(value, BaseModel):
        fields = _mask_each(value.__dict__, secret)
        changed = {name: item for name, item in fields.items() if item is not value.__dict__[name]}
        # Only what changed is replaced: the other fields keep their exact objects and types.
        return value.model_copy(update=changed) if changed else value
    if secret and isinstance(value, int | float) and not isinstance(value, bool):
        return MARK
    return value
