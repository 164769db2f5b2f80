"""EMAIL_URL: the outgoing mail server as one URL, turned into Django's EMAIL_* settings.

``smtp://user:password@host:587/?tls=1`` (STARTTLS), ``smtps://user:password@host:465``
(TLS from the first byte), ``console://`` (print every message to the log),
``file:///some/directory`` (one file per message, to open in a mail client),
``locmem://`` (kept in memory, for tests) and ``dummy://`` (dropped). The user and
password are percent-decoded, so ``@`` or ``/`` in them are written ``%40``, ``%2F``.
Query parameters: ``tls``, ``ssl`` (1/0) and ``timeout`` (seconds).

Parsed here rather than with dj-email-url: that package has had no release since
2022, the format is a few lines of ``urllib.parse``, and a mistake must be an
``ImproperlyConfigured`` at start-up like every other setting (movie_api/env.py).
"""

from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SMTP = "django.core.mail.backends.smtp.EmailBackend"
BACKENDS = {
    "smtp": SMTP,
    "smtps": SMTP,
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def parse_email_url(url: str, *, timeout: int) -> dict:
    """The EMAIL_* settings ``url`` stands for (keys without the ``EMAIL_`` prefix).

    ``timeout`` applies unless the URL names its own.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in BACKENDS:
        raise ImproperlyConfigured(
            f"EMAIL_URL must start with one of {', '.join(f'{s}://' for s in BACKENDS)}"
            f", got {url.split(':', 1)[0]!r}"
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"tls", "ssl", "timeout"}
    if unknown:
        raise ImproperlyConfigured(
            f"EMAIL_URL knows the parameters tls, ssl and timeout, not "
            f"{', '.join(sorted(unknown))}"
        )
    if scheme == "file" and not parts.path.strip("/"):
        raise ImproperlyConfigured(
            "EMAIL_URL: file:// needs a directory, e.g. file:///tmp/movie-api-mail"
        )
    use_tls = _flag(query, "tls", default=False)
    use_ssl = _flag(query, "ssl", default=scheme == "smtps")
    if use_tls and use_ssl:
        raise ImproperlyConfigured("EMAIL_URL: tls and ssl exclude each other")
    try:
        port = parts.port
        timeout = int(query.get("timeout", timeout))
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL: {exc}") from exc
    return {
        "BACKEND": BACKENDS[scheme],
        "HOST": parts.hostname or "localhost",
        "PORT": port or (465 if use_ssl else 587 if use_tls else 25),
        "HOST_USER": unquote(parts.username or ""),
        "HOST_PASSWORD": unquote(parts.password or ""),
        "USE_TLS": use_tls,
        "USE_SSL": use_ssl,
        "TIMEOUT": timeout,
        # Only the file backend reads it.
        "FILE_PATH": unquote(parts.path) if scheme == "file" else None,
    }


def _flag(query: dict, name: str, *, default: bool) -> bool:
    value = query.get(name, "").lower()
    if not value:
        return default
    if value not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"EMAIL_URL: {name} must be 1 or 0, got {value!r}")
    return value in _TRUE
