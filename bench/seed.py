"""Seed a benchmark database in bulk and write what the harness needs as JSON.

Run by bench/run.py in a subprocess whose environment points DATABASE_URL at a fresh,
migrated database::

    python bench/seed.py --profile full --out meta.json

Everything is built with ``bulk_create`` (no services, no API calls), so the rules
the services keep are kept here by construction: a screen's capacity and layout
match its seats, a showtime ends ``duration + SHOWTIME_CLEANUP_MINUTES`` after it
starts, no two showtimes of a screen overlap, every seat category of a screen has a
price, and at most one active ``ReservedSeat`` exists per (showtime, seat). Held
rows carry ``held_until = reservation.expires_at``; sold rows carry NULL.

Holds are seeded to expire an hour after the seed (not after the usual ten
minutes), so that the data, and with them the bytes the floor replays, stay fixed
for the whole run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movie_api.settings")

PROFILES = {
    # 50 theaters x 6 screens x 14 days x 5 shows = 21,000 showtimes
    "full": {
        "theaters": 50,
        "screens": 6,
        "movies": 200,
        "days": 14,
        "reservations": 40_000,
        "customers": 2_000,
    },
    # 5 x 4 x 2 x 5 = 200 showtimes: the same query on 100x less data
    "small": {
        "theaters": 5,
        "screens": 4,
        "movies": 40,
        "days": 2,
        "reservations": 400,
        "customers": 100,
    },
}

# Slots 190 minutes apart; the longest movie (165 min) + 15 min cleanup fits.
SLOTS = [(10, 0), (13, 10), (16, 20), (19, 30), (22, 40)]
CAPACITIES = [300, 150, 180, 210, 240, 270]  # screen (t, s) gets [(t + s) % 6]
ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
BASE_PRICES = {
    "standard": Decimal("11.50"),
    "premium": Decimal("15.00"),
    "recliner": Decimal("19.50"),
    "accessible": Decimal("9.00"),
}
CITIES = [
    "Springfield",
    "Shelbyville",
    "Ogdenville",
    "North Haverbrook",
    "Capital City",
    "Brockway",
    "Cypress Creek",
    "Waverly Hills",
    "Dunwich",
    "Arkham",
]
GENRES = [
    "drama",
    "comedy",
    "action",
    "thriller",
    "sci-fi",
    "family",
    "horror",
    "romance",
    "documentary",
    "animation",
]
WORDS = [
    "glass",
    "orbit",
    "ferry",
    "lantern",
    "harbour",
    "canyon",
    "signal",
    "meadow",
    "crown",
    "shift",
    "echo",
    "lighthouse",
    "tiger",
    "circus",
    "letters",
    "clock",
    "river",
    "winter",
    "garden",
    "shadow",
    "empire",
    "station",
    "island",
    "mirror",
    "summer",
    "velvet",
    "thunder",
    "silver",
    "paper",
    "iron",
]
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
HOT_TAKEN = 100  # a third of the hot 300-seat showtime
HOLD_SECONDS_IN_SEED = 3600
BENCH_USERS = 66  # 16 hold/cancel clients + 50 sell-out customers


def layout_for(capacity: int) -> list[dict]:
    width = 20 if capacity >= 240 else 15
    full_rows, rest = divmod(capacity, width)
    widths = [width] * full_rows + ([rest] if rest else [])
    rows = []
    for index, seats in enumerate(widths):
        if index == len(widths) - 1:
            category = "recliner"
        elif index >= len(widths) - 4:
            category = "premium"
        elif index == 0 and capacity >= 240:
            category = "accessible"
        else:
            category = "standard"
        rows.append({"row": ROW_LETTERS[index], "seats": seats, "category": category})
    assert sum(row["seats"] for row in rows) == capacity
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=20260501)
    args = parser.parse_args()

    import django

    django.setup()
    started = time.perf_counter()
    meta = seed(PROFILES[args.profile], random.Random(args.seed))
    meta["profile"] = args.profile
    meta["seed_seconds"] = round(time.perf_counter() - started, 2)
    Path(args.out).write_text(json.dumps(meta, indent=1))


def seed(p: dict, rng: random.Random) -> dict:
    from django.conf import settings
    from django.db import connection, transaction
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from movie_api.business_day import business_date
    from movies.models import Movie
    from reservations.models import (
        Reservation,
        ReservationStatus,
        ReservedSeat,
        Ticket,
    )
    from showtimes.models import Showtime, deadline_stamp
    from theaters.models import Screen, Seat, Theater
    from theaters.services import build_seats

    now = datetime.now(UTC).replace(microsecond=0)
    first_day = (now + timedelta(days=1)).date()
    timings = {}

    def lap(name: str, t0: float) -> float:
        t1 = time.perf_counter()
        timings[name] = round(t1 - t0, 2)
        return t1

    t = time.perf_counter()
    with transaction.atomic():
        # --- users -----------------------------------------------------------------
        users = []
        for i in range(p["customers"] + BENCH_USERS):
            name = f"customer{i:05d}" if i < p["customers"] else f"bench{i:05d}"
            user = User(
                username=name, username_canonical=name, email=f"{name}@example.com"
            )
            user.set_unusable_password()
            users.append(user)
        User.objects.bulk_create(users, batch_size=2000)
        customers, bench_users = users[: p["customers"]], users[p["customers"] :]
        t = lap("users", t)

        # --- catalogue -------------------------------------------------------------
        movies = []
        for i in range(p["movies"]):
            genre = GENRES[i % len(GENRES)]
            title = (
                f"The {rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {i + 1}"
            )
            director = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}son"
            movies.append(
                Movie(
                    title=title,
                    synopsis=(
                        f"{title} is a {genre} film by {director}. "
                        + " ".join(rng.choice(WORDS) for _ in range(40))
                        + "."
                    ),
                    director=director,
                    genre=genre,
                    language=rng.choice(["English", "English", "French", "Spanish"]),
                    certificate=rng.choice(["G", "PG", "PG-13", "R"]),
                    release_date=first_day - timedelta(days=rng.randint(0, 120)),
                    duration_minutes=rng.randint(80, 165),
                    poster_url=f"https://images.example.com/posters/{i + 1}.jpg",
                )
            )
        Movie.objects.bulk_create(movies, batch_size=2000)

        theaters = [
            Theater(
                name=f"Cinema {i + 1:02d} {rng.choice(WORDS).title()}",
                location=f"{rng.randint(1, 400)} {rng.choice(WORDS).title()} Street",
                city=CITIES[i % len(CITIES)],
            )
            for i in range(p["theaters"])
        ]
        Theater.objects.bulk_create(theaters)
        screens = []
        for ti, theater in enumerate(theaters):
            for si in range(p["screens"]):
                capacity = CAPACITIES[(ti + si) % len(CAPACITIES)]
                screens.append(
                    Screen(
                        theater=theater,
                        name=f"Screen {si + 1}",
                        layout=layout_for(capacity),
                        capacity=capacity,
                    )
                )
        Screen.objects.bulk_create(screens)
        seats = [seat for screen in screens for seat in build_seats(screen)]
        Seat.objects.bulk_create(seats, batch_size=5000)
        seats_of: dict[int, list[Seat]] = {}
        for seat in seats:
            seats_of.setdefault(seat.screen_id, []).append(seat)
        t = lap("catalogue", t)

        # --- showtimes -------------------------------------------------------------
        cleanup = timedelta(minutes=settings.SHOWTIME_CLEANUP_MINUTES)
        popular = movies[: max(1, len(movies) // 10)]
        showtimes = []
        for day in range(p["days"]):
            date = first_day + timedelta(days=day)
            for screen in screens:
                categories = {row["category"] for row in screen.layout}
                for slot, (hour, minute) in enumerate(SLOTS):
                    movie = rng.choice(popular if rng.random() < 0.4 else movies)
                    starts_at = datetime(
                        date.year, date.month, date.day, hour, minute, tzinfo=UTC
                    )
                    extra = Decimal("2.00") if slot >= 3 else Decimal("0.00")
                    showtimes.append(
                        Showtime(
                            movie=movie,
                            screen=screen,
                            starts_at=starts_at,
                            ends_at=starts_at
                            + timedelta(minutes=movie.duration_minutes)
                            + cleanup,
                            prices={
                                c: str(BASE_PRICES[c] + extra)
                                for c in sorted(categories)
                            },
                            business_date=business_date(
                                starts_at, screen.theater.timezone
                            ),
                        )
                    )
        # The hot showtime: the 19:30 show on the first theater's 300-seat screen,
        # second day. The hold/cancel showtime: the 16:20 show of the next
        # 300-seat screen, third day (or second, on a two-day profile).
        hot_index = _showtime_index(p, day=1, screen=0, slot=3)
        hold_screen = next(
            i for i, s in enumerate(screens) if s.capacity == 300 and i > 0
        )
        hold_index = _showtime_index(
            p, day=min(2, p["days"] - 1), screen=hold_screen, slot=2
        )
        hot, hold_showtime = showtimes[hot_index], showtimes[hold_index]
        assert hot.screen.capacity == 300
        assert hold_showtime.screen.capacity == 300

        # --- reservations, planned in memory --------------------------------------
        codes: set[str] = set()

        def new_code() -> str:
            while True:
                code = "".join(rng.choice(CODE_ALPHABET) for _ in range(8))
                if code not in codes:
                    codes.add(code)
                    return code

        taken: dict[int, set[int]] = {}  # showtime index -> active seat ids
        plans = []  # (showtime index, status, [seats])

        def pick_block(si: int, k: int) -> list[Seat] | None:
            showtime = showtimes[si]
            pool = seats_of[showtime.screen_id]
            busy = taken.setdefault(si, set())
            for _ in range(6):
                start = rng.randrange(len(pool))
                block = pool[start : start + k]
                if (
                    len(block) == k
                    and len({s.row for s in block}) == 1
                    and not any(s.pk in busy for s in block)
                ):
                    return block
            return None

        def status_for() -> str:
            r = rng.random()
            if r < 0.65:
                return ReservationStatus.CONFIRMED
            if r < 0.80:
                return ReservationStatus.HELD
            if r < 0.92:
                return ReservationStatus.CANCELLED
            return ReservationStatus.EXPIRED

        hot_taken = 0
        while hot_taken < HOT_TAKEN:
            k = min(rng.choice([2, 2, 3, 4]), HOT_TAKEN - hot_taken)
            block = pick_block(hot_index, k)
            if block is None:
                continue
            status = (
                ReservationStatus.HELD
                if rng.random() < 0.3
                else ReservationStatus.CONFIRMED
            )
            taken[hot_index].update(s.pk for s in block)
            plans.append((hot_index, status, block))
            hot_taken += k

        # Nearer days and evening shows sell more.
        weights = [
            (p["days"] - (i // (len(screens) * len(SLOTS)))) * (1 + (i % len(SLOTS)))
            for i in range(len(showtimes))
        ]
        weights[hot_index] = weights[hold_index] = 0
        candidates = rng.choices(range(len(showtimes)), weights, k=p["reservations"])
        for si in candidates:
            k = rng.choice([1, 2, 2, 2, 3, 4, 4, 6])
            block = pick_block(si, k)
            if block is None:
                continue
            status = status_for()
            if status in (ReservationStatus.CONFIRMED, ReservationStatus.HELD):
                taken[si].update(s.pk for s in block)
            plans.append((si, status, block))

        # The denormalised counts the booking transactions keep on the showtime
        # row (reservations.services.audit.seat_counts), filled from the plan.
        hold_until = now + timedelta(seconds=HOLD_SECONDS_IN_SEED)
        held: dict[int, int] = {}
        for si, status, block in plans:
            showtimes[si].has_claims = True
            if status == ReservationStatus.HELD:
                held[si] = held.get(si, 0) + len(block)
        for si, seat_ids in taken.items():
            showtime = showtimes[si]
            showtime.seats_claimed = len(seat_ids)
            if held.get(si):
                showtime.hold_deadlines = [[deadline_stamp(hold_until), held[si]]]
                showtime.holds_lapse_at = hold_until
        Showtime.objects.bulk_create(showtimes, batch_size=2000)
        t = lap("showtimes", t)

        reservations = []
        for si, status, block in plans:
            showtime = showtimes[si]
            total = sum(
                (Decimal(showtime.prices[s.category]) for s in block), Decimal("0.00")
            )
            reservation = Reservation(
                user=rng.choice(customers),
                showtime=showtime,
                status=status,
                code=new_code(),
                total_price=total,
                expires_at=hold_until,
            )
            if status == ReservationStatus.CONFIRMED:
                reservation.expires_at = now - timedelta(minutes=rng.randint(1, 9000))
                reservation.confirmed_at = reservation.expires_at - timedelta(minutes=3)
                reservation.payment_reference = f"test_{rng.getrandbits(64):016x}"
            elif status == ReservationStatus.CANCELLED:
                reservation.expires_at = now - timedelta(minutes=rng.randint(1, 9000))
                reservation.cancelled_at = reservation.expires_at - timedelta(minutes=5)
                reservation.refund_amount = Decimal("0.00")
            elif status == ReservationStatus.EXPIRED:
                reservation.expires_at = now - timedelta(minutes=rng.randint(1, 9000))
            reservations.append(reservation)
        Reservation.objects.bulk_create(reservations, batch_size=2000)

        claims, tickets = [], []
        for reservation, (_si, status, block) in zip(reservations, plans, strict=True):
            active = status in (ReservationStatus.CONFIRMED, ReservationStatus.HELD)
            for seat in sorted(block, key=lambda s: s.pk):
                claims.append(
                    ReservedSeat(
                        reservation=reservation,
                        showtime=reservation.showtime,
                        seat=seat,
                        price=Decimal(reservation.showtime.prices[seat.category]),
                        is_active=active,
                        held_until=(
                            reservation.expires_at
                            if status == ReservationStatus.HELD
                            else None
                        ),
                    )
                )
                if status == ReservationStatus.CONFIRMED:
                    tickets.append(
                        Ticket(
                            reservation=reservation,
                            seat=seat,
                            code=f"{rng.getrandbits(144):036x}",
                        )
                    )
        ReservedSeat.objects.bulk_create(claims, batch_size=5000)
        Ticket.objects.bulk_create(tickets, batch_size=5000)
        t = lap("reservations", t)

    with connection.cursor() as cursor:  # fresh statistics, as a live database has
        cursor.execute("ANALYZE")
    t = lap("analyze", t)

    hold_taken = taken.get(hold_index, set())
    by_status: dict[str, int] = {}
    for _si, status, _block in plans:
        by_status[str(status)] = by_status.get(str(status), 0) + 1
    return {
        "first_day": first_day.isoformat(),
        "date": (first_day + timedelta(days=1)).isoformat(),
        "hot_showtime": hot.pk,
        "hot_capacity": hot.screen.capacity,
        "hot_taken": len(taken[hot_index]),
        "hold_showtime": hold_showtime.pk,
        "hold_free_labels": [
            s.label for s in seats_of[hold_showtime.screen_id] if s.pk not in hold_taken
        ],
        "movie": movies[len(movies) // 2].pk,
        "tokens": [str(AccessToken.for_user(u)) for u in bench_users],
        "counts": {
            "theaters": len(theaters),
            "screens": len(screens),
            "seats": len(seats),
            "movies": len(movies),
            "showtimes": len(showtimes),
            "showtimes_on_date": len(screens) * len(SLOTS),
            "reservations": len(reservations),
            "reservations_by_status": by_status,
            "reserved_seats": len(claims),
            "active_reserved_seats": sum(1 for c in claims if c.is_active),
            "tickets": len(tickets),
            "users": len(users),
        },
        "timings": timings,
    }


def _showtime_index(p: dict, *, day: int, screen: int, slot: int) -> int:
    per_day = p["theaters"] * p["screens"] * len(SLOTS)
    return day * per_day + screen * len(SLOTS) + slot


if __name__ == "__main__":
    main()
