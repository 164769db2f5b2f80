"""Django settings for movie_api: every knob comes from the environment, with safe defaults."""

import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from . import codes
from .email_url import parse_email_url
from .env import (
    env_bool,
    env_cancellation_policy,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_str,
    env_time,
)

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "events",
    "webhooks",
    "accounts",
    "movies",
    "theaters",
    "pricing",
    "showtimes",
    "reservations",
    "payments",
    "tickets",
    "reports",
    "notifications",
    "waitlist",
    "web",
    "demo",
]

MIDDLEWARE = [
    # First, so every response (redirects and errors included) carries X-Request-ID.
    "movie_api.middleware.RequestIdMiddleware",
    # Next: times (almost) the whole request, and logs it with its request id.
    "movie_api.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag on every GET (the seat map brings its own); If-None-Match -> 304.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "movie_api.urls"
WSGI_APPLICATION = "movie_api.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes every transaction take the write lock at BEGIN, so concurrent
    # writers from several processes queue (busy timeout) instead of failing with
    # "database is locked" on lock upgrade; WAL lets readers go on meanwhile.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Keep the connection per worker: opening it and running the PRAGMAs cost 9-21 %
    # of a read request in the benchmark (bench/README.md).
    _db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
    # A file, not in-memory: shared-cache in-memory databases fail thread races with
    # "database table is locked" (measured, shared/NOTES-concurrency.md).
    # One file per process, so parallel test runs on one machine never share it.
    _db["TEST"] = {
        "NAME": env_str("SQLITE_TEST_NAME")
        or os.path.join(tempfile.gettempdir(), f"movie_api_test_{os.getpid()}.sqlite3")
    }
elif _db["ENGINE"] in {
    "django.db.backends.postgresql",
    "django.db.backends.postgresql_psycopg2",
}:
    _db["ENGINE"] = "django.db.backends.postgresql"
    _db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
    _db["OPTIONS"] = {
        "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 5),
        "options": (
            f"-c lock_timeout={env_int('DB_LOCK_TIMEOUT_MS', 3000)} "
            f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 15000)} "
            # A killed worker's backend notices the closed socket within this and
            # rolls back, instead of holding the showtime lock until its statement ends.
            f"-c client_connection_check_interval={env_int('DB_CLIENT_CHECK_MS', 1000)}"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache (shared by all workers: Redis, else a database table) -------------
# "throttle" holds the rate-limit counters (movie_api.throttling). Without Redis it
# is a table of its own that only ever drops expired counters: in the default
# table, culling past MAX_ENTRIES deleted a third of all keys, live counters
# included, so one client sending many made-up usernames reset every limit.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "movie_api"),
        # A Redis host that drops packets must fail a request fast, not hang it
        # (and readiness with it): connect and read timeouts, in seconds.
        "OPTIONS": {
            "socket_connect_timeout": env_int("REDIS_TIMEOUT_SECONDS", 2),
            "socket_timeout": env_int("REDIS_TIMEOUT_SECONDS", 2),
        },
    }
    CACHES = {"default": _redis, "throttle": _redis}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        },
        "throttle": {
            "BACKEND": "movie_api.throttling.CounterCache",
            "LOCATION": "throttle_counters",
            # Past this many rows, each write first deletes the expired counters.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        },
    }

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- HTTPS and cookies (production defaults when DEBUG is off) ------------------
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets this header itself (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = []
if not SECURE_SSL_REDIRECT:
    # TLS is terminated by the load balancer / reverse proxy in front of gunicorn,
    # which redirects http to https; redirecting here too would loop behind it and
    # break plain-http local runs (`make serve`). Set SECURE_SSL_REDIRECT=1 when the
    # app faces clients directly.
    SILENCED_SYSTEM_CHECKS.append("security.W008")

# Request bodies: JSON bookings are tiny; refuse anything large early.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)

# --- CORS ----------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CORS_EXPOSE_HEADERS = ["Idempotent-Replayed", "Retry-After", "ETag", "X-Request-ID"]

# --- REST framework --------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "movie_api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["movie_api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "movie_api.schema.ApiSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "movie_api.throttling.AnonThrottle",
        "movie_api.throttling.UserThrottle",
    ],
    # Throttles key anonymous callers by address. Left unset, DRF would take the
    # whole client-supplied X-Forwarded-For, so anyone could dodge a limit by
    # changing it. 0 = REMOTE_ADDR; behind N proxies that each append, N.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "EXCEPTION_HANDLER": "movie_api.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}


