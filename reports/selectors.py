"""Sales and occupancy figures, aggregated in the database.

Two aggregate queries answer any range, whatever the number of rows: one over the
sold seats (``ReservedSeat``), one over the showtimes (capacity). What the figures
mean is written once, here; the README repeats it for readers of the API.

- A **ticket sold** is a seat of a purchased reservation: one confirmed, or
  cancelled after it was purchased (``confirmed_at`` set). Holds, lapsed holds and
  holds cancelled before purchase sold nothing. (A hold's seat change deletes the
  seats it dropped, so a purchased reservation's seat rows are exactly what it
  bought.)
- A ticket is **refunded** when its seat was given back after purchase (its row
  inactive, its ticket void: the reservation was cancelled, or the seat alone was
  given back with ``cancel-seats``), or when the show itself was cancelled and the
  reservation with it (every seat's money goes back, used ticket or not). A
  cancellation keeps the seat of a ticket already used, and its money.
- **gross**: the seats' prices before discounts, of every ticket sold (refunded
  ones included). **discounts**: the vouchers' (and comps') discounts on those
  seats. **refunds**: the price less discount less the cancellation fee kept
  (``ReservedSeat.fee``) of every refunded ticket. It equals the purchases'
  ``refund_amount``: a purchase charges exactly its seats' prices less discounts,
  and a cancellation refunds that less the used tickets and the fees (all of it for
  a cancelled show). Counted per seat, so that every grouping, ticket types
  included, adds up to the same totals.
  **net** = gross - discounts - refunds: the money kept.
- **admissions** = tickets sold - tickets refunded. **capacity**: the seats of the
  group's showtimes that were not cancelled, each showtime counted once (by ticket
  type: all the showtimes in that currency, so the types' occupancies add up).
  **occupancy** = admissions / capacity (null without capacity).
  **average_ticket_price** = (gross - discounts) / tickets sold (null when none).
- A sale belongs to the **business day of its showtime** in the theater's zone
  (``Showtime.business_date``), not to the day it was paid for: box office is
  reported per performance. Every figure is per **currency** (the theater's);
  amounts in different currencies are never added together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from movie_api.business_day import local_time
from pricing.models import ADULT, TicketType
from reservations.models import ReservationStatus, ReservedSeat
from showtimes.models import Showtime

GROUP_BY_CHOICES = ("day", "showtime", "movie", "theater", "ticket_type")
MAX_DAYS = 366
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Per grouping: alias -> path from Showtime. The sales query reads the same paths
# through ``showtime__``; ticket types are grouped on the seat instead.
_SHOWTIME_GROUPS: dict[str, dict[str, str]] = {
    "day": {"g_date": "business_date"},
    "showtime": {
        "g_showtime": "pk",
        "g_starts_at": "starts_at",
        "g_title": "movie__title",
        "g_theater": "screen__theater__name",
        "g_screen": "screen__name",
        "g_timezone": "screen__theater__timezone",
    },
    "movie": {"g_movie": "movie_id", "g_title": "movie__title"},
    "theater": {
        "g_theater_id": "screen__theater_id",
        "g_theater": "screen__theater__name",
    },
    "ticket_type": {},
}
_MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass
class SalesRow:
    key: str
    label: str
    currency: str
    showtimes: int = 0
    capacity: int = 0
    tickets_sold: int = 0
    tickets_refunded: int = 0
    gross: Decimal = ZERO
    discounts: Decimal = ZERO
    refunds: Decimal = ZERO
    sort: tuple = ()

    def as_dict(self) -> dict:
        """The row as the API shows it (``SalesRowSerializer`` documents it); built
        by hand because a serializer took longer than the queries on big reports.
        Amounts are strings with two places, as everywhere in the API."""
        average = self.average_ticket_price
        return {
            "key": self.key,
            "label": self.label,
            "currency": self.currency,
            "showtimes": self.showtimes,
            "capacity": self.capacity,
            "tickets_sold": self.tickets_sold,
            "tickets_refunded": self.tickets_refunded,
            "admissions": self.admissions,
            "occupancy": self.occupancy,
            "gross": f"{self.gross:.2f}",
            "discounts": f"{self.discounts:.2f}",
            "refunds": f"{self.refunds:.2f}",
            "net": f"{self.net:.2f}",
            "average_ticket_price": None if average is None else f"{average:.2f}",
        }

    @property
    def admissions(self) -> int:
        return self.tickets_sold - self.tickets_refunded

    @property
    def net(self) -> Decimal:
        return self.gross - self.discounts - self.refunds

    @property
    def occupancy(self) -> float | None:
        if not self.capacity:
            return None
        return round(self.admissions / self.capacity, 4)

    @property
    def average_ticket_price(self) -> Decimal | None:
        if not self.tickets_sold:
            return None
        paid = self.gross - self.discounts
        return (paid / self.tickets_sold).quantize(CENT, rounding=ROUND_HALF_UP)


def get_sales_report(
    *,
    date_from: date,
    date_to: date,
    group_by: str,
    theater_id: int | None = None,
    movie_id: int | None = None,
) -> list[SalesRow]:
    """One row per group and currency, in the grouping's natural order."""

    def scope(prefix: str = "") -> Q:
        q = Q(**{f"{prefix}business_date__range": (date_from, date_to)})
        if theater_id is not None:
            q &= Q(**{f"{prefix}screen__theater_id": theater_id})
        if movie_id is not None:
            q &= Q(**{f"{prefix}movie_id": movie_id})
        return q

    paths = _SHOWTIME_GROUPS[group_by]

    shows = (
        Showtime.objects.filter(scope(), is_cancelled=False)
        .values(
            **{alias: F(path) for alias, path in paths.items()},
            currency=F("screen__theater__currency"),
        )
        .annotate(n_showtimes=Count("pk"), seats=Sum("screen__capacity"))
        .order_by()
    )
    sold = (
        ReservedSeat.objects.filter(scope("showtime__"))
        .filter(
            Q(reservation__status=ReservationStatus.CONFIRMED)
            | Q(
                reservation__status=ReservationStatus.CANCELLED,
                reservation__confirmed_at__isnull=False,
            )
        )
        .values(
            **{alias: F(f"showtime__{path}") for alias, path in paths.items()},
            **(
                {"g_type": Coalesce(F("ticket_type__code"), Value(ADULT))}
                if group_by == "ticket_type"
                else {}
            ),
            currency=F("showtime__screen__theater__currency"),
        )
        .annotate(
            n_sold=Count("pk"),
            n_refunded=Count("pk", filter=_REFUNDED),
            price_sum=Sum("price"),
            discount_sum=Sum("discount"),
            refund_sum=Sum(
                F("price") - F("discount") - F("fee"),
                filter=_REFUNDED,
                output_field=_MONEY,
            ),
        )
        .order_by()
    )

    if group_by == "ticket_type":
        return _by_ticket_type(list(shows), list(sold))
    rows: dict[tuple, SalesRow] = {}
    for values in shows:
        row = _row_for(rows, group_by, values)
        row.showtimes, row.capacity = values["n_showtimes"], values["seats"] or 0
    for values in sold:
        _add_sales(_row_for(rows, group_by, values), values)
    return sorted(rows.values(), key=lambda row: row.sort)


