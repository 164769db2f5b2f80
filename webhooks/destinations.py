"""Where a webhook may be sent: the SSRF guard, and a POST pinned to checked addresses.

An endpoint URL must be http(s) and every address its host resolves to must be
public: loopback, private (RFC 1918, unique-local), link-local (cloud metadata at
169.254.169.254), shared, multicast, reserved and unspecified addresses are
refused, unless ``WEBHOOK_ALLOW_PRIVATE`` is on. The check runs when an endpoint is
created or changed, and again at every delivery after resolving the name; the
connection then goes to the address that was checked, so a DNS answer that
changes in between (rebinding) cannot redirect it. Redirects are not followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class DestinationRefused(Exception):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the connection goes to


def _refused_reason(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> str | None:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def resolve(url: str, *, allow_private: bool | None = None) -> Destination:
    """Check ``url`` and resolve its host; raises ``DestinationRefused``."""
    if allow_private is None:
        allow_private = settings.WEBHOOK_ALLOW_PRIVATE
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DestinationRefused("Webhook URLs must use http or https.")
    host = parts.hostname
    if not host:
        raise DestinationRefused("The webhook URL has no host.")
    if parts.username or parts.password:
        raise DestinationRefused("Webhook URLs may not carry a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise DestinationRefused("The webhook URL's port is not a number.") from exc
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DestinationRefused(f"The host {host!r} does not resolve.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        for text in addresses:
            reason = _refused_reason(ipaddress.ip_address(text.split("%")[0]))
            if reason:
                raise DestinationRefused(
                    f"The host {host!r} resolves to {text}, {reason}; webhooks go "
                    "only to public addresses."
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Destination(parts.scheme, host, port, path, addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, destination: Destination, timeout: float):
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._address = destination.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, destination: Destination, timeout: float):
        super().__init__(
            destination.host,
            destination.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        self._address = destination.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Response:
    status_code: int | None
    duration_ms: int
    error: str


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST ``body`` to ``url`` after the SSRF check; never raises for the network."""
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        destination = resolve(url)
    except DestinationRefused as exc:
        return Response(None, elapsed(), f"refused: {exc}")
    cls = (
        _PinnedHTTPSConnection
        if destination.scheme == "https"
        else _PinnedHTTPConnection
    )
    connection = cls(destination, timeout)
    try:
        connection.request(
            "POST",
            destination.path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": "movie-api-webhooks/1",
            },
        )
        answer = connection.getresponse()
        answer.read(64 * 1024)  # drain a little; the body is not kept
    except TimeoutError:
        return Response(None, elapsed(), f"timed out after {timeout:g} s")
    except (OSError, http.client.HTTPException) as exc:
        return Response(None, elapsed(), f"{type(exc).__name__}: {exc}"[:500])
    finally:
        connection.close()
    error = "" if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    return Response(answer.status, elapsed(), error)