# Read at request time by movie_api.throttling; counted in the shared cache.
THROTTLE_RATES = {
    "anon": env_rate("THROTTLE_ANON_RATE", "300/min"),
    "user": env_rate("THROTTLE_USER_RATE", "600/min"),
    "login": env_rate("THROTTLE_LOGIN_RATE", "10/min"),
    "register": env_rate("THROTTLE_REGISTER_RATE", "20/hour"),
    "hold": env_rate("THROTTLE_HOLD_RATE", "30/min"),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Independent of SECRET_KEY, as simplejwt recommends: rotating one does not
    # invalidate the other.
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY", SECRET_KEY),
    "TOKEN_REFRESH_SERIALIZER": "accounts.serializers.SingleUseTokenRefreshSerializer",
}

SPECTACULAR_SETTINGS = {
    # <id:...> (movie_api/converters.py) is an integer id, as <int:...> was.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "maximum": 2**63 - 1}},
    "TITLE": "Movie ticket booking API",
    "DESCRIPTION": "Browse movies, theaters and showtimes; hold, purchase and cancel seats.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    # One name for the reservation status wherever it appears (status, and the
    # history's from_status / to_status).
    "ENUM_NAME_OVERRIDES": {
        "ReservationStatusEnum": "reservations.models.ReservationStatus",
        "ReservationActionEnum": "reservations.models.ReservationAction",
        "ShowtimeFormatEnum": "showtimes.models.ShowtimeFormat",
        "SeatBlockReasonEnum": "reservations.models.BlockReason",
        "SkippedSeatsReasonEnum": ["held", "sold"],
        "PaymentStatusEnum": "payments.models.PaymentStatus",
        "PaymentPendingStatusEnum": ["payment_pending"],
    },
}

# --- Booking knobs ---------------------------------------------------------------
RESERVATION_HOLD_SECONDS = env_int("RESERVATION_HOLD_SECONDS", 600)
# Upper bound on how long a rendered seat map is reused (it is keyed by a version
# the booking transaction bumps, and never outlives the earliest hold deadline in it).
SEAT_MAP_CACHE_SECONDS = env_int("SEAT_MAP_CACHE_SECONDS", 60)
# Anonymous seat-map and movie-list reads answered in front of Django from a
# per-worker copy of its answer while their version is unchanged (movie_api/fastpath.py).
FAST_PATH = env_bool("FAST_PATH", True)
RESERVATION_MAX_SEATS = env_int("RESERVATION_MAX_SEATS", 10)
# Seat hoarding limits (OWASP API6), counted over unexpired holds only.
RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME = env_int(
    "RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME", 10
)
RESERVATION_MAX_ACTIVE_HOLDS = env_int("RESERVATION_MAX_ACTIVE_HOLDS", 5)
# How long seats freed for a waiting list stay held for the customer offered them.
WAITLIST_OFFER_SECONDS = env_int("WAITLIST_OFFER_SECONDS", 900)
# Group holds (box office, staff): seats per reservation and how long the hold lasts.
GROUP_BOOKING_MAX = env_int("GROUP_BOOKING_MAX", 100)
GROUP_HOLD_SECONDS = env_int("GROUP_HOLD_SECONDS", 24 * 60 * 60)
# Wheelchair spaces and companion seats go on general sale this long before the start.
WHEELCHAIR_RELEASE_MINUTES = env_int("WHEELCHAIR_RELEASE_MINUTES", 60)
SHOWTIME_CLEANUP_MINUTES = env_int("SHOWTIME_CLEANUP_MINUTES", 15)
CANCELLATION_CUTOFF_MINUTES = env_int("CANCELLATION_CUTOFF_MINUTES", 60)
# Fee tiers for cancelling a purchase, e.g. "48h:0,2h:50" (see the README). Unset
# (None): "<CANCELLATION_CUTOFF_MINUTES>m:0", no fee until the cutoff, refused after.
CANCELLATION_POLICY = env_cancellation_policy("CANCELLATION_POLICY")
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)
PAYMENT_GATEWAY = env_str("PAYMENT_GATEWAY", "reservations.payments.TestGateway")
# Payments (payments app): "test" charges through PAYMENT_GATEWAY and moves no money;
# "stripe" takes real money with PaymentIntents and signed webhooks (README).
PAYMENT_PROVIDER = env_choice("PAYMENT_PROVIDER", "test", {"test", "stripe"})
PAYMENT_HOLD_EXTENSION_SECONDS = env_int("PAYMENT_HOLD_EXTENSION_SECONDS", 300)
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10)
if PAYMENT_PROVIDER == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"
    )

