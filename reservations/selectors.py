"""Read queries for reservations and the live seat map."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from showtimes.models import Showtime
from theaters.models import Seat

from .models import Reservation, ReservationEvent, ReservedSeat, Ticket


def can_see_all_reservations(user) -> bool:
    return bool(
        user.is_staff
        or user.is_superuser
        or user.has_perm("reservations.view_reservation")
    )


def list_visible_reservations(*, user) -> QuerySet[Reservation]:
    """Reservations ``user`` may see, without joins: their own, or all for box office
    and staff."""
    queryset = Reservation.objects.all()
    if not can_see_all_reservations(user):
        queryset = queryset.filter(user=user)
    return queryset.order_by("-created_at", "-id")


def list_reservation_events(*, reservation: Reservation) -> QuerySet[ReservationEvent]:
    """A reservation's audit trail, oldest first."""
    return ReservationEvent.objects.filter(reservation=reservation).order_by("at", "id")


def list_reservations(*, user) -> QuerySet[Reservation]:
    """Reservations visible to ``user``: their own, or all for box office and staff."""
    queryset = (
        list_visible_reservations(user=user)
        .select_related(
            "showtime",
            "showtime__movie",
            "showtime__screen",
            "showtime__screen__theater",
        )
        .prefetch_related(
            Prefetch(
                "reserved_seats",
                queryset=ReservedSeat.objects.select_related("seat").order_by(
                    "seat__row_index", "seat__number"
                ),
            ),
            Prefetch(
                "tickets",
                queryset=Ticket.objects.select_related("seat").order_by(
                    "seat__row_index", "seat__number"
                ),
            ),
        )
    )
    return queryset


def get_seat_map(*, showtime: Showtime) -> list[dict]:
    """Every seat of the showtime's screen with its price and live status.

    Two queries whatever the size: the seats, and the active claims on them. A hold
    whose deadline has passed counts as available at once, before any sweep.
    """
    now = timezone.now()
    claims = dict(
        ReservedSeat.objects.filter(showtime=showtime, is_active=True).values_list(
            "seat_id", "held_until"
        )
    )
    prices = showtime.prices
    seat_map = []
    for seat in (
        Seat.objects.filter(screen_id=showtime.screen_id)
        .order_by("row_index", "number")
        .values("id", "label", "row", "number", "category")
    ):
        status = "available"
        if seat["id"] in claims:
            held_until = claims[seat["id"]]
            if held_until is None:
                status = "sold"
            elif held_until > now:
                status = "held"
        seat_map.append(
            {
                "label": seat["label"],
                "row": seat["row"],
                "number": seat["number"],
                "category": seat["category"],
                "price": prices.get(seat["category"]),
                "status": status,
            }
        )
    return seat_map
