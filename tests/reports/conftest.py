"""A hand-built month of sales whose report figures are worked out by hand.

Two theaters in two currencies and zones; D is a business day ten days ahead.

EUR, Europe/Paris, one 28-seat screen (20 standard at 10.00 adult / 6.00 child,
8 premium at 15.50 adult):
  s1 "Alpha", D 20:00
    r1: A1, A2 adult + A3 child, bought          -> 3 sold, gross 26.00
    r2: B1, B2 adult, voucher 20 %, bought       -> 2 sold, gross 20.00, disc 4.00
    r7: C1, C2 premium, bought; C1's ticket used; staff cancel
                                                 -> 2 sold, gross 31.00, 1 refunded
                                                    (C2: 15.50), C1 kept
    r5: C3 held, never bought                    -> nothing
  s4 "Beta", D+1 18:00, nothing sold
USD, America/New_York, the same screen layout and prices:
  s3 "Alpha", D 19:00 (00:00 UTC on D+1)
    r6: A1, A2 adult, bought                     -> 2 sold, gross 20.00
  s2 "Beta", D+1 00:30 local (05:30 UTC on D+1): business day D
    r3: A1 adult, bought, cancelled by its owner -> 1 sold, 1 refunded (10.00)
    r4: A2, A3 adult, bought                     -> 2 sold, gross 20.00
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from pricing.models import Voucher
from reservations import services
from reservations.models import Reservation
from showtimes.models import Showtime
from tests.factories import (
    MovieFactory,
    ScreenFactory,
    ShowtimeFactory,
    TheaterFactory,
    UserFactory,
)
from theaters.models import Theater

PRICE_TABLE = {
    "standard": {"adult": "10.00", "child": "6.00"},
    "premium": {"adult": "15.50", "child": "9.00"},
}


@dataclass
class Scenario:
    day: date
    eur: Theater
    usd: Theater
    s1: Showtime
    s2: Showtime
    s3: Showtime
    s4: Showtime
    cancelled: list[Reservation]


def _show(screen, movie, day: date, at: time, *, next_day: bool = False) -> Showtime:
    zone = ZoneInfo(screen.theater.timezone)
    local_day = day + timedelta(days=1) if next_day else day
    return ShowtimeFactory(
        screen=screen,
        movie=movie,
        starts_at=datetime.combine(local_day, at, tzinfo=zone),
        prices={"standard": "10.00", "premium": "15.50"},
        price_table=PRICE_TABLE,
    )


def _buy(showtime, labels, **kwargs) -> Reservation:
    held = services.create_reservation(
        user=UserFactory(), showtime=showtime, labels=labels, **kwargs
    )
    return services.purchase_reservation(reservation=held)


@pytest.fixture
def scenario(db) -> Scenario:
    day = timezone.now().date() + timedelta(days=10)
    eur = TheaterFactory(name="Kino Paris", timezone="Europe/Paris", currency="EUR")
    usd = TheaterFactory(name="Cinema NY", timezone="America/New_York", currency="USD")
    eur_screen, usd_screen = ScreenFactory(theater=eur), ScreenFactory(theater=usd)
    alpha, beta = MovieFactory(title="Alpha"), MovieFactory(title="Beta")
    s1 = _show(eur_screen, alpha, day, time(20, 0))
    s4 = _show(eur_screen, beta, day, time(18, 0), next_day=True)
    s3 = _show(usd_screen, alpha, day, time(19, 0))
    s2 = _show(usd_screen, beta, day, time(0, 30), next_day=True)
    assert s2.business_date == day  # the show after midnight, on the day before

    Voucher.objects.create(code="SPRING20", kind="percent", value=Decimal(20))
    staff = UserFactory(is_staff=True)

    _buy(s1, ["A1", "A2", "A3"], ticket_types={"A3": "child"})
    _buy(s1, ["B1", "B2"], voucher="SPRING20")
    r7 = _buy(s1, ["C1", "C2"])
    r7.tickets.filter(seat__label="C1").update(checked_in_at=timezone.now())
    r7 = services.cancel_reservation(reservation=r7, actor=staff)
    services.create_reservation(user=UserFactory(), showtime=s1, labels=["C3"])

    _buy(s3, ["A1", "A2"])
    r3 = _buy(s2, ["A1"])
    r3 = services.cancel_reservation(reservation=r3, actor=r3.user)
    _buy(s2, ["A2", "A3"])
    return Scenario(day, eur, usd, s1, s2, s3, s4, cancelled=[r7, r3])