# --- Background work (Django's Tasks API, the django-tasks backport) --------------
# "database": a queue table in DATABASE_URL's database, run by `manage.py db_worker`;
# "rq": RQ over Redis (REDIS_URL), run by `make worker` (rqworker with django-tasks-rq's
# job class and RQ's SimpleWorker);
# "immediate": run in the process that enqueues (on commit), for tests and one-offs.
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}, got {TASKS_BACKEND!r}"
    )
if TASKS_BACKEND == "rq" and not REDIS_URL:
    raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}
# django-rq's queue for the rq backend (unused by the others). A job that runs longer
# than this many seconds is killed (RQ's default is 180).
RQ_QUEUES = {
    "default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 300}
}

# --- Outbound webhooks -------------------------------------------------------------
# Private, loopback and link-local destinations are refused unless this is on (a
# receiver on the same host or network, e.g. in tests and demos).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# Seconds to connect and to wait for each read of an endpoint's answer.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)

# --- Email (booking confirmations and refunds: notifications/) -------------------
# EMAIL_URL, else EMAIL_HOST and its companions, else the console (debug: printed
# to the log) or an SMTP server on localhost:25. A timeout, so that a mail server
# that accepts the connection and then stalls cannot hold a worker forever.
_email = parse_email_url(
    env_str("EMAIL_URL")
    or ("smtp://" if env_str("EMAIL_HOST") else "console://" if DEBUG else "smtp://"),
    timeout=env_int("EMAIL_TIMEOUT_SECONDS", 10),
)
if not env_str("EMAIL_URL") and env_str("EMAIL_HOST"):
    _email.update(
        HOST=env_str("EMAIL_HOST"),
        PORT=env_int("EMAIL_PORT", 25),
        HOST_USER=env_str("EMAIL_HOST_USER"),
        HOST_PASSWORD=env_str("EMAIL_HOST_PASSWORD"),
        USE_TLS=env_bool("EMAIL_USE_TLS", False),
        USE_SSL=env_bool("EMAIL_USE_SSL", False),
    )
EMAIL_BACKEND = _email["BACKEND"]
EMAIL_HOST = _email["HOST"]
EMAIL_PORT = _email["PORT"]
EMAIL_HOST_USER = _email["HOST_USER"]
EMAIL_HOST_PASSWORD = _email["HOST_PASSWORD"]
EMAIL_USE_TLS = _email["USE_TLS"]
EMAIL_USE_SSL = _email["USE_SSL"]
EMAIL_TIMEOUT = _email["TIMEOUT"]
if _email["FILE_PATH"] is not None:
    EMAIL_FILE_PATH = _email["FILE_PATH"]
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tickets@localhost")
# A send that fails (server down, 4xx) is retried this many times in all, after
# EMAIL_RETRY_SECONDS, then twice as long each time; then the email is marked failed.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 8)
EMAIL_RETRY_SECONDS = env_int("EMAIL_RETRY_SECONDS", 60)

# --- Catalogue: where theaters are and what they charge in -----------------------
# What a theater created without a timezone or currency gets (IANA name, ISO 4217).
DEFAULT_THEATER_TIMEZONE = env_str("DEFAULT_THEATER_TIMEZONE", "UTC")
if not codes.is_timezone(DEFAULT_THEATER_TIMEZONE):
    raise ImproperlyConfigured(
        "DEFAULT_THEATER_TIMEZONE must be an IANA time zone such as "
        f"America/New_York, got {DEFAULT_THEATER_TIMEZONE!r}"
    )
DEFAULT_CURRENCY = env_str("DEFAULT_CURRENCY", "USD")
if not codes.is_currency(DEFAULT_CURRENCY):
    raise ImproperlyConfigured(
        f"DEFAULT_CURRENCY must be an ISO 4217 code such as EUR, got {DEFAULT_CURRENCY!r}"
    )
# Theater local time at which a cinema's business day (its programme) starts: a
# show before it belongs to the day before. Stored per showtime (business_date):
# after changing it, run `manage.py recompute_business_dates`.
BUSINESS_DAY_STARTS_AT = env_time("BUSINESS_DAY_STARTS_AT", "06:00")

# --- Metrics and logs ------------------------------------------------------------
# GET /metrics (Prometheus) answers only a caller with this bearer token or from
# one of these addresses; everyone else gets a 404. Both unset: always 404.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOW = env_networks("METRICS_ALLOW")

# "text" (human-readable, the default) or "json": one JSON object per line, with a
# line per request and per booking event (movie_api.logs).
LOG_FORMAT = env_choice("LOG_FORMAT", "text", {"text", "json"})
if LOG_FORMAT == "json":
    # Python warnings (whitenoise's "No directory at", deprecations) are written to
    # stderr by the warnings module, not logged: route them through the JSON handler
    # so that every line a log collector reads parses.
    logging.captureWarnings(True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "movie_api.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
