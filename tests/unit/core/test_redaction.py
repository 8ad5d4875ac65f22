"""Secrets never survive mask_secrets; ordinary log text does, unchanged."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.redaction import MARK, mask_mapping, mask_secrets

# Shaped like real credentials, valid for nothing.
GITHUB_CLASSIC = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
GITHUB_FINE_GRAINED = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


@pytest.mark.parametrize("prefix", ["ghp_", "gho_", "ghs_", "ghu_", "ghr_"])
def test_github_tokens_are_masked(prefix: str) -> None:
    token = prefix + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    masked = mask_secrets(f"git push https://github.com/o/r.git # {token}")
    assert token not in masked
    assert "[REDACTED:github_token]" in masked


def test_fine_grained_github_token_is_masked() -> None:
    assert mask_secrets(f"GH={GITHUB_FINE_GRAINED} ") == "GH=[REDACTED:github_token] "


@pytest.mark.parametrize("kind", ["xoxb", "xoxp", "xoxa", "xoxo", "xoxs", "xoxr"])
def test_slack_tokens_are_masked(kind: str) -> None:
    token = f"{kind}-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
    assert mask_secrets(f"slack {token} sent") == "slack [REDACTED:slack_token] sent"


@pytest.mark.parametrize("key_id", ["AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A"])
def test_aws_access_key_ids_are_masked(key_id: str) -> None:
    assert mask_secrets(f"key {key_id}.") == "key [REDACTED:aws_access_key_id]."


def test_labelled_aws_secret_key_keeps_its_label() -> None:
    masked = mask_secrets("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert masked == f"aws_secret_access_key = {MARK}"


def test_jwt_is_masked() -> None:
    assert mask_secrets(f"id_token {JWT} ok") == "id_token [REDACTED:jwt] ok"


def test_nvidia_api_key_is_masked() -> None:
    masked = mask_secrets("NIM key nvapi-Abc123_def456-GHI789jkl012MNO")
    assert masked == "NIM key [REDACTED:nvidia_api_key]"


def test_private_key_block_is_masked() -> None:
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    assert mask_secrets(f"{block}\nnext line") == "[REDACTED:private_key]\nnext line"


@pytest.mark.parametrize(
    "header",
    [
        "Authorization: Bearer abc.def.ghi-0123456789",
        "authorization: token 0123456789abcdef",
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
    ],
)
def test_authorization_header_value_is_masked(header: str) -> None:
    masked = mask_secrets(f"curl -H '{header}' https://api.github.com")
    assert masked.startswith("curl -H '" + header.split(":")[0] + f": {MARK}'")


def test_bearer_token_outside_a_header_is_masked() -> None:
    assert mask_secrets("sent Bearer 0123456789abcdefXYZ!") == f"sent Bearer {MARK}!"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("password=hunter2 next", f"password={MARK} next"),
        ("passwd: hunter2", f"passwd: {MARK}"),
        ("secret=s3cr3t&x=1", f"secret={MARK}&x=1"),
        ("token=abc123", f"token={MARK}"),
        ("api_key=abc123", f"api_key={MARK}"),
        ("GITHUB_TOKEN=abc123; next", f"GITHUB_TOKEN={MARK}; next"),
        ('{"password": "two words", "api-key":"x"}', f'{{"password": {MARK}, "api-key":{MARK}}}'),
    ],
)
def test_secret_key_value_pairs_keep_the_key(line: str, expected: str) -> None:
    assert mask_secrets(line) == expected


def test_url_password_is_masked_and_user_kept() -> None:
    masked = mask_secrets("connect postgres://app:hunter2@db:5432/app failed")
    assert masked == f"connect postgres://app:{MARK}@db:5432/app failed"


def test_values_already_masked_by_ci_are_left_alone() -> None:
    assert mask_secrets("password: ***") == "password: ***"


def test_token_inside_a_longer_word_is_left_alone() -> None:
    text = "xAKIAIOSFODNN7EXAMPLE and prefixghp_a1B2c3D4e5F6g7H8i9J0k1L2"
    assert mask_secrets(text) == text


@pytest.mark.parametrize(
    "line",
    [
        "npm ERR! code ECONNRESET",
        "##[error]Process completed with exit code 1.",
        "max_tokens=100 --password-stdin",
        "error TS2322: Type 'string' is not assignable to type 'number'.",
        "uses bearer authentication",
    ],
)
def test_ordinary_log_text_is_unchanged(line: str) -> None:
    assert mask_secrets(line) == line


def test_key_after_a_case_changing_character_is_still_masked() -> None:
    # "İ".lower() is two characters long: the masking must not lose its place.
    assert mask_secrets("İ PASSWORD=abc") == f"İ PASSWORD={MARK}"


def test_mask_mapping_masks_nested_strings_and_keeps_the_rest() -> None:
    payload = {"env": [{"script": f"token={GITHUB_CLASSIC}"}], "count": 3, "ok": True}
    masked = mask_mapping(payload)
    assert masked == {"env": [{"script": "token=[REDACTED:github_token]"}], "count": 3, "ok": True}


@pytest.mark.parametrize(
    "key",
    [
        "token",
        "access_token",
        "password",
        "db_password",
        "secret",
        "client_secret",
        "clientSecret",
        "authorization",
        "Authorization",
        "api_key",
        "X-Api-Key",
        "apiKey",
        "private_key",
        "aws_secret_access_key",
        "credentials",
        "cookie",
    ],
)
def test_mask_mapping_masks_any_value_under_a_key_that_names_a_secret(key: str) -> None:
    # The value has no secret's shape: only its key says what it is.
    masked = mask_mapping({"outer": {key: "plain-looking-value-42"}, "name": "build"})
    assert masked == {"outer": {key: MARK}, "name": "build"}


def test_mask_mapping_masks_numbers_and_nested_values_under_a_secret_key() -> None:
    payload = {"pin": 1, "credentials": {"user": "bob", "list": ["a", 7]}, "password": 123456}
    masked = mask_mapping(payload)
    assert masked == {
        "pin": 1,
        "credentials": {"user": MARK, "list": [MARK, MARK]},
        "password": MARK,
    }


@pytest.mark.parametrize("value", [None, True, False, "", MARK, "[REDACTED:github_token]", "***"])
def test_mask_mapping_leaves_empty_flag_or_masked_values_under_a_secret_key(value) -> None:
    payload = {"token": value, "automountServiceAccountToken": value}
    assert mask_mapping(payload) is payload


@pytest.mark.parametrize(
    "key", ["secret_name", "secretName", "max_tokens", "prompt_tokens", "keys_url", "private"]
)
def test_keys_that_only_mention_a_secret_keep_their_value(key: str) -> None:
    payload = {key: "NPM_TOKEN_NAME"}
    assert mask_mapping(payload) is payload


def test_mask_mapping_masks_the_fields_of_a_model_and_keeps_their_types() -> None:
    from app.core.enums import IncidentKind, IncidentSource
    from app.core.events.models import FailureObserved, IncidentDraft
    from app.core.targets import RunTarget

    draft = IncidentDraft(
        source=IncidentSource.GITHUB,
        kind=IncidentKind.WORKFLOW_RUN,
        dedup_key="o/r#1#1",
        fingerprint=f"github:o/r:deploy {GITHUB_CLASSIC}:main",
        title=f"o/r: deploy {GITHUB_CLASSIC} failure on main",
        target=RunTarget(repo="o/r", run_id=1, workflow_name=f"deploy {GITHUB_CLASSIC}"),
        details={"repo_url": "https://bot:hunter2@git.example/r.git", "token": "abc"},
    )
    masked = mask_mapping((FailureObserved(draft=draft), "d-1"))[0].draft
    assert masked.target.workflow_name == "deploy [REDACTED:github_token]"
    assert GITHUB_CLASSIC not in masked.title + masked.fingerprint
    assert masked.details == {"repo_url": f"https://bot:{MARK}@git.example/r.git", "token": MARK}
    assert masked.source is IncidentSource.GITHUB and masked.dedup_key == "o/r#1#1"


def test_a_clean_model_is_returned_as_it_is() -> None:
    from app.core.events.models import Ignored

    event = Ignored(reason="workflow_run action 'requested' is not completed")
    assert mask_mapping((event, "delivery-1")) == (event, "delivery-1")
    assert mask_mapping(event) is event


def test_url_with_a_long_opaque_user_is_masked() -> None:
    token = "0123456789abcdef0123456789abcdef01234567"  # an old-style 40-hex GitHub token
    masked = mask_secrets(f"clone https://{token}@github.com/o/r.git")
    assert masked == f"clone https://{MARK}@github.com/o/r.git"


def test_url_with_a_short_user_keeps_it() -> None:
    assert mask_secrets("ssh://git@github.com/o/r.git") == "ssh://git@github.com/o/r.git"


def test_mask_mapping_keeps_tuples_as_tuples() -> None:
    assert mask_mapping(("a", "password=x1")) == ("a", f"password={MARK}")


_SECRETISH = st.sampled_from(
    [
        GITHUB_CLASSIC,
        JWT,
        "Authorization: ",
        "Bearer ",
        "password=",
        "token: ",
        '"secret": "',
        "https://u:p@h/",
        "AKIAIOSFODNN7EXAMPLE",
        MARK,
        "***",
        "İ",
        "\n",
        " ",
        "'",
        '"',
    ]
)


@settings(max_examples=300)
@given(st.lists(st.one_of(st.text(max_size=20), _SECRETISH), max_size=12).map("".join))
def test_mask_secrets_is_idempotent(text: str) -> None:
    once = mask_secrets(text)
    assert mask_secrets(once) == once


@settings(max_examples=300)
@given(st.text())
def test_mask_secrets_never_raises_on_any_text(text: str) -> None:
    assert isinstance(mask_secrets(text), str)


_TOKENS = st.sampled_from(
    [
        "ghp_" + "A1b2" * 9,
        "github_pat_11ABCDEFG0_" + "x" * 59,
        "xoxb-123456789012-abcdefghij",
        "AKIAABCDEFGHIJKLMNOP",
        "nvapi-" + "z" * 40,
        "password=hunter22",
        "Authorization: token abc",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "https://user:pa55@host.example/x",
    ]
)
_FIELDS = st.one_of(
    st.text(max_size=30),
    st.builds(lambda a, t, b: a + t + b, st.text(max_size=10), _TOKENS, st.text(max_size=10)),
)
_PAYLOADS = st.recursive(
    _FIELDS | st.integers() | st.none(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=15,
)


@settings(max_examples=400, deadline=None)
@given(payload=st.dictionaries(st.text(max_size=8), _PAYLOADS, max_size=5))
def test_mask_mapping_fast_path_gives_the_same_result_as_masking_every_field(payload):
    from app.core.redaction import _mask_each

    assert mask_mapping(payload) == _mask_each(payload)


def test_strings_seen_clean_before_do_not_hide_a_secret_beside_them() -> None:
    clean = {"repo": {"url": "https://api.github.com/repos/o/r", "name": "r"}, "id": 1}
    assert mask_mapping(clean) is clean  # now remembered as clean
    planted = {**clean, "head_commit": {"message": f"deploy with {GITHUB_CLASSIC}"}}
    assert mask_mapping(planted)["head_commit"]["message"] == "deploy with [REDACTED:github_token]"
    assert mask_mapping(planted)["repo"] == clean["repo"]


def test_a_remembered_string_is_checked_again_once_the_memory_is_full(monkeypatch) -> None:
    from app.core import redaction

    monkeypatch.setattr(redaction, "_KNOWN_CLEAN_MAX_ENTRIES", 3)
    mask_mapping({"a": "one", "b": "two"})
    mask_mapping({"c": "three", "d": "four"})  # over the bound: the memory starts again
    assert len(redaction._KNOWN_CLEAN) <= 3
    assert (
        mask_mapping({"a": "one", "t": f"token={GITHUB_CLASSIC}"})["t"] != f"token={GITHUB_CLASSIC}"
    )


def test_the_clean_memory_keeps_its_bound_when_threads_fill_it_at_once(monkeypatch) -> None:
    import sys
    import threading

    from app.core import redaction

    bound = 4
    monkeypatch.setattr(redaction, "_KNOWN_CLEAN_MAX_ENTRIES", bound)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    overruns: list[int] = []

    def fill(worker: int) -> None:
        for n in range(10_000):
            mask_mapping({"a": f"w{worker}-{n}-x", "b": f"w{worker}-{n}-y"})
            if (size := len(redaction._KNOWN_CLEAN)) > bound:
                overruns.append(size)

    try:
        threads = [threading.Thread(target=fill, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert overruns == []
