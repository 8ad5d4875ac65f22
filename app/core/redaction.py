"""Mask secrets in any text before it is stored, logged, sent to Slack or to a model."""

import re
from typing import Any

MARK = "[REDACTED]"

_PATTERNS = [
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bgh[poushr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}"),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
    re.compile(r"\bnvapi-[A-Za-z0-9_-]{10,}"),
]
_HEADER = re.compile(r"(?i)\b(authorization\s*[:=]\s*)(?!\[REDACTED\])[^\r\n\"']+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)(?!\[REDACTED\])[A-Za-z0-9._~+/=-]{8,}")
_PAIR = re.compile(
    r"(?i)\b((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|"
    r"aws_secret_access_key|client[_-]?secret)[\"']?\s*[:=]\s*[\"']?)(?!\[REDACTED\])[^\s\"',;&]+"
)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)(?!\[REDACTED\])[^@\s/]+@")


def mask_secrets(text: str) -> str:
    """Replace tokens, keys and credential values with a fixed marker. Idempotent."""
    if not text:
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(MARK, text)
    text = _HEADER.sub(lambda m: m.group(1) + MARK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MARK, text)
    text = _PAIR.sub(lambda m: m.group(1) + MARK, text)
    return _URL_CREDENTIALS.sub(lambda m: m.group(1) + MARK + "@", text)


def mask_mapping(value: Any) -> Any:
    """Mask every string inside nested dicts and lists."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {k: mask_mapping(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_mapping(v) for v in value]
    return value
