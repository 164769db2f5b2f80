"""API4 unrestricted resource consumption: rate limits per scope, exact under
parallel bursts and across gunicorn workers, page size cap, body size limit."""

import json
import re
import threading
import uuid
from collections import Counter
from contextlib import nullcontext

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache as default_cache
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client
from rest_framework import status
from rest_framework.test import APIClient

from movie_api import throttling
from tests.factories import MovieFactory, UserFactory
from tests.interpreter import clean_env, json_from
from tests.live import fire, live_gunicorn

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"
REGISTER = "/api/auth/register/"
ME = "/api/auth/me/"
MOVIES = "/api/movies/"
PASSWORD = "Str0ng-pass!"
MIB = 1024 * 1024


@pytest.fixture
def rates(settings, throttle_cache):
    """Switch chosen throttles on (the suite's conftest turns them all off)."""

    def set_rates(**scopes: str) -> None:
        settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, **scopes}

    return set_rates


def assert_throttled(error_of, response, *, period_seconds: int) -> None:
    error_of(response, status.HTTP_429_TOO_MANY_REQUESTS, "throttled")
    assert 0 < int(response["Retry-After"]) <= period_seconds


def login(username: str, *, ip: str = "127.0.0.1", password: str = PASSWORD, **extra):
    return APIClient().post(
        TOKEN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def register(username: str, *, ip: str = "127.0.0.1"):
    body = {"username": username, "email": f"{username}@example.com"}
    return APIClient().post(REGISTER, {**body, "password": PASSWORD}, REMOTE_ADDR=ip)


# --- each scope, in process --------------------------------------------------------


def test_anonymous_callers_are_limited_per_address(rates, error_of):
    rates(anon="3/min")
    client = APIClient()

    passed = [client.get(MOVIES).status_code for _ in range(3)]
    blocked = client.get(MOVIES)

    assert passed == [status.HTTP_200_OK] * 3
    assert_throttled(error_of, blocked, period_seconds=60)
    assert client.get(MOVIES, REMOTE_ADDR="10.0.0.2").status_code == status.HTTP_200_OK


def test_authenticated_callers_are_limited_per_user(rates, error_of, client_for):
    rates(user="3/min", anon="1/min")
    alice, bob = client_for(UserFactory()), client_for(UserFactory())

    passed = [alice.get(ME).status_code for _ in range(3)]
    blocked = alice.get(ME)

    assert passed == [status.HTTP_200_OK] * 3
    assert_throttled(error_of, blocked, period_seconds=60)
    assert bob.get(ME).status_code == status.HTTP_200_OK


def test_login_is_limited_per_username_and_address(rates, error_of):
    rates(login="3/min")
    alice = UserFactory()
    UserFactory(username="bob")

    wrong = [login(alice.username, password="guess").status_code for _ in range(3)]
    blocked = login(alice.username)  # even the right password, once over the limit

    assert wrong == [status.HTTP_401_UNAUTHORIZED] * 3
    assert_throttled(error_of, blocked, period_seconds=60)
    assert_throttled(error_of, login(alice.username.upper()), period_seconds=60)
    assert login("bob").status_code == status.HTTP_200_OK
    assert login(alice.username, ip="10.0.0.2").status_code == status.HTTP_200_OK


SPELLINGS = [
    " customer",
    "customer\t",
    "\ncustomer",
    "customer ",
    "\u00a0customer",  # no-break space
    "\u3000customer",  # ideographic space
    "CUSTOMER",
    "Customer",
    "\uff43ustomer",  # fullwidth c
    "  CuStOmEr\r\n",
    " " * 200 + "customer",  # past the 150 characters the key once kept
]


def test_login_limit_counts_every_spelling_of_one_account(rates, error_of):
    """Padding or recasing the name reaches the same account, so it is the same
    bucket: once over the limit, no spelling gets another guess."""
    rates(login="3/min")
    UserFactory(username="customer")

    wrong = [login("customer", password="guess").status_code for _ in range(3)]

    assert wrong == [status.HTTP_401_UNAUTHORIZED] * 3
    for spelling in SPELLINGS:
        assert_throttled(error_of, login(spelling, password="guess"), period_seconds=60)
    assert_throttled(error_of, login("    customer"), period_seconds=60)


def test_every_spelling_fills_the_one_bucket(rates, error_of):
    rates(login="3/min")
    UserFactory(username="customer")

    first = [login(s, password="guess").status_code for s in SPELLINGS[:3]]

    assert first == [status.HTTP_401_UNAUTHORIZED] * 3
    assert_throttled(error_of, login("customer"), period_seconds=60)


@pytest.mark.filterwarnings("error::django.core.cache.CacheKeyWarning")
def test_login_keys_are_safe_whatever_the_username(rates):
    """Spaces, control characters and length never reach the cache key."""
    rates(login="1/min")
    username = "mal lory\t\u2603" + "x" * 10_000

    assert login(username).status_code == status.HTTP_401_UNAUTHORIZED
    assert login(username).status_code == status.HTTP_429_TOO_MANY_REQUESTS


def test_registration_is_limited_per_address(rates, error_of):
    rates(register="2/hour")

    created = [register(f"newcomer{i}").status_code for i in range(2)]
    blocked = register("newcomer2")

    assert created == [status.HTTP_201_CREATED] * 2
    assert_throttled(error_of, blocked, period_seconds=3600)
    assert register("newcomer3", ip="10.0.0.2").status_code == status.HTTP_201_CREATED


def test_a_rate_of_none_switches_a_throttle_off(rates):
    rates(anon=None)

    assert {APIClient().get(MOVIES).status_code for _ in range(30)} == {
        status.HTTP_200_OK
    }


def test_forged_x_forwarded_for_does_not_dodge_the_limit(rates, error_of):
    """NUM_PROXIES defaults to 0: the address is REMOTE_ADDR, whatever the client
    claims (DRF's own default would key on the whole header)."""
    rates(anon="3/min")

    responses = [
        APIClient().get(MOVIES, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}") for i in range(4)
    ]

    assert [r.status_code for r in responses[:3]] == [status.HTTP_200_OK] * 3
    assert_throttled(error_of, responses[3], period_seconds=60)


def test_behind_one_proxy_the_address_it_appended_is_the_client(rates, settings):
    rates(anon="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    def get(xff: str) -> int:
        return APIClient().get(MOVIES, HTTP_X_FORWARDED_FOR=xff).status_code

    # what the client wrote comes first; the proxy appends the real address
    assert get("1.1.1.1, 198.51.100.7") == status.HTTP_200_OK
    assert get("2.2.2.2, 198.51.100.7") == status.HTTP_200_OK
    assert get("3.3.3.3, 198.51.100.7") == status.HTTP_429_TOO_MANY_REQUESTS
    assert get("198.51.100.8") == status.HTTP_200_OK


# --- parallel bursts, in process -----------------------------------------------------


def burst(count: int, call) -> Counter:
    """``call()`` from ``count`` threads released together; each has its own
    database connection."""
    barrier = threading.Barrier(count)
    codes: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            codes[index] = call().status_code
        except BaseException as exc:  # a crash is a result to assert on
            codes[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return Counter(codes)


@pytest.fixture
def redis_cache(settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    redis_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
        "KEY_PREFIX": f"security-test-{uuid.uuid4().hex}",
    }
    settings.CACHES = {"default": redis_cache, "throttle": redis_cache}


def test_anonymous_callers_are_not_counted_by_the_user_throttle(rates, settings):
    """The anon throttle counts them per address; the user throttle must not count
    them again (that doubled the cache work on every anonymous read)."""
    rates(user="1/min")  # anon stays off
    client = APIClient()

    codes = [client.get(MOVIES).status_code for _ in range(3)]

    assert codes == [status.HTTP_200_OK] * 3


@pytest.mark.parametrize("scope", ["anon", "user"])
def test_with_redis_a_spent_limit_answers_429_with_retry_after(
    request, rates, error_of, client_for, scope
):
    request.getfixturevalue("redis_cache")
    rates(**{scope: "2/min"})
    client = client_for(UserFactory()) if scope == "user" else APIClient()

    passed = [client.get(MOVIES).status_code for _ in range(2)]
    blocked = client.get(MOVIES)

    assert passed == [status.HTTP_200_OK] * 2
    assert_throttled(error_of, blocked, period_seconds=60)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_backend", ["database", "redis"])
@pytest.mark.parametrize("trial", range(3))
def test_a_parallel_burst_passes_exactly_the_limit(
    request, rates, cache_backend, trial
):
    if cache_backend == "redis":
        request.getfixturevalue("redis_cache")
    rates(login="10/min")
    UserFactory(username="alice")

    codes = burst(30, lambda: login("alice"))

    assert codes == {status.HTTP_200_OK: 10, status.HTTP_429_TOO_MANY_REQUESTS: 20}


@pytest.fixture
def small_throttle_cache(settings):
    """The counters' table with room for 50 rows, so a few hundred clients go far
    past it and culling runs on every write."""
    throttle = settings.CACHES["throttle"]
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            **throttle,
            "OPTIONS": {**throttle.get("OPTIONS", {}), "MAX_ENTRIES": 50},
        },
    }


@pytest.mark.parametrize("cache_backend", ["database", "redis"])
def test_a_spent_limit_survives_many_other_clients(
    request, rates, small_throttle_cache, cache_backend
):
    if cache_backend == "redis":
        request.getfixturevalue("redis_cache")
    rates(anon="3/hour")  # a window no slow machine outlasts (60 s did, under load)
    client = APIClient()
    # 1.0.0.1 sorts before 192.0.x.x under any collation: the first culled
    spent = [client.get(MOVIES, REMOTE_ADDR="1.0.0.1").status_code for _ in range(4)]
    assert spent[-1] == status.HTTP_429_TOO_MANY_REQUESTS

    for i in range(400):
        client.get(MOVIES, REMOTE_ADDR=f"192.0.{i // 250}.{i % 250}")

    assert (
        client.get(MOVIES, REMOTE_ADDR="1.0.0.1").status_code
        == status.HTTP_429_TOO_MANY_REQUESTS
    )


def cache_rows(*tables: str) -> int:
    """Rows in these tables; by default in every database cache table, wherever
    the counters are kept."""
    tables = tables or tuple(
        {
            alias["LOCATION"]
            for alias in django_settings.CACHES.values()
            if alias["BACKEND"].endswith("DatabaseCache")
        }
    )
    total = 0
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            total += cursor.fetchone()[0]
    return total


def stored_counters() -> int:
    counters = caches["throttle"]
    if isinstance(counters, RedisCache):
        client = counters._cache.get_client(write=False)
        return len(client.keys(counters.make_key("*")))
    return cache_rows()


@pytest.mark.parametrize("cache_backend", ["database", "redis"])
def test_a_refused_request_creates_no_counter(request, rates, cache_backend):
    """Each new username is a new login counter: a client past its address's limit
    must not go on adding one per request."""
    if cache_backend == "redis":
        request.getfixturevalue("redis_cache")
    rates(anon="3/min", login="10/min")
    for i in range(3):
        assert login(f"guess{i}", ip="192.0.2.9").status_code == (
            status.HTTP_401_UNAUTHORIZED
        )
    before = stored_counters()

    refused = [login(f"guess{i}", ip="192.0.2.9").status_code for i in range(3, 40)]

    assert set(refused) == {status.HTTP_429_TOO_MANY_REQUESTS}
    assert stored_counters() == before


def test_unrelated_keys_cannot_evict_live_counters(rates, small_throttle_cache):
    """The report: 420 token requests with made-up usernames, plus whatever else the
    default cache holds, made a spent login limit and a spent address fresh again."""
    rates(anon="5/min", login="3/min")
    alice = UserFactory(username="alice")
    for _ in range(3):
        login(alice.username, password="guess", ip="1.0.0.1")
    assert login(alice.username, ip="1.0.0.1").status_code == (
        status.HTTP_429_TOO_MANY_REQUESTS
    )
    spent_anon = [APIClient().get(MOVIES, REMOTE_ADDR="1.0.0.2") for _ in range(6)]
    assert spent_anon[-1].status_code == status.HTTP_429_TOO_MANY_REQUESTS

    for i in range(420):
        login(uuid.uuid4().hex, ip=f"192.0.{i // 200}.{i % 200}")
    for i in range(400):
        default_cache.set(f"unrelated-{i}", i, 60)

    assert login(alice.username, ip="1.0.0.1").status_code == (
        status.HTTP_429_TOO_MANY_REQUESTS
    )
    assert APIClient().get(MOVIES, REMOTE_ADDR="1.0.0.2").status_code == (
        status.HTTP_429_TOO_MANY_REQUESTS
    )


def test_the_throttle_cache_culls_only_expired_counters(throttle_cache, settings):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {**settings.CACHES["throttle"], "OPTIONS": {"MAX_ENTRIES": 10}},
    }
    counters = caches["throttle"]
    for i in range(5):
        counters.set(f"expired-{i}", [i], 0)  # stored already expired
    for i in range(30):
        counters.set(f"live-{i}", [i], 60)

    # three times MAX_ENTRIES: the expired ones went, every live one stayed
    assert cache_rows(counters._table) == 30
    assert [counters.get(f"live-{i}") for i in range(30)] == [[i] for i in range(30)]


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_a_parallel_burst_overshoots(rates, monkeypatch):
    """Negative control: DRF's unlocked read-decide-write lets extra requests
    through under the same burst, so the test above can fail."""
    monkeypatch.setattr(throttling, "_serialised", lambda key: nullcontext())
    rates(anon="10/min")
    passed = []
    for trial in range(10):
        ip = f"10.1.0.{trial}"
        codes = burst(30, lambda ip=ip: APIClient().get(MOVIES, REMOTE_ADDR=ip))
        passed.append(codes[status.HTTP_200_OK])
        if max(passed) > 10:
            break

    assert max(passed) > 10, passed


