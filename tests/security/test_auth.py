"""API2 broken authentication: every bad token is a 401 in the error envelope,
access tokens live five minutes, the JWT key is not the Django secret key, and a
refresh token is single-use even when replayed in parallel."""

import base64
import json
import threading
import time
from collections import Counter
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.db import connection
from rest_framework import status
from rest_framework.test import APIClient
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from tests.factories import UserFactory
from tests.interpreter import clean_env, json_from

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"
REFRESH = "/api/auth/token/refresh/"
LOGOUT = "/api/auth/logout/"
ME = "/api/auth/me/"
PASSWORD = "Str0ng-pass!"
REPLAYS = 20


def login(user) -> dict:
    response = APIClient().post(
        TOKEN, {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == status.HTTP_200_OK, response.content
    return response.json()


def get_me(token: str | None):
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(ME)


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def sign(payload: dict, *, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(
        payload, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def pair(user) -> dict:
    return login(user)


# --- access tokens -----------------------------------------------------------------


def test_a_fresh_access_token_is_accepted(pair, user):
    """The control for every refusal below: the same route, a good token."""
    response = get_me(pair["access"])

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["id"] == user.pk


@pytest.mark.parametrize("path", [ME, "/api/reservations/", LOGOUT])
def test_no_token_is_401(error_of, path):
    client = APIClient()
    response = client.post(path, {}) if path == LOGOUT else client.get(path)

    error_of(response, status.HTTP_401_UNAUTHORIZED, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer", "bad_authorization_header"),
        ("Bearer a b", "bad_authorization_header"),
        ("Token abc", "not_authenticated"),
        ("Basic dXNlcjpwYXNz", "not_authenticated"),
    ],
    ids=["no-value", "two-values", "other-scheme", "basic"],
)
def test_malformed_authorization_header_is_401(error_of, header, code):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    error_of(client.get(ME), status.HTTP_401_UNAUTHORIZED, code)


def test_tampered_signature_is_401(error_of, pair):
    head, body, signature = pair["access"].split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    error_of(
        get_me(f"{head}.{body}.{flipped}"),
        status.HTTP_401_UNAUTHORIZED,
        "token_not_valid",
    )


def test_tampered_payload_cannot_become_another_user(error_of, pair):
    victim = UserFactory()
    head, _, signature = pair["access"].split(".")
    forged = {**claims(pair["access"]), "user_id": str(victim.pk)}

    response = get_me(f"{head}.{b64url(json.dumps(forged).encode())}.{signature}")

    error_of(response, status.HTTP_401_UNAUTHORIZED, "token_not_valid")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
@pytest.mark.parametrize("keep_signature", [False, True])
def test_alg_none_token_is_401(error_of, pair, alg, keep_signature):
    _, body, signature = pair["access"].split(".")
    head = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    token = f"{head}.{body}.{signature if keep_signature else ''}"

    error_of(get_me(token), status.HTTP_401_UNAUTHORIZED, "token_not_valid")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_another_algorithm_with_the_right_key_is_401(error_of, pair, algorithm):
    """The algorithm is pinned to HS256: the token header cannot choose it."""
    token = sign(claims(pair["access"]), algorithm=algorithm)

    error_of(get_me(token), status.HTTP_401_UNAUTHORIZED, "token_not_valid")


def test_token_signed_with_another_key_is_401(error_of, pair):
    token = sign(claims(pair["access"]), key="an-attackers-guess-" + "k" * 40)

    error_of(get_me(token), status.HTTP_401_UNAUTHORIZED, "token_not_valid")


@pytest.mark.parametrize("claim", ["exp", "jti", "token_type", "user_id"])
def test_access_token_missing_a_required_claim_is_401(error_of, pair, claim):
    payload = claims(pair["access"])
    del payload[claim]

    error_of(get_me(sign(payload)), status.HTTP_401_UNAUTHORIZED, "token_not_valid")


def test_access_tokens_live_five_minutes(pair):
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == timedelta(minutes=5)
    issued = claims(pair["access"])
    assert issued["exp"] - issued["iat"] == 5 * 60


@pytest.mark.parametrize(
    ("age_seconds", "expected"),
    [
        (5 * 60 - 5, status.HTTP_200_OK),
        (5 * 60 + 1, status.HTTP_401_UNAUTHORIZED),
        (3600, status.HTTP_401_UNAUTHORIZED),
    ],
)
def test_access_token_expires_after_five_minutes(pair, age_seconds, expected):
    """Signed with the real key; only the clock makes the difference."""
    issued_at = int(time.time()) - age_seconds
    token = sign({**claims(pair["access"]), "iat": issued_at, "exp": issued_at + 300})

    response = get_me(token)

    assert response.status_code == expected, response.content
    if expected == status.HTTP_401_UNAUTHORIZED:
        assert response.json()["error"]["code"] == "token_not_valid"


def test_refresh_token_used_as_access_token_is_401(error_of, pair):
    error_of(get_me(pair["refresh"]), status.HTTP_401_UNAUTHORIZED, "token_not_valid")


def test_access_token_used_as_refresh_token_is_401(error_of, pair):
    response = APIClient().post(REFRESH, {"refresh": pair["access"]})

    error_of(response, status.HTTP_401_UNAUTHORIZED, "token_not_valid")


# --- refresh tokens -------------------------------------------------------------------


def test_rotated_refresh_token_is_401(error_of, pair):
    client = APIClient()
    rotated = client.post(REFRESH, {"refresh": pair["refresh"]})
    assert rotated.status_code == status.HTTP_200_OK

    replay = client.post(REFRESH, {"refresh": pair["refresh"]})

    error_of(replay, status.HTTP_401_UNAUTHORIZED, "token_not_valid")
    fresh = rotated.json()
    assert get_me(fresh["access"]).status_code == status.HTTP_200_OK
    assert (
        client.post(REFRESH, {"refresh": fresh["refresh"]}).status_code
        == status.HTTP_200_OK
    )


def test_refresh_token_blacklisted_by_logout_is_401(error_of, pair):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert (
        client.post(LOGOUT, {"refresh": pair["refresh"]}).status_code
        == status.HTTP_205_RESET_CONTENT
    )
    client.credentials()

    response = client.post(REFRESH, {"refresh": pair["refresh"]})

    error_of(response, status.HTTP_401_UNAUTHORIZED, "token_not_valid")


def test_expired_refresh_token_is_401(error_of, user):
    token = RefreshToken.for_user(user)
    token.set_exp(from_time=token.current_time - timedelta(days=2))

    response = APIClient().post(REFRESH, {"refresh": str(token)})

    error_of(response, status.HTTP_401_UNAUTHORIZED, "token_not_valid")


# --- the account behind the token ---------------------------------------------------


def test_deactivated_user_is_refused_with_access_and_refresh_tokens(
    error_of, pair, user
):
    user.is_active = False
    user.save(update_fields=["is_active"])

    error_of(get_me(pair["access"]), status.HTTP_401_UNAUTHORIZED, "user_inactive")
    error_of(
        APIClient().post(REFRESH, {"refresh": pair["refresh"]}),
        status.HTTP_401_UNAUTHORIZED,
        "no_active_account",
    )
    error_of(
        APIClient().post(TOKEN, {"username": user.username, "password": PASSWORD}),
        status.HTTP_401_UNAUTHORIZED,
        "no_active_account",
    )


def test_deleted_user_is_refused_with_access_and_refresh_tokens(error_of, pair, user):
    user.delete()

    error_of(get_me(pair["access"]), status.HTTP_401_UNAUTHORIZED, "user_not_found")
    error_of(
        APIClient().post(REFRESH, {"refresh": pair["refresh"]}),
        status.HTTP_401_UNAUTHORIZED,
        "no_active_account",
    )


# --- the signing key --------------------------------------------------------------

KEY_PROBE = """
import json, os, time, django, jwt
django.setup()
from django.conf import settings
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

now = int(time.time())
payload = {"token_type": "access", "iat": now, "exp": now + 60,
           "jti": "0" * 32, "user_id": "1"}
verdicts = {}
for name, key in [("secret_key", settings.SECRET_KEY),
                  ("jwt_signing_key", os.environ.get("JWT_SIGNING_KEY", ""))]:
    if not key:
        continue
    try:
        JWTAuthentication().get_validated_token(jwt.encode(payload, key, "HS256"))
        verdicts[name] = "accepted"
    except InvalidToken:
        verdicts[name] = "refused"
print(json.dumps(verdicts))
"""


def verdicts_with(**env) -> dict:
    return json_from(KEY_PROBE, clean_env("JWT_", "DJANGO_", DJANGO_DEBUG="0", **env))


def test_token_signed_with_the_secret_key_is_refused_when_jwt_key_differs():
    verdicts = verdicts_with(
        DJANGO_SECRET_KEY="s" * 25 + "-django-secret-" + "S" * 25,
        JWT_SIGNING_KEY="j" * 25 + "-jwt-signing-key-" + "J" * 25,
    )

    assert verdicts == {"secret_key": "refused", "jwt_signing_key": "accepted"}


def test_without_jwt_signing_key_the_secret_key_signs_tokens():
    """The fallback the deploy check (accounts.W001) warns about; also shows the
    probe above can tell an accepted token from a refused one."""
    verdicts = verdicts_with(DJANGO_SECRET_KEY="s" * 25 + "-django-secret-" + "S" * 25)

    assert verdicts == {"secret_key": "accepted"}


# --- single use under parallel replay -------------------------------------------------


def replay_in_parallel(token: str, count: int) -> list:
    """POST the same refresh token from ``count`` threads released together."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def replay(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = APIClient().post(REFRESH, {"refresh": token})
        except BaseException as exc:  # a crash is a result to assert on
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=replay, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a replay hung"
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(5))
def test_parallel_replays_of_one_refresh_token_mint_one_pair(error_of, trial):
    user = UserFactory()
    token = RefreshToken.for_user(user)

    results = replay_in_parallel(str(token), REPLAYS)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Counter(r.status_code for r in results) == {
        status.HTTP_200_OK: 1,
        status.HTTP_401_UNAUTHORIZED: REPLAYS - 1,
    }
    for response in results:
        if response.status_code == status.HTTP_401_UNAUTHORIZED:
            error_of(response, status.HTTP_401_UNAUTHORIZED, "token_not_valid")
    # the database agrees: the old token blacklisted once, one new refresh token
    assert BlacklistedToken.objects.filter(token__jti=token["jti"]).count() == 1
    assert OutstandingToken.objects.filter(user=user).count() == 2


@pytest.mark.django_db(transaction=True)
def test_stock_refresh_serializer_lets_parallel_replays_through(monkeypatch):
    """Negative control: simplejwt's own serializer (check, mint, then blacklist)
    under the same race lets more than one replay mint a pair, so the test above
    can tell a single-use refresh from one that is not."""
    monkeypatch.setattr(TokenRefreshView, "serializer_class", TokenRefreshSerializer)
    successes = []
    for _ in range(20):  # about half the SQLite trials let exactly one through
        results = replay_in_parallel(str(RefreshToken.for_user(UserFactory())), REPLAYS)
        successes.append(
            sum(getattr(r, "status_code", None) == status.HTTP_200_OK for r in results)
        )
        if max(successes) > 1:
            break

    assert max(successes) > 1, successes