# A sold seat whose money went back (see the module docstring).
# Only purchased seats are counted, and only cancel-seats frees one of a
# reservation that stays confirmed (a swap deletes the rows it gives up).
_REFUNDED = Q(is_active=False) | Q(
    reservation__status=ReservationStatus.CANCELLED, showtime__is_cancelled=True
)


def _row_for(rows: dict[tuple, SalesRow], group_by: str, values: dict) -> SalesRow:
    identity = tuple(values[alias] for alias in _SHOWTIME_GROUPS[group_by])
    ident = (*identity, values["currency"])
    if ident not in rows:
        key, label, sort = _describe(group_by, values)
        rows[ident] = SalesRow(
            key=key,
            label=label,
            currency=values["currency"],
            sort=(*sort, values["currency"]),
        )
    return rows[ident]


def _describe(group_by: str, values: dict) -> tuple[str, str, tuple]:
    """(key, label, sort key) of a group."""
    if group_by == "day":
        day = values["g_date"]
        return day.isoformat(), day.isoformat(), (day,)
    if group_by == "showtime":
        local = local_time(values["g_starts_at"], values["g_timezone"])
        label = (
            f"{values['g_title']} · {values['g_theater']} / {values['g_screen']} · "
            f"{local:%Y-%m-%d %H:%M}"
        )
        pk = values["g_showtime"]
        return str(pk), label, (values["g_starts_at"], pk)
    if group_by == "movie":
        pk = values["g_movie"]
        return str(pk), values["g_title"], (values["g_title"], pk)
    pk = values["g_theater_id"]
    return str(pk), values["g_theater"], (values["g_theater"], pk)


def _add_sales(row: SalesRow, values: dict) -> None:
    row.tickets_sold = values["n_sold"]
    row.tickets_refunded = values["n_refunded"]
    row.gross = values["price_sum"] or ZERO
    row.discounts = values["discount_sum"] or ZERO
    row.refunds = values["refund_sum"] or ZERO


def _by_ticket_type(shows: list[dict], sold: list[dict]) -> list[SalesRow]:
    """Rows per (ticket type, currency); capacity is the currency's whole."""
    capacity = {
        values["currency"]: (values["n_showtimes"], values["seats"] or 0)
        for values in shows
    }
    types = {
        code: (position, name)
        for position, (code, name) in enumerate(
            TicketType.objects.filter(code__in={v["g_type"] for v in sold})
            .order_by("pk")
            .values_list("code", "name")
        )
    }
    rows = []
    for values in sold:
        code, currency = values["g_type"], values["currency"]
        position, name = types.get(code, (len(types), code))
        row = SalesRow(
            key=code, label=name, currency=currency, sort=(position, code, currency)
        )
        row.showtimes, row.capacity = capacity.get(currency, (0, 0))
        _add_sales(row, values)
        rows.append(row)
    return sorted(rows, key=lambda row: row.sort)