# --- the admin's login form ----------------------------------------------------------

ADMIN_LOGIN = "/admin/login/"


def admin_login(username: str, *, password: str = PASSWORD, ip: str = "127.0.0.1"):
    client = Client()
    response = client.post(
        ADMIN_LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )
    response.logged_in = "_auth_user_id" in client.session
    return response


@pytest.mark.parametrize("cache_backend", ["database", "redis"])
def test_admin_login_is_limited_per_account_and_address(request, rates, cache_backend):
    """The report: 30 wrong passwords for a staff account in 7 s, then the right
    one logged in. The admin form shares the API login's budget per (account,
    address)."""
    if cache_backend == "redis":
        request.getfixturevalue("redis_cache")
    rates(login="10/min")
    staff = UserFactory(is_staff=True, username="boss")
    UserFactory(is_staff=True, username="deputy")

    wrong = [admin_login("boss", password="guess").status_code for _ in range(30)]
    right = admin_login("boss")

    assert Counter(wrong) == {
        status.HTTP_200_OK: 10,  # the form again, with its error
        status.HTTP_429_TOO_MANY_REQUESTS: 20,
    }
    assert right.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert not right.logged_in
    assert 0 < int(right["Retry-After"]) <= 60
    assert b"Traceback" not in right.content
    # the same account from elsewhere, and another account from here, still log in
    elsewhere = admin_login(staff.username, ip="10.0.0.2")
    assert (elsewhere.status_code, elsewhere.logged_in) == (status.HTTP_302_FOUND, True)
    deputy = admin_login("deputy")
    assert (deputy.status_code, deputy.logged_in) == (status.HTTP_302_FOUND, True)


