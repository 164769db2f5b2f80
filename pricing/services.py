"""Pricing rules: which price card a showtime takes, and what a voucher takes off.

Pure rules over pricing rows; the booking side (``reservations.services``) applies
them under its locks. Nothing here imports the booking apps.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, IntegerField, Q, Value, When

from movie_api.business_day import local_time
from theaters.models import Theater

from .exceptions import PriceMissing
from .models import ADULT, PriceCard, VoucherKind

CENT = Decimal("0.01")


def local_start(starts_at: datetime, theater: Theater) -> datetime:
    """A start on the theater's clocks, as every "local start" rule reads it."""
    return local_time(starts_at, theater.timezone)


def rule_matches(rule: dict, local: datetime) -> bool:
    """Weekday (0 = Monday) in ``weekdays`` and ``from <= local time < until``."""
    if local.weekday() not in rule["weekdays"]:
        return False
    start = time.fromisoformat(rule.get("from", "00:00"))
    until = rule.get("until", "24:00")
    clock = local.time().replace(tzinfo=None)
    return start <= clock and (until == "24:00" or clock < time.fromisoformat(until))


def find_price_card(*, theater: Theater, starts_at: datetime) -> PriceCard | None:
    """The card a showtime starting at ``starts_at`` in ``theater`` takes.

    Highest ``priority`` first; at equal priority a card of this theater beats a
    card for every theater, then the older card wins. The first card with a rule
    matching the local start is taken.
    """
    local = local_start(starts_at, theater)
    cards = (
        PriceCard.objects.filter(Q(theater=theater) | Q(theater__isnull=True))
        .annotate(
            is_global=Case(
                When(theater__isnull=True, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-priority", "is_global", "id")
    )
    for card in cards:
        if any(rule_matches(rule, local) for rule in card.rules):
            return card
    return None


def price_table_for(*, theater: Theater, starts_at: datetime, categories: set[str]):
    """A copy of the matching card's table for a new showtime; ``PriceMissing`` when
    no card matches or the card does not price every seat category of the screen."""
    card = find_price_card(theater=theater, starts_at=starts_at)
    if card is None:
        raise PriceMissing(
            "No prices were given and no price card matches this showtime's start "
            f"({local_start(starts_at, theater):%A %H:%M} local time).",
            local_start=local_start(starts_at, theater).isoformat(),
        )
    missing = sorted(categories - set(card.prices))
    if missing:
        raise PriceMissing(
            f"Price card '{card.name}' has no price for seat categories: "
            f"{', '.join(missing)}.",
            price_card=card.pk,
            categories=missing,
        )
    return {category: dict(row) for category, row in card.prices.items()}


def adult_prices(table: dict[str, dict[str, str]]) -> dict[str, str]:
    """One price per category (the adult one): ``Showtime.prices`` and the seat map."""
    return {category: row[ADULT] for category, row in table.items()}


def discount_for(*, kind: str, value: Decimal, price: Decimal) -> Decimal:
    """What a voucher takes off one ticket of ``price``: never more than the price.

    ``percent``: value % of the price, to the cent (half up); ``amount``: value off
    each ticket; ``fixed_price``: the ticket costs value (no discount if it costs
    less already).
    """
    if kind == VoucherKind.PERCENT:
        off = (price * value / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
    elif kind == VoucherKind.AMOUNT:
        off = value
    else:
        off = price - value
    return min(max(off, Decimal("0.00")), price).quantize(CENT)
