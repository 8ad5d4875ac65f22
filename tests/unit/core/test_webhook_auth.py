"""The shapes a webhook source registers to prove its sender."""

from pydantic import SecretStr

from app.core.security import body_signature, github_signature, verify_body_signature
from app.core.webhook_auth import SharedToken


def test_shared_token_with_a_scheme_expects_the_scheme_and_the_token():
    auth = SharedToken("authorization", SecretStr("t0ken"), "ARGOCD_WEBHOOK_TOKEN")
    assert auth.expected() == "Bearer t0ken"


def test_shared_token_without_a_scheme_expects_the_token_alone():
    auth = SharedToken("x-gitlab-token", SecretStr("t0ken"), "GITLAB_WEBHOOK_TOKEN", scheme=None)
    assert auth.expected() == "t0ken"


def test_shared_token_expects_nothing_when_none_is_configured():
    assert SharedToken("authorization", None, "K8S_WEBHOOK_TOKEN").expected() is None


def test_github_signature_is_the_body_signature_with_its_prefix():
    assert github_signature("s3cret", b"{}") == body_signature("s3cret", b"{}", "sha256=")


def test_body_signature_verifies_only_with_its_own_prefix():
    header = body_signature("s3cret", b"{}", "sha256=")
    assert verify_body_signature("s3cret", b"{}", header, "sha256=")
    assert not verify_body_signature("s3cret", b"{}", header, "v0=")
    assert not verify_body_signature("other", b"{}", header, "sha256=")
