"""Rate limits, counted in the shared cache (Redis or the database table) so every
worker agrees (per-process memory let 28 of 60 through at 10/min with 4 workers,
shared/NOTES-security.md).

Rates live in ``settings.THROTTLE_RATES`` and are read at request time (DRF's own
classes freeze them at import), so tests and operators can change them. A rate of
``None`` switches that throttle off.

DRF reads a key's history, decides, then writes it back. Two workers doing that at
once both read the same history, so a parallel burst let 11 of 30 through at 10/min.
Here each key's read-decide-write runs in a critical section (``_serialised``), so
the limit holds exactly under any concurrency.

The counters live in the "throttle" cache alias, not the default one: in a shared
DatabaseCache table, 420 token requests with made-up usernames pushed it past
MAX_ENTRIES, and culling deleted a third of all keys, spent limits included. Without
Redis that alias is a ``CounterCache``, a table that only ever drops expired counters.
Once one throttle refuses a request, the ones after it do not count it, so a refused
request adds no key: list the per-address throttle before per-username ones.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router, transaction
from rest_framework import throttling
from rest_framework.exceptions import ParseError

LOCK_TIMEOUT_SECONDS = 5
# Without Redis, a worker takes a lease of 1/LEASE_DIVISOR of a limit from the shared
# counter at once (one locked cache write) and spends it locally, so a high limit
# (the anonymous one) costs a write per lease, not per request. Limits under
# 2 * LEASE_DIVISOR stay exact per request. See _Leases.
LEASE_DIVISOR = 100
CACHE_ALIAS = "throttle"
# Set on a request once a throttle has refused it (see _SettingsRateMixin).
_REFUSED = "_refused_by_throttle"


class CounterCache(DatabaseCache):
    """A database cache that never evicts a live entry. Past MAX_ENTRIES, Django's
    DatabaseCache deletes the expired rows and then a third of the rest, oldest key
    names first; for rate-limit counters that resets spent limits. This one deletes
    the expired rows only: the table holds at most the counters still in their
    window, which the limits themselves bound."""

    def _cull(self, db, cursor, now, num):
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        expires = connection.ops.quote_name("expires")
        cursor.execute(
            f"DELETE FROM {table} WHERE {expires} < %s",
            [connection.ops.adapt_datetimefield_value(now)],
        )


def _advisory_lock_id(key: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True
    )


@contextmanager
def _serialised(key: str) -> Iterator[None]:
    """Only one request at a time, across all workers, runs the body for ``key``."""
    cache = caches[CACHE_ALIAS]
    if isinstance(cache, DatabaseCache):
        alias = router.db_for_write(cache.cache_model_class)
        with transaction.atomic(using=alias):
            connection = connections[alias]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s)", [_advisory_lock_id(key)]
                    )
            # SQLite: settings open every transaction with BEGIN IMMEDIATE, which
            # takes the database's write lock, so this block runs alone already.
            yield
    elif isinstance(cache, RedisCache):
        client = cache._cache.get_client(key, write=True)
        with client.lock(
            cache.make_key(f"{key}:lock"),
            timeout=LOCK_TIMEOUT_SECONDS,
            sleep=0.005,
            blocking_timeout=LOCK_TIMEOUT_SECONDS,
        ):
            yield
    else:
        yield  # per-process memory: nothing shared to protect


class _Leases:
    """Per-process requests taken from the shared counters but not yet spent.

    A lease of ``n`` requests is recorded in the shared history at once (``n``
    timestamps), so all workers together never admit more than the limit. What a
    worker has leased but not spent when the window moves on is lost: at most
    ``workers`` leases, i.e. ``workers / LEASE_DIVISOR`` of a limit, are refused
    early. A lease is spent only within the window it was taken in, and belongs to
    one rate (a changed rate starts afresh). Bounded (LRU), thread-safe (gthread).
    """

    MAX_KEYS = 10_000

    def __init__(self):
        self._lock = threading.Lock()
        self._leases: OrderedDict[tuple, list] = OrderedDict()

    def spend(self, key: tuple, now: float) -> bool:
        with self._lock:
            lease = self._leases.get(key)
            if lease is None or lease[1] <= now or lease[0] <= 0:
                return False
            lease[0] -= 1
            self._leases.move_to_end(key)
            return True

    def keep(self, key: tuple, left: int, until: float) -> None:
        with self._lock:
            self._leases[key] = [left, until]
            self._leases.move_to_end(key)
            while len(self._leases) > self.MAX_KEYS:
                self._leases.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._leases.clear()


leases = _Leases()


class _SettingsRateMixin:
    @property
    def cache(self):
        return caches[CACHE_ALIAS]

    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if getattr(request, _REFUSED, False):
            # An earlier throttle refused it: counting it here too would only add
            # keys (one per made-up username) for a request that never runs.
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            self.key = self.get_cache_key(request, view)
            body_error = None
        except ParseError as exc:
            # The key reads a body that does not parse. DRF has left request.data
            # empty, so this key is the caller's without it: count the attempt like
            # any other, and answer 400 as the view would have once it is allowed.
            self.key = self.get_cache_key(request, view)
            body_error = exc
        allowed = self.key is None or self._count()
        if not allowed:
            setattr(request, _REFUSED, True)
        elif body_error is not None:
            raise body_error
        return allowed

    def _count(self) -> bool:
        cache = self.cache
        if isinstance(cache, RedisCache):
            return self._allow_with_redis_counter(cache)
        lease_size = self.num_requests // LEASE_DIVISOR
        lease_key = (self.key, self.num_requests, self.duration)
        if lease_size > 1 and leases.spend(lease_key, self.timer()):
            return True
        # DRF's SimpleRateThrottle.allow_request, with the read-decide-write locked;
        # with a lease, it records lease_size requests at once.
        with _serialised(self.key):
            self.history = cache.get(self.key, [])
            self.now = self.timer()
            while self.history and self.history[-1] <= self.now - self.duration:
                self.history.pop()
            free = self.num_requests - len(self.history)
            if free <= 0:
                return self.throttle_failure()
            taken = min(max(lease_size, 1), free)
            self.history[:0] = [self.now] * taken
            cache.set(self.key, self.history, self.duration)
        if taken > 1:
            leases.keep(lease_key, taken - 1, self.now + self.duration)
        return True

    def _allow_with_redis_counter(self, cache: RedisCache) -> bool:
        """One atomic round trip: a counter created with the first request of a
        window and expiring with it (SET NX EX, INCRBY, TTL). No lock, no history
        list: exact under any concurrency, because Redis runs INCRBY one at a time.
        A high limit is taken as leases (INCRBY the lease, see _Leases), so most
        requests make no round trip at all."""
        lease_size = self.num_requests // LEASE_DIVISOR
        lease_key = (self.key, self.num_requests, self.duration)
        now = self.timer()
        if lease_size > 1 and leases.spend(lease_key, now):
            return True
        take = max(lease_size, 1)
        client = cache._cache.get_client(self.key, write=True)
        key = cache.make_key(self.key)
        pipe = client.pipeline()
        pipe.set(key, 0, ex=int(self.duration), nx=True)
        pipe.incrby(key, take)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
        self._window_left = max(int(ttl), 1)
        granted = min(take, self.num_requests - (count - take))
        if granted > 1:
            leases.keep(lease_key, granted - 1, now + self._window_left)
        return granted >= 1

    def wait(self):
        if getattr(self, "_window_left", None) is not None:
            return self._window_left
        return super().wait()


class AnonThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    """Anonymous callers, per IP."""

    scope = "anon"


class UserThrottle(_SettingsRateMixin, throttling.UserRateThrottle):
    """Authenticated callers, per user. Anonymous callers are AnonThrottle's: DRF's
    class would count them a second time, per IP, doubling the cache work."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class LoginThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Token requests, per (username, IP): slows password guessing for one account
    without letting one address lock everybody out."""

    scope = "login"

    def get_cache_key(self, request, view):
        from accounts.usernames import canonical_username

        username = ""
        if isinstance(request.data, dict):
            # The form login looks the account up by: every spelling that reaches
            # one account ("Customer", " customer\t") shares its bucket.
            username = canonical_username(str(request.data.get("username", "")))
        # Hashed: a fixed-length key whatever characters the caller sends.
        digest = hashlib.sha256(username.encode()).hexdigest()[:32]
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{digest}",
        }


class RegisterThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Account creation, per IP."""

    scope = "register"

    def get_cache_key(self, request, view):
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }


class HoldThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Seat holds (POST /api/reservations/), per user."""

    scope = "hold"

    def get_cache_key(self, request, view):
        if request.method != "POST" or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