def test_admin_and_api_logins_share_one_budget(rates):
    """Alternating the two doors gives no extra guesses."""
    rates(login="4/min")
    UserFactory(is_staff=True, username="boss")

    for _ in range(2):
        admin_login("boss", password="guess")
        login("boss", password="guess")

    assert admin_login("boss").status_code == status.HTTP_429_TOO_MANY_REQUESTS
    assert login("boss").status_code == status.HTTP_429_TOO_MANY_REQUESTS


def test_admin_login_is_limited_per_address(rates):
    """One address trying many accounts meets the anonymous limit, as on the API."""
    rates(anon="5/min", login="10/min")

    codes = [admin_login(f"user{i}", password="guess").status_code for i in range(6)]

    assert codes == [status.HTTP_200_OK] * 5 + [status.HTTP_429_TOO_MANY_REQUESTS]


def test_showing_the_admin_login_form_is_not_counted(rates):
    rates(anon="3/min", login="3/min")
    UserFactory(is_staff=True, username="boss")

    shown = [Client().get(ADMIN_LOGIN).status_code for _ in range(10)]

    assert shown == [status.HTTP_200_OK] * 10
    assert admin_login("boss").logged_in


# --- across gunicorn workers ----------------------------------------------------------

SEED = r"""
from accounts.models import User
for name in ("alice", "bob"):
    User.objects.create_user(username=name, password="Str0ng-pass!")
"""


