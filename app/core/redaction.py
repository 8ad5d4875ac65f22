"""Mask secrets in any text before it is stored, logged, sent to Slack or to a model.

Every rule replaces the secret with a fixed marker and refuses to match a marker again, so
``mask_secrets(mask_secrets(x)) == mask_secrets(x)``. All patterns are compiled once at import.
"""

import re
from typing import Any

MARK = "[REDACTED]"

# Values that are already masked (by us or by the CI system) are left alone.
_NOT_MASKED = r"(?!\[REDACTED|\*\*\*)"


def _marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# Secrets recognisable by their own shape, wherever they appear.
_TOKENS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
            re.DOTALL,
        ),
        _marker("private_key"),
    ),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), _marker("github_token")),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), _marker("github_token")),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}"), _marker("slack_token")),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), _marker("aws_access_key_id")),
    (re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"), _marker("jwt")),
    (re.compile(r"\bnvapi-[\w-]{16,}"), _marker("nvidia_api_key")),
    (re.compile(r"\bglpat-[\w-]{16,}"), _marker("gitlab_token")),
    (re.compile(r"\bnpm_[A-Za-z0-9]{30,}"), _marker("npm_token")),
    (re.compile(r"\bdckr_pat_[\w-]{16,}"), _marker("docker_token")),
)

# Header values: everything after ``Authorization:`` up to the end of the line or a quote.
_AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)" + _NOT_MASKED + r"[^\r\n\"']+"
)
_BEARER = re.compile(r"(?i)\b((?:bearer|basic)\s+)" + _NOT_MASKED + r"[A-Za-z0-9._~+/=-]{8,}")

# key=value / key: value / "key": "value" where the key names a secret; the key stays visible.
_SECRET_KEY = (
    r"[\w.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|"
    r"private[_-]?key|client[_-]?secret)"
)
_PAIR = re.compile(
    r"(?i)\b(" + _SECRET_KEY + r"[\"']?\s*[:=]\s*)"
    r"(?:\"(?!\[REDACTED)[^\"\r\n]*\"|'(?!\[REDACTED)[^'\r\n]*'|" + _NOT_MASKED + r"[^\s\"',;&]+)"
)

# scheme://user:password@host — keep the user, mask the password.
_URL_CREDENTIALS = re.compile(
    r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)" + _NOT_MASKED + r"[^@\s/]+@"
)


def _keep_key(match: re.Match[str]) -> str:
    return match.group(1) + MARK


def mask_secrets(text: str) -> str:
    """Replace tokens, keys and credential values with a fixed marker. Idempotent, never raises."""
    if not isinstance(text, str) or not text:
        return text
    for pattern, marker in _TOKENS:
        text = pattern.sub(marker, text)
    text = _AUTH_HEADER.sub(_keep_key, text)
    text = _BEARER.sub(_keep_key, text)
    text = _PAIR.sub(_keep_key, text)
    return _URL_CREDENTIALS.sub(lambda m: m.group(1) + MARK + "@", text)


def mask_mapping(value: Any) -> Any:
    """Mask every string inside nested dicts, lists and tuples (keys stay as they are)."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {key: mask_mapping(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_mapping(item) for item in value)
    return value
