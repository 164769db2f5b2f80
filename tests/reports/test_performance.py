"""A busy month answers in under a second: 30 days x 20 showtimes x ~100 sold seats.

Built with bulk_create (the services would take minutes), as bench/seed.py builds
its database; the shapes the report reads are kept: purchased reservations with
confirmed_at, a tenth of them cancelled after purchase (inactive seats, refund),
every fifth ticket a child's, every seventh discounted, two currencies.
"""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from movie_api.business_day import business_date
from pricing.models import TicketType
from reservations.models import Reservation, ReservationStatus, ReservedSeat
from showtimes.models import Showtime
from tests.factories import MovieFactory, ScreenFactory, TheaterFactory, UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

DAYS, SCREENS, SHOWS_PER_SCREEN, SOLD_PER_SHOW, PER_RESERVATION = 30, 10, 2, 100, 4
LAYOUT = [{"row": r, "seats": 15, "category": "standard"} for r in "ABCDEFGHJK"]
URL = "/api/reports/sales/"


def _busy_month() -> tuple[str, str]:
    user = UserFactory()
    adult, child = (
        TicketType.objects.get(code="adult"),
        TicketType.objects.get(code="child"),
    )
    screens = [
        ScreenFactory(theater=theater, layout=LAYOUT)
        for theater in (
            TheaterFactory(currency="EUR", timezone="Europe/Paris"),
            TheaterFactory(currency="USD", timezone="America/New_York"),
        )
        for _ in range(SCREENS // 2)
    ]
    seats = {screen.pk: list(screen.seats.order_by("pk")) for screen in screens}
    movies = [MovieFactory() for _ in range(8)]
    first = timezone.now().date() + timedelta(days=1)
    shows = []
    for day in range(DAYS):
        date = first + timedelta(days=day)
        for index, screen in enumerate(screens):
            for slot in range(SHOWS_PER_SCREEN):
                starts = datetime(
                    date.year, date.month, date.day, 14 + 4 * slot, tzinfo=UTC
                )
                shows.append(
                    Showtime(
                        movie=movies[(day + index + slot) % len(movies)],
                        screen=screen,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=150),
                        prices={"standard": "10.00"},
                        business_date=business_date(starts, screen.theater.timezone),
                    )
                )
    Showtime.objects.bulk_create(shows, batch_size=1000)

    reservations, plans = [], []
    now = timezone.now()
    for show in shows:
        for r in range(SOLD_PER_SHOW // PER_RESERVATION):
            cancelled = r % 10 == 9
            reservations.append(
                Reservation(
                    user=user,
                    showtime=show,
                    status=ReservationStatus.CANCELLED
                    if cancelled
                    else ReservationStatus.CONFIRMED,
                    code=f"B{len(reservations):010d}",
                    total_price=Decimal("40.00"),
                    amount_paid=Decimal("40.00"),
                    refund_amount=Decimal("40.00") if cancelled else None,
                    expires_at=now,
                    confirmed_at=now,
                    cancelled_at=now if cancelled else None,
                )
            )
            block = seats[show.screen_id][
                r * PER_RESERVATION : (r + 1) * PER_RESERVATION
            ]
            plans.append((block, cancelled))
    Reservation.objects.bulk_create(reservations, batch_size=2000)
    claims = [
        ReservedSeat(
            reservation=reservation,
            showtime=reservation.showtime,
            seat=seat,
            ticket_type=child if seat.pk % 5 == 0 else adult,
            price=Decimal("10.00"),
            discount=Decimal("2.00") if seat.pk % 7 == 0 else Decimal("0.00"),
            is_active=not cancelled,
        )
        for reservation, (block, cancelled) in zip(reservations, plans, strict=True)
        for seat in block
    ]
    ReservedSeat.objects.bulk_create(claims, batch_size=5000)
    assert len(claims) == DAYS * SCREENS * SHOWS_PER_SCREEN * SOLD_PER_SHOW
    return first.isoformat(), (first + timedelta(days=DAYS - 1)).isoformat()


def test_a_busy_month_answers_in_under_a_second(manager_client):
    first, last = _busy_month()
    best = {}
    for group_by in ("day", "showtime", "movie", "theater", "ticket_type"):
        for fmt in ("json", "csv"):
            params = {"from": first, "to": last, "group_by": group_by, "format": fmt}
            manager_client.get(URL, params)  # warm: permissions, the db's cache
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                response = manager_client.get(URL, params)
                if fmt == "csv":
                    b"".join(response.streaming_content)
                timings.append(time.perf_counter() - started)
                assert response.status_code == 200
            best[group_by, fmt] = min(timings)
            print(f"{group_by} {fmt}: best {min(timings):.3f}s of 3")

    assert max(best.values()) < 1.0, best