@pytest.fixture(scope="module")
def live():
    """Two gunicorn workers (debug off) sharing the database cache; each test uses
    its own client address (NUM_PROXIES=1 trusts the last X-Forwarded-For entry)."""
    env = {
        "THROTTLE_LOGIN_RATE": "10/min",
        "THROTTLE_ANON_RATE": "20/min",
        "NUM_PROXIES": "1",
    }
    with live_gunicorn(workers=2, extra_env=env, seed=SEED) as (server, _):
        yield server


def live_login(live, username: str, ip: str):
    return live.request(
        "POST",
        TOKEN,
        body={"username": username, "password": PASSWORD},
        headers={"X-Forwarded-For": ip},
    )


def workers_that_served(live, method: str, path: str) -> set[str]:
    pattern = rf"^pid=<?(\d+)>? \d+ {method} {re.escape(path)}$"
    return set(re.findall(pattern, live.log_path.read_text(), re.MULTILINE))


def test_login_limit_is_shared_by_all_workers(live):
    responses = fire(lambda _i: live_login(live, "alice", "198.51.100.1"), 30)

    codes = Counter(r.status for r in responses)
    assert codes == {status.HTTP_200_OK: 10, status.HTTP_429_TOO_MANY_REQUESTS: 20}
    for response in responses:
        if response.status == status.HTTP_429_TOO_MANY_REQUESTS:
            assert response.body["error"]["code"] == "throttled"
            assert 0 < int(response.headers["Retry-After"]) <= 60
    assert len(workers_that_served(live, "POST", TOKEN)) == 2


