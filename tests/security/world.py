"""One seeded world for the security tests: every role, catalogue rows, and two
customers who each own a held and a purchased reservation (with tickets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from movies.models import Movie
from pricing.models import PriceCard, TicketType, Voucher
from reservations.models import Reservation, Ticket
from reservations.services import block_screen_seats, block_seats
from showtimes.models import Showtime
from tests.factories import (
    MovieFactory,
    ReservationFactory,
    ScreenFactory,
    ShowtimeFactory,
    TheaterFactory,
    UserFactory,
)
from theaters.models import Screen, Theater
from waitlist.models import WaitlistEntry
from webhooks.models import Endpoint
from webhooks.services import create_endpoint

PASSWORD = "Str0ng-pass!"  # tests.factories.UserFactory's
ROLES = ("anonymous", "customer", "manager", "box_office", "staff")


@dataclass(frozen=True)
class BlockRef:
    """Fills /…/{pk}/blocks/{block_id}/: the showtime or screen, and the block."""

    pk: int
    block_id: int


@dataclass
class World:
    customer: User
    other: User  # a second customer, the "other" of object-level checks
    manager: User
    box_office: User
    staff: User
    movie: Movie
    spare_movie: Movie  # nothing refers to it: free to change or delete
    theater: Theater
    spare_theater: Theater
    screen: Screen
    spare_screen: Screen
    showtime: Showtime  # starts in 90 minutes: bookable, and its doors are open
    spare_showtime: Showtime  # no reservations
    held: Reservation  # customer's
    confirmed: Reservation  # customer's, with a ticket
    other_held: Reservation
    other_confirmed: Reservation
    ticket_type: TicketType  # nothing refers to it: free to change or delete
    price_card: PriceCard
    voucher: Voucher
    showtime_block: BlockRef  # B9 blocked on showtime
    screen_block: BlockRef  # C8 blocked on spare_screen
    webhook: Endpoint  # an outbound webhook endpoint (staff only)
    full_showtime: Showtime  # one seat, sold: its waiting list takes names
    waitlist_entry: WaitlistEntry  # customer's, waiting on showtime

    @property
    def ticket(self) -> Ticket:
        return self.confirmed.tickets.get()

    @property
    def other_ticket(self) -> Ticket:
        return self.other_confirmed.tickets.get()

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


def build_world() -> World:
    now = timezone.now()
    customer, other = UserFactory(), UserFactory()
    movie = MovieFactory(duration_minutes=120)
    theater = TheaterFactory()
    screen = ScreenFactory(theater=theater)
    spare_screen = ScreenFactory(theater=theater)
    showtime = ShowtimeFactory(
        movie=movie, screen=screen, starts_at=now + timedelta(minutes=90)
    )
    staff = UserFactory(is_staff=True, roles=["manager", "box_office"])
    showtime_block = block_seats(
        showtime=showtime, labels=["B9"], reason="house", actor=staff
    )
    screen_block = block_screen_seats(
        screen=spare_screen, labels=["C8"], reason="broken", actor=staff
    ).block
    return World(
        customer=customer,
        other=other,
        manager=UserFactory(roles=["manager"]),
        box_office=UserFactory(roles=["box_office"]),
        staff=staff,
        movie=movie,
        spare_movie=MovieFactory(),
        theater=theater,
        spare_theater=TheaterFactory(),
        screen=screen,
        spare_screen=spare_screen,
        showtime=showtime,
        spare_showtime=ShowtimeFactory(
            movie=movie, screen=screen, starts_at=now + timedelta(days=3)
        ),
        held=ReservationFactory(user=customer, showtime=showtime, seats=["A1"]),
        confirmed=ReservationFactory(
            user=customer, showtime=showtime, seats=["A2"], purchased=True
        ),
        other_held=ReservationFactory(user=other, showtime=showtime, seats=["A5"]),
        other_confirmed=ReservationFactory(
            user=other, showtime=showtime, seats=["A6"], purchased=True
        ),
        ticket_type=TicketType.objects.create(code="spare", name="Spare"),
        price_card=PriceCard.objects.create(
            name="Matinee",
            prices={"standard": {"adult": "8.00"}},
            rules=[{"weekdays": [0, 1, 2, 3, 4], "from": "06:00", "until": "17:00"}],
        ),
        voucher=Voucher.objects.create(code="WORLD10", kind="percent", value=10),
        showtime_block=BlockRef(pk=showtime.pk, block_id=showtime_block.pk),
        screen_block=BlockRef(pk=spare_screen.pk, block_id=screen_block.pk),
        webhook=create_endpoint(
            url="http://93.184.216.34/hooks", events=["reservation.confirmed"]
        ),
        full_showtime=_sold_out(theater, movie, now),
        waitlist_entry=WaitlistEntry.objects.create(
            user=customer, showtime=showtime, seats=1
        ),
    )


def _sold_out(theater: Theater, movie: Movie, now) -> Showtime:
    """A showtime of one seat, bought."""
    layout = [{"row": "A", "seats": 1, "category": "standard"}]
    showtime = ShowtimeFactory(
        movie=movie,
        screen=ScreenFactory(theater=theater, layout=layout),
        starts_at=now + timedelta(days=5),
    )
    ReservationFactory(showtime=showtime, seats=["A1"], purchased=True)
    return showtime


def bearer(user: User) -> str:
    return f"Bearer {RefreshToken.for_user(user).access_token}"


def client_as(user: User | None) -> APIClient:
    """A client carrying a real JWT, as callers do (anonymous: no header)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=bearer(user))
    return client
