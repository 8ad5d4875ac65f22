"""Names that come from payloads and end up in request paths: checked strictly, in one place.

A repository, namespace, pod, workload or application name is pasted into the path of a
GitHub, Kubernetes or Argo CD API call. Anything outside the sender's own naming rules could
change what that path means (``octo/.``, ``a/../b``, a trailing newline, a ``?``), so such a
name is refused when the delivery arrives (400), and checked again before every call. Every
pattern is matched with ``fullmatch``: ``$`` would let a trailing newline through.
"""

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator

# GitHub: a login is letters, digits and hyphens (underscores in Enterprise Managed Users'
# logins), at most 39 characters; a repository name is letters, digits, ``.``, ``_`` and
# ``-``, at most 100 characters, and never ``.`` or ``..``.
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,38}")
_GITHUB_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
# Kubernetes (RFC 1123): a label is what namespaces and container names are; a subdomain
# (labels joined by dots) is what pods, workloads and Argo CD applications are named.
_DNS_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(
    r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
)
DNS_SUBDOMAIN_MAX = 253


def is_repo_full_name(value: str) -> bool:
    """``owner/name`` as GitHub allows it."""
    owner, slash, name = value.partition("/")
    return (
        slash == "/"
        and _GITHUB_OWNER.fullmatch(owner) is not None
        and _GITHUB_REPO.fullmatch(name) is not None
        and ".." not in name
        and name != "."
    )


def is_dns_label(value: str) -> bool:
    """A Kubernetes namespace or container name."""
    return _DNS_LABEL.fullmatch(value) is not None


def is_dns_subdomain(value: str) -> bool:
    """A Kubernetes object name (pod, Deployment, ...) or an Argo CD application name."""
    return len(value) <= DNS_SUBDOMAIN_MAX and _DNS_SUBDOMAIN.fullmatch(value) is not None


def _checked(check: Callable[[str], bool], what: str) -> AfterValidator:
    def validate(value: str) -> str:
        if not check(value):
            raise ValueError(f"not a {what}")
        return value

    return AfterValidator(validate)


# Field types for pydantic models at the edges (payload parsers, remediation parameters).
RepoFullName = Annotated[str, _checked(is_repo_full_name, "GitHub owner/repository name")]
DnsLabel = Annotated[str, _checked(is_dns_label, "Kubernetes name (RFC 1123 label)")]
DnsSubdomain = Annotated[str, _checked(is_dns_subdomain, "Kubernetes name (RFC 1123 subdomain)")]
ArgoCDAppName = Annotated[str, _checked(is_dns_subdomain, "Argo CD application name")]