def test_login_limit_is_per_username_and_address_across_workers(live):
    fire(lambda _i: live_login(live, "alice", "198.51.100.2"), 12)  # alice spent

    others = fire(
        lambda i: live_login(live, "bob" if i % 2 else "alice", "198.51.100.3"), 10
    )

    assert Counter(r.status for r in others) == {status.HTTP_200_OK: 10}
    assert live_login(live, "bob", "198.51.100.2").status == status.HTTP_200_OK
    assert (
        live_login(live, "alice", "198.51.100.2").status
        == status.HTTP_429_TOO_MANY_REQUESTS
    )


def test_anonymous_limit_is_shared_by_all_workers(live):
    responses = fire(
        lambda _i: live.request(
            "GET", MOVIES, headers={"X-Forwarded-For": "198.51.100.4"}
        ),
        40,
    )

    assert Counter(r.status for r in responses) == {
        status.HTTP_200_OK: 20,
        status.HTTP_429_TOO_MANY_REQUESTS: 20,
    }
    assert len(workers_that_served(live, "GET", MOVIES)) == 2


def test_oversized_body_is_413_json_under_gunicorn(live):
    response = live.request(
        "POST",
        REGISTER,
        body={"username": "x" * (2 * MIB), "email": "big@example.com"},
        headers={"X-Forwarded-For": "198.51.100.5"},
    )

    assert response.status == status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    assert response.body["error"]["code"] == "request_too_large"


