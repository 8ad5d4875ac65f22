"""GitHub App authentication: the JWT's claims and signature, the per-installation token cache,
its expiry, the refresh after a 401, and the settings that configure it."""

import threading
import time
from datetime import UTC, datetime

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr

from app.adapters.external.github.app_auth import (
    AppInstallationTokens,
    PersonalToken,
    app_jwt,
    load_private_key,
)
from app.adapters.external.github.client import build_github_client
from app.adapters.external.http import resilient_client
from app.core.errors import ConfigurationError, GitHubError
from tests.conftest import make_settings

API = "https://api.github.com"
APP_ID = 364102
INSTALLATION = 1
EXCHANGE = f"{API}/app/installations/{INSTALLATION}/access_tokens"
NOW = 1_790_000_000.0


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_of(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class Clock:
    def __init__(self, now: float = NOW):
        self.now = now

    def __call__(self) -> float:
        return self.now


def expires_in(seconds: float, *, now: float = NOW) -> str:
    return datetime.fromtimestamp(now + seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_answer(token: str, *, lifetime: float = 3600, now: float = NOW) -> httpx.Response:
    """The documented 201 answer of POST /app/installations/{id}/access_tokens."""
    return httpx.Response(
        201,
        json={
            "token": token,
            "expires_at": expires_in(lifetime, now=now),
            "permissions": {"actions": "write", "contents": "read", "metadata": "read"},
            "repository_selection": "selected",
        },
    )


def app_tokens(key, clock: Clock) -> AppInstallationTokens:
    http = httpx.Client(base_url=API)
    api = resilient_client(http, name="github", error_cls=GitHubError, sleep=lambda s: None)
    return AppInstallationTokens(
        api, app_id=APP_ID, private_key=SecretStr(pem_of(key)), clock=clock
    )


# --- the JWT ---------------------------------------------------------------------------------
def test_jwt_is_rs256_signed_by_the_app_key_issued_60s_back_and_expiring_within_10_minutes(key):
    now = time.time()
    token = app_jwt(APP_ID, key, now=now)

    claims = jwt.decode(token, key.public_key(), algorithms=["RS256"], issuer=str(APP_ID))
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert claims["iat"] == int(now) - 60
    assert 0 < claims["exp"] - now <= 600
    assert claims["exp"] - claims["iat"] <= 660


def test_jwt_does_not_verify_with_another_key(key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = app_jwt(APP_ID, key, now=time.time())
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other.public_key(), algorithms=["RS256"])


def test_exchange_is_authorized_with_a_jwt_for_the_app(key):
    clock = Clock(time.time())
    tokens = app_tokens(key, clock)
    with respx.mock:
        route = respx.post(EXCHANGE).mock(return_value=token_answer("ghs_one", now=clock.now))
        tokens.token(INSTALLATION)
    scheme, _, sent = route.calls.last.request.headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    assert jwt.decode(sent, key.public_key(), algorithms=["RS256"])["iss"] == str(APP_ID)


# --- the private key -------------------------------------------------------------------------
def test_key_with_newlines_written_as_backslash_n_is_accepted(key):
    one_line = pem_of(key).replace("\n", "\\n")
    loaded = load_private_key(SecretStr(one_line))
    assert loaded.public_key().public_numbers() == key.public_key().public_numbers()


def test_text_that_is_not_a_pem_key_is_a_configuration_error_that_does_not_echo_it():
    with pytest.raises(ConfigurationError) as caught:
        load_private_key(SecretStr("-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LXZhbHVl\n-----END"))
    assert "c2VjcmV0LXZhbHVl" not in str(caught.value)
    assert caught.value.__suppress_context__  # the parser's error (and its text) is dropped


def test_a_key_that_is_not_rsa_is_refused():
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ConfigurationError, match="RSA"):
        load_private_key(SecretStr(pem_of(ec_key)))


# --- the cache -------------------------------------------------------------------------------
@respx.mock
def test_installation_token_is_reused_until_shortly_before_it_expires(key):
    clock = Clock()
    tokens = app_tokens(key, clock)
    route = respx.post(EXCHANGE).mock(
        side_effect=[token_answer("ghs_first"), token_answer("ghs_second", now=NOW + 3400)]
    )

    assert tokens.token(INSTALLATION) == "ghs_first"
    clock.now = NOW + 3600 - 301  # just outside the 5-minute margin before expires_at
    assert tokens.token(INSTALLATION) == "ghs_first"
    assert route.call_count == 1

    clock.now = NOW + 3600 - 299  # inside the margin: replaced before it lapses
    assert tokens.token(INSTALLATION) == "ghs_second"
    assert route.call_count == 2


@respx.mock
def test_each_installation_has_its_own_token(key):
    tokens = app_tokens(key, Clock())
    respx.post(EXCHANGE).mock(return_value=token_answer("ghs_for_one"))
    other = respx.post(f"{API}/app/installations/2/access_tokens").mock(
        return_value=token_answer("ghs_for_two")
    )
    assert tokens.token(1) == "ghs_for_one"
    assert tokens.token(2) == "ghs_for_two"
    assert tokens.token(1) == "ghs_for_one"
    assert other.call_count == 1


@respx.mock
def test_concurrent_first_calls_for_one_installation_exchange_once(key):
    tokens = app_tokens(key, Clock())
    entered = threading.Barrier(8)

    def slow_exchange(request):
        time.sleep(0.05)  # long enough for every thread to reach the cache
        return token_answer("ghs_shared")

    route = respx.post(EXCHANGE).mock(side_effect=slow_exchange)
    seen: list[str] = []

    def call() -> None:
        entered.wait()
        seen.append(tokens.token(INSTALLATION))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["ghs_shared"] * 8
    assert route.call_count == 1


@respx.mock
def test_refresh_replaces_a_rejected_token_once_for_all_callers(key):
    tokens = app_tokens(key, Clock())
    route = respx.post(EXCHANGE).mock(
        side_effect=[token_answer("ghs_old"), token_answer("ghs_new")]
    )
    old = tokens.token(INSTALLATION)

    assert tokens.refresh(INSTALLATION, old) == "ghs_new"
    # A second call that was refused with the same old token takes the new one.
    assert tokens.refresh(INSTALLATION, old) == "ghs_new"
    assert tokens.token(INSTALLATION) == "ghs_new"
    assert route.call_count == 2


@respx.mock
def test_installation_of_a_repository_is_looked_up_once_when_the_delivery_names_none(key):
    tokens = app_tokens(key, Clock())
    lookup = respx.get(f"{API}/repos/octo-org/octo-repo/installation").respond(
        200, json={"id": INSTALLATION, "app_id": APP_ID, "target_type": "Organization"}
    )
    respx.post(EXCHANGE).mock(return_value=token_answer("ghs_looked_up"))

    assert tokens.token(None, repo="octo-org/octo-repo") == "ghs_looked_up"
    assert tokens.token(None, repo="octo-org/octo-repo") == "ghs_looked_up"
    assert lookup.call_count == 1


def test_a_call_without_installation_or_repository_is_refused(key):
    with pytest.raises(GitHubError, match="needs an installation"):
        app_tokens(key, Clock()).token(None)


@respx.mock
def test_a_refused_jwt_names_the_settings_to_check(key):
    tokens = app_tokens(key, Clock())
    respx.post(EXCHANGE).respond(401, json={"message": "A JSON web token could not be decoded"})
    with pytest.raises(GitHubError, match="GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY") as caught:
        tokens.token(INSTALLATION)
    assert caught.value.upstream_status == 401


@respx.mock
def test_installations_lists_those_not_suspended(key):
    tokens = app_tokens(key, Clock())
    respx.get(f"{API}/app/installations").respond(
        200,
        json=[
            {"id": 1, "account": {"login": "octo-org"}, "suspended_at": None},
            {"id": 2, "account": {"login": "old-org"}, "suspended_at": "2026-01-01T00:00:00Z"},
        ],
    )
    assert tokens.installations() == [1]


def test_personal_token_is_the_same_for_every_installation_and_never_refreshed():
    personal = PersonalToken(SecretStr("ghp_" + "p" * 36))
    assert personal.token(None) == personal.token(7, repo="o/r") == "ghp_" + "p" * 36
    assert personal.refresh(7, "ghp_" + "p" * 36) is None
    assert personal.installations() is None


# --- the client ------------------------------------------------------------------------------
@pytest.fixture
def app_client(key):
    settings = make_settings(github_app_id=APP_ID, github_app_private_key=pem_of(key))
    client = build_github_client(settings.github, sleep=lambda s: None)
    yield client
    client.close()


@respx.mock
def test_client_calls_carry_the_installation_token(app_client):
    respx.post(EXCHANGE).mock(return_value=token_answer("ghs_install", now=time.time()))
    run = respx.get(f"{API}/repos/o/r/actions/runs/5").respond(200, json={"id": 5})

    app_client.for_installation(INSTALLATION).get_run("o/r", 5)

    assert run.calls.last.request.headers["authorization"] == "Bearer ghs_install"


@respx.mock
def test_client_retries_once_with_a_new_token_after_a_401(app_client):
    exchange = respx.post(EXCHANGE).mock(
        side_effect=[
            token_answer("ghs_stale", now=time.time()),
            token_answer("ghs_fresh", now=time.time()),
        ]
    )
    run = respx.get(f"{API}/repos/o/r/actions/runs/5").mock(
        side_effect=[
            httpx.Response(401, json={"message": "Bad credentials"}),
            httpx.Response(200, json={"id": 5}),
        ]
    )

    assert app_client.for_installation(INSTALLATION).get_run("o/r", 5) == {"id": 5}

    assert exchange.call_count == 2
    sent = [c.request.headers["authorization"] for c in run.calls]
    assert sent == ["Bearer ghs_stale", "Bearer ghs_fresh"]


@respx.mock
def test_client_gives_up_when_the_new_token_is_refused_too(app_client):
    exchange = respx.post(EXCHANGE).mock(
        side_effect=[
            token_answer("ghs_stale", now=time.time()),
            token_answer("ghs_fresh", now=time.time()),
        ]
    )
    run = respx.get(f"{API}/repos/o/r/actions/runs/5").respond(401, json={"message": "Bad"})

    with pytest.raises(GitHubError) as caught:
        app_client.for_installation(INSTALLATION).get_run("o/r", 5)

    assert caught.value.upstream_status == 401
    assert run.call_count == 2 and exchange.call_count == 2


@respx.mock
def test_personal_token_401_is_not_retried():
    client = build_github_client(
        make_settings(github_token="ghp_" + "x" * 36).github, sleep=lambda s: None
    )
    run = respx.get(f"{API}/repos/o/r/actions/runs/5").respond(401, json={"message": "Bad"})
    with pytest.raises(GitHubError):
        client.get_run("o/r", 5)
    assert run.call_count == 1
    client.close()


@respx.mock
def test_installation_repositories_are_listed_with_the_installation_token(app_client):
    respx.post(EXCHANGE).mock(return_value=token_answer("ghs_install", now=time.time()))
    route = respx.get(f"{API}/installation/repositories").respond(
        200,
        json={
            "total_count": 2,
            "repository_selection": "selected",
            "repositories": [{"full_name": "octo-org/a"}, {"full_name": "octo-org/b"}],
        },
    )
    assert app_client.for_installation(INSTALLATION).list_installation_repositories() == [
        "octo-org/a",
        "octo-org/b",
    ]
    assert route.calls.last.request.headers["authorization"] == "Bearer ghs_install"
