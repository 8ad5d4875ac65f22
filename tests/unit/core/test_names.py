"""Names from payloads that reach request paths: GitHub's and Kubernetes' own rules, no more."""

import pytest
from pydantic import BaseModel, ValidationError

from app.core.names import (
    ArgoCDAppName,
    DnsLabel,
    DnsSubdomain,
    RepoFullName,
    is_dns_label,
    is_dns_subdomain,
    is_repo_full_name,
)


@pytest.mark.parametrize(
    "name",
    ["octo-org/octo-repo", "octocat/Hello-World", "o/.github", "a/b_c.d-e", "octo_acme/x"],
)
def test_github_repository_names_are_accepted(name):
    assert is_repo_full_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "octo/.",
        "octo/..",
        "octo/a..b",
        "octo/repo\n",
        "octo/repo ",
        " octo/repo",
        "octo/re po",
        "octo/repo/extra",
        "octo",
        "/repo",
        "octo/",
        "-octo/repo",
        "oc.to/repo",
        "octo/repo?x=1",
        "octo/repo#x",
        "octo/%2e%2e",
        "octo/" + "r" * 101,
        "o" * 40 + "/repo",
        "octo/rep\u0131",
    ],
)
def test_anything_else_is_not_a_repository_name(name):
    assert not is_repo_full_name(name)


@pytest.mark.parametrize("name", ["a", "shop", "kube-system", "a" * 63, "0abc"])
def test_rfc1123_labels_are_namespace_names(name):
    assert is_dns_label(name)


@pytest.mark.parametrize(
    "name", ["", "a" * 64, "Shop", "shop\n", "-shop", "shop-", "sh.op", "sh_op", "..", "."]
)
def test_anything_else_is_not_a_namespace_name(name):
    assert not is_dns_label(name)


@pytest.mark.parametrize(
    "name", ["checkout-7d9f8b6c5-x2lqz", "a.b.c", "web-0", "a" * 253, "ip-10-0-0-1.ec2.internal"]
)
def test_rfc1123_subdomains_are_object_names(name):
    assert is_dns_subdomain(name)


@pytest.mark.parametrize(
    "name",
    ["", ".", "..", "a..b", "a.-b", "a-.b", ".a", "a.", "a" * 254, "Pod", "pod\n", "a/b", "a b"],
)
def test_anything_else_is_not_an_object_name(name):
    assert not is_dns_subdomain(name)


class _Target(BaseModel):
    repo: RepoFullName | None = None
    namespace: DnsLabel | None = None
    pod: DnsSubdomain | None = None
    app: ArgoCDAppName | None = None


@pytest.mark.parametrize(
    "field, value",
    [("repo", "octo/."), ("namespace", "shop\n"), ("pod", "a..b"), ("app", "Guestbook")],
)
def test_the_field_types_refuse_what_the_checks_refuse(field, value):
    with pytest.raises(ValidationError):
        _Target.model_validate({field: value})


def test_the_field_types_keep_good_names():
    values = {"repo": "octo/repo", "namespace": "shop", "pod": "web-0", "app": "guestbook"}
    assert _Target.model_validate(values).model_dump() == values