# --- sizes -------------------------------------------------------------------------


def test_page_size_is_capped_at_100(api_client):
    MovieFactory.create_batch(101)

    response = api_client.get(MOVIES, {"page_size": 1_000_000})

    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert len(body["results"]) == 100
    assert body["count"] == 101
    assert body["next"] is not None


@pytest.mark.parametrize("path", [TOKEN, REGISTER, "/api/reservations/"])
def test_body_over_the_upload_limit_is_413_json(error_of, client_for, path):
    client = client_for(UserFactory())
    body = json.dumps({"username": "x" * MIB, "password": "y"})

    response = client.post(path, body, content_type="application/json")

    error_of(response, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "request_too_large")


def test_body_under_the_upload_limit_is_read(error_of):
    """The control: the same request, small enough, reaches the serializer."""
    body = json.dumps({"username": "x" * (MIB - 100), "password": "y"})

    response = APIClient().post(TOKEN, body, content_type="application/json")

    error_of(response, status.HTTP_401_UNAUTHORIZED, "no_active_account")


def test_upload_limit_is_one_mebibyte(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == MIB


# --- bodies that do not parse --------------------------------------------------------

NESTED = "[" * 3000 + "]" * 3000  # deeper than the interpreter's recursion limit


@pytest.mark.parametrize(
    ("path", "role"),
    [
        (TOKEN, None),
        (REGISTER, None),
        ("/api/auth/token/refresh/", None),
        ("/api/reservations/", "customer"),
        (MOVIES, "manager"),
    ],
)
def test_deeply_nested_json_is_a_parse_error(error_of, client_for, path, role):
    """The report: 500 and a RecursionError traceback, from the JSON parser."""
    client = APIClient()
    if role:
        client = client_for(UserFactory(roles=["manager"] if role == "manager" else []))

    response = client.post(path, NESTED, content_type="application/json")

    error_of(response, status.HTTP_400_BAD_REQUEST, "parse_error")


def test_unparseable_login_bodies_are_counted_by_the_login_throttle(rates, error_of):
    rates(login="3/min")

    responses = [
        APIClient().post(TOKEN, body, content_type="application/json")
        for body in [NESTED, "{not json", NESTED, NESTED]
    ]

    for response in responses[:3]:
        error_of(response, status.HTTP_400_BAD_REQUEST, "parse_error")
    assert_throttled(error_of, responses[3], period_seconds=60)


def test_unparseable_bodies_are_counted_by_the_address_limit(rates, error_of):
    rates(anon="2/min")

    responses = [
        APIClient().post(REGISTER, NESTED, content_type="application/json")
        for _ in range(3)
    ]

    assert [r.status_code for r in responses] == [status.HTTP_400_BAD_REQUEST] * 2 + [
        status.HTTP_429_TOO_MANY_REQUESTS
    ]


def test_a_deeply_nested_body_logs_one_line_without_traceback(caplog):
    with caplog.at_level("INFO"):
        APIClient().post(TOKEN, NESTED, content_type="application/json")

    assert [(r.name, r.levelname, r.exc_info) for r in caplog.records] == [
        ("django.request", "WARNING", None)
    ]
    assert caplog.records[0].getMessage() == f"Bad Request: {TOKEN}"


# --- configuration from the environment --------------------------------------------

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "rates": settings.THROTTLE_RATES,
    "num_proxies": settings.REST_FRAMEWORK["NUM_PROXIES"],
    "upload": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    "throttles": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"],
}))
"""


def settings_with(**env) -> dict:
    scrubbed = ("THROTTLE_", "NUM_PROXIES", "DATA_UPLOAD")
    return json_from(
        PROBE, clean_env(*scrubbed, DJANGO_SECRET_KEY="x" * 60, DJANGO_DEBUG="0", **env)
    )


def test_throttles_have_defaults_when_the_environment_is_silent():
    assert settings_with() == {
        "rates": {
            "anon": "300/min",
            "user": "600/min",
            "login": "10/min",
            "register": "20/hour",
            "hold": "30/min",
        },
        "num_proxies": 0,
        "upload": MIB,
        "throttles": [
            "movie_api.throttling.AnonThrottle",
            "movie_api.throttling.UserThrottle",
        ],
    }


def test_environment_overrides_reach_the_settings():
    probed = settings_with(
        THROTTLE_ANON_RATE="7/min",
        THROTTLE_USER_RATE="off",
        THROTTLE_LOGIN_RATE="5/hour",
        THROTTLE_REGISTER_RATE="none",
        THROTTLE_HOLD_RATE="2/s",
        NUM_PROXIES="2",
        DATA_UPLOAD_MAX_MEMORY_SIZE="2048",
    )

    assert probed["rates"] == {
        "anon": "7/min",
        "user": None,
        "login": "5/hour",
        "register": None,
        "hold": "2/s",
    }
    assert probed["num_proxies"] == 2
    assert probed["upload"] == 2048


# --- leases: a high limit without a cache write per request ---------------------------


def anon_history(ip: str) -> list:
    return caches["throttle"].get(f"throttle_anon_{ip}", [])


def test_a_high_limit_takes_a_lease_instead_of_a_write_per_request(
    rates, django_assert_num_queries
):
    rates(anon="1000/min")  # leases of 10
    MovieFactory()
    client = APIClient()
    client.get(MOVIES, REMOTE_ADDR="1.0.0.9")  # takes the lease, counts 10
    assert len(anon_history("1.0.0.9")) == 10

    with django_assert_num_queries(2):  # the page count and the rows: no throttle
        assert client.get(MOVIES, REMOTE_ADDR="1.0.0.9").status_code == 200
    for _ in range(8):
        client.get(MOVIES, REMOTE_ADDR="1.0.0.9")
    assert len(anon_history("1.0.0.9")) == 10
    client.get(MOVIES, REMOTE_ADDR="1.0.0.9")  # the 11th: the next lease
    assert len(anon_history("1.0.0.9")) == 20


def test_leases_never_admit_more_than_the_limit_across_workers(rates, error_of):
    """Each worker's unspent lease is lost to the others (simulated by forgetting
    the process's leases every few requests): the total stays within the limit, and
    only the forgotten leases are refused early."""
    rates(anon="200/min")  # leases of 2
    codes = []
    for i in range(260):
        if i % 3 == 0:
            throttling.leases.clear()  # the next request lands on "another worker"
        codes.append(APIClient().get(MOVIES, REMOTE_ADDR="1.0.0.10").status_code)

    admitted = codes.count(status.HTTP_200_OK)
    assert 200 * 2 // 3 <= admitted <= 200
    assert len(anon_history("1.0.0.10")) == 200
    assert codes[-1] == status.HTTP_429_TOO_MANY_REQUESTS


def test_with_redis_a_high_limit_takes_leases_and_holds_exactly(request, rates):
    request.getfixturevalue("redis_cache")
    rates(anon="200/min")  # leases of 2
    codes = []
    for i in range(260):
        if i % 3 == 0:
            throttling.leases.clear()  # the next request lands on "another worker"
        codes.append(APIClient().get(MOVIES, REMOTE_ADDR="1.0.0.11").status_code)

    admitted = codes.count(status.HTTP_200_OK)
    assert 200 * 2 // 3 <= admitted <= 200
    assert codes[-1] == status.HTTP_429_TOO_MANY_REQUESTS
