"""Reading settings from the environment: one helper per type, safe defaults.

An empty variable counts as unset, except for lists (an empty list is a choice:
``DJANGO_ALLOWED_HOSTS=""`` allows no host) and rates (empty switches a limit off).
A value that cannot be read is an
``ImproperlyConfigured`` at start-up, never a silent default.
"""

import ipaddress
import os
import re
from datetime import time
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    value = os.environ.get(name, default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    """A DRF rate such as "30/min"; "off" (or "none") switches that throttle off."""
    value = os.environ.get(name, default).strip()
    return None if value.lower() in {"", "off", "none"} else value


def env_time(name: str, default: str) -> time:
    """A time of day written HH:MM (24-hour clock), such as "06:00"."""
    value = env_str(name, default)
    match = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])", value)
    if not match:
        raise ImproperlyConfigured(
            f"{name} must be a time of day as HH:MM (00:00 to 23:59), got {value!r}"
        )
    return time(int(match[1]), int(match[2]))


def env_networks(
    name: str,
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A comma list of IP addresses or CIDR networks ("10.0.0.0/8, ::1")."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name} must be a comma list of IP addresses or networks such as "
                f"10.0.0.0/8, got {item!r}"
            ) from exc
    return tuple(networks)


def env_choice(name: str, default: str, choices: set[str]) -> str:
    """One of ``choices`` (case-insensitive)."""
    value = env_str(name, default).lower()
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(sorted(choices))}, got {value!r}"
        )
    return value


_FEE_TIER = re.compile(r"(\d+)([mhd]):(\d{1,3}(?:\.\d{1,2})?)")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}


def env_cancellation_policy(name: str) -> tuple[tuple[int, Decimal], ...] | None:
    """Fee tiers such as "48h:0,2h:50": ((minutes before the start, fee percent), ...);
    None when unset.

    Each tier ``<duration>:<percent>`` (units m, h, d; percent 0 to 100, up to two
    decimals) applies while more than ``duration`` is left before the start; before
    every tier nothing may be cancelled. Returned longest first; the fee may only
    grow as the start nears, and no duration may repeat.
    """
    value = env_str(name)
    if not value:
        return None
    tiers = []
    for item in value.split(","):
        match = _FEE_TIER.fullmatch(item.strip())
        if not match or Decimal(match[3]) > 100:
            raise ImproperlyConfigured(
                f"{name} must be a comma list of <duration>:<fee percent> tiers with "
                f"a unit of m, h or d and a percent from 0 to 100, such as "
                f"48h:0,2h:50; got {item.strip()!r} in {value!r}"
            )
        tiers.append((int(match[1]) * _UNIT_MINUTES[match[2]], Decimal(match[3])))
    tiers.sort(key=lambda tier: tier[0], reverse=True)
    minutes = [tier[0] for tier in tiers]
    if len(set(minutes)) != len(minutes):
        raise ImproperlyConfigured(f"{name} names the same duration twice: {value!r}")
    fees = [tier[1] for tier in tiers]
    if fees != sorted(fees):
        raise ImproperlyConfigured(
            f"{name}: a tier nearer the start cannot charge a smaller fee than an "
            f"earlier one: {value!r}"
        )
    return tuple(tiers)
