"""Rate limits, counted in the shared cache (Redis or the database table) so every
worker agrees (per-process memory let 28 of 60 through at 10/min with 4 workers,
shared/NOTES-security.md).

Rates live in ``settings.THROTTLE_RATES`` and are read at request time (DRF's own
classes freeze them at import), so tests and operators can change them. A rate of
``None`` switches that throttle off.
"""

from django.conf import settings
from rest_framework import throttling


class _SettingsRateMixin:
    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class AnonThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    """Anonymous callers, per IP."""

    scope = "anon"


class UserThrottle(_SettingsRateMixin, throttling.UserRateThrottle):
    """Authenticated callers, per user."""

    scope = "user"


class LoginThrottle(_SettingsRateMixin, throttling.SimpleRateThrottle):
    """Token requests, per (username, IP): slows password guessing for one account
    without letting one address lock everybody out."""

    scope = "login"

    def get_cache_key(self, request, view):
        username = ""
        if isinstance(request.data, dict):
            username = str(request.data.get("username", ""))[:150].lower()
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{username}",
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
