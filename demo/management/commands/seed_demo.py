"""Load demo data: theaters in three time zones, screens, rated movies, a week of
showtimes with formats and languages, price cards, a voucher and demo users.
Idempotent.

Demo data has an app of its own (it may import every catalogue app; accounts stays
standalone). With debug off it refuses to run unless given ``--force``: demo
accounts with published passwords have no place on a real cinema's database.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.roles import BOX_OFFICE, CATALOGUE_MANAGERS
from movies.models import Movie
from pricing.models import PriceCard, Voucher, VoucherKind
from pricing.services import price_table_for
from showtimes.exceptions import ShowtimeOverlap
from showtimes.models import Showtime
from showtimes.services import create_showtime
from theaters.models import Screen, Theater
from theaters.services import create_screen, update_theater

DEMO_USERS = [
    # username, password, role groups
    ("customer", "customer-pass-2026", []),
    ("manager", "manager-pass-2026", [CATALOGUE_MANAGERS]),
    ("boxoffice", "boxoffice-pass-2026", [BOX_OFFICE]),
]

DEMO_VOUCHER = "DEMO10"  # 10 % off every ticket, for a year from the first seeding


def _rows(
    spec: list[tuple[str, int, str]], features: dict[str, dict] | None = None
) -> list[dict]:
    """Layout rows; ``features`` adds seat features (wheelchair, companion,
    restricted_view, aisle_after) by row name."""
    features = features or {}
    return [
        {"row": r, "seats": n, "category": c, **features.get(r, {})} for r, n, c in spec
    ]


def _aisles(rows: str, after: list[int]) -> dict[str, dict]:
    return {row: {"aisle_after": after} for row in rows}


# Two side aisles lined up from front to back, a wheelchair space at an aisle end
# with its companion seat beside it, and restricted-view seats at the front
# corners: what the booking page draws.
SMALL = _rows(
    [
        ("A", 8, "standard"),
        ("B", 10, "standard"),
        ("C", 10, "standard"),
        ("D", 10, "premium"),
        ("E", 6, "recliner"),
    ],
    {
        "A": {"aisle_after": [1, 7]},
        **_aisles("BD", [2, 8]),
        "C": {"aisle_after": [2, 8], "wheelchair": [2, 9], "companion": [1, 10]},
    },
)
MEDIUM = _rows(
    [(r, 14, "standard") for r in "ABCDEF"]
    + [(r, 14, "premium") for r in "GH"]
    + [("J", 8, "recliner")],
    {
        **_aisles("BCDEFG", [3, 11]),
        "A": {"aisle_after": [3, 11], "restricted_view": [1, 14]},
        "H": {"aisle_after": [3, 11], "wheelchair": [3, 12], "companion": [2, 13]},
    },
)
LARGE = _rows(
    [(r, 20, "standard") for r in "ABCDEFGHIJ"]
    + [(r, 20, "premium") for r in "KLM"]
    + [("N", 12, "recliner"), ("P", 6, "accessible")],
    {
        **_aisles("BCDEFGHIJKLM", [4, 16]),
        "A": {"aisle_after": [4, 16], "restricted_view": [1, 20]},
        "P": {"wheelchair": [2, 5], "companion": [1, 3, 4, 6]},
    },
)

# What a screen shows: format, spoken language, subtitles, and the accessibility of
# each slot (the index into SLOTS) that has any.
EN = ("2D", "en", None, {})
THEATERS = [
    # name, location, city, time zone, currency, [(screen, layout, shows)]
    (
        "Grand Lumiere",
        "1540 Broadway",
        "New York",
        "America/New_York",
        "USD",
        [
            ("Screen 1", LARGE, ("IMAX", "en", None, {})),
            ("Screen 2", MEDIUM, ("2D", "en", None, {1: ["closed_captions"]})),
            ("Screen 3", SMALL, ("2D", "es", "en", {})),
        ],
    ),
    (
        "Odeon Riverside",
        "4 Mill Lane, Southwark",
        "London",
        "Europe/London",
        "GBP",
        [
            ("Main", MEDIUM, ("3D", "en", None, {2: ["closed_captions"]})),
            (
                "Studio",
                SMALL,
                ("2D", "en", None, {0: ["relaxed"], 1: ["audio_description"]}),
            ),
        ],
    ),
    (
        "Cine Nova",
        "Kastanienallee 88",
        "Berlin",
        "Europe/Berlin",
        "EUR",
        [
            ("Hall A", LARGE, ("IMAX_3D", "en", "de", {})),
            ("Hall B", SMALL, ("2D", "de", None, {1: ["closed_captions"]})),
        ],
    ),
]

# title, genre, minutes, director, rating system, certificate, min_age
FAMILY_MOVIES = [
    ("Paper Lanterns", "family", 96, "Hiro Tanaka", "MPA", "G", 0),
    ("The Cartographer's Daughter", "drama", 131, "Marta Silva", "MPA", "PG", 0),
    ("Quiet Harbour", "romance", 102, "Claire Dubois", "BBFC", "PG", 0),
    ("Beneath the Ice", "documentary", 88, "Erik Lund", "BBFC", "U", 0),
    ("The Clockmaker's Apprentice", "fantasy", 121, "Ana Costa", "MPA", "PG", 0),
    ("Sunday Circus", "family", 90, "Lucia Romano", "FSK", "FSK 0", 0),
    ("Letters from Lisbon", "romance", 107, "Ines Moreira", "MPA", "PG", 0),
    ("Wild Meadows", "documentary", 85, "Freya Nilsson", "BBFC", "U", 0),
    ("The Lighthouse Keeper", "drama", 115, "Pablo Ruiz", "MPA", "PG", 0),
    ("Neon Tigers", "animation", 92, "Yuki Sato", "BBFC", "U", 0),
]
OTHER_MOVIES = [
    ("The Last Projectionist", "drama", 124, "Ada Varga", "MPA", "PG-13", 0),
    ("Orbit of Glass", "sci-fi", 138, "Tomas Reyes", "MPA", "PG-13", 0),
    ("Midnight Ferry", "thriller", 109, "Lena Okafor", "BBFC", "15", 15),
    ("Velocity Nine", "action", 117, "Dev Patel", "BBFC", "12A", 0),
    ("Ironwood", "western", 126, "Sam Hollis", "FSK", "FSK 12", 12),
    ("Small Hours", "comedy", 94, "Nina Park", "MPA", "PG-13", 0),
    ("Signal Lost", "sci-fi", 113, "Omar Haddad", "BBFC", "12", 12),
    ("Red Canyon", "action", 128, "Jack Turner", "MPA", "R", 17),
    ("The Understudy", "comedy", 99, "Ravi Menon", "MPA", "PG-13", 0),
    ("Hollow Crown", "historical", 142, "Edith Grey", "BBFC", "12A", 0),
    ("Night Shift", "thriller", 105, "Kofi Mensah", "BBFC", "18", 18),
    ("Echo Chamber", "horror", 98, "Mara Lind", "FSK", "FSK 16", 16),
]


def _table(*rows: tuple[str, str, str, str, str]) -> dict[str, dict[str, str]]:
    types = ("adult", "child", "senior", "student")
    return {row[0]: dict(zip(types, row[1:], strict=True)) for row in rows}


# Global cards (theater null): in each theater's own currency.
PRICE_CARDS = [
    # name, priority, rules, table
    (
        "Weekday matinee",
        10,
        [{"weekdays": [0, 1, 2, 3, 4], "from": "06:00", "until": "17:00"}],
        _table(
            ("standard", "8.50", "6.00", "6.50", "7.00"),
            ("premium", "11.50", "8.50", "9.00", "9.50"),
            ("recliner", "15.00", "11.50", "12.00", "12.50"),
            ("accessible", "7.00", "5.00", "5.50", "6.00"),
        ),
    ),
    (
        "Standard",
        0,
        [{"weekdays": [0, 1, 2, 3, 4, 5, 6], "from": "00:00", "until": "24:00"}],
        _table(
            ("standard", "11.50", "7.50", "8.50", "9.00"),
            ("premium", "15.00", "10.50", "11.50", "12.00"),
            ("recliner", "19.50", "14.50", "15.50", "16.50"),
            ("accessible", "9.00", "6.00", "7.00", "7.50"),
        ),
    ),
]
# 3D and large formats cost this much more per ticket than the card says.
SURCHARGE = {"3D": "2.00", "IMAX": "3.00", "IMAX_3D": "4.00"}

# Local times at each theater: the first is a family matinee.
SLOTS = [time(13, 0), time(16, 30), time(20, 0)]


def seed_users() -> None:
    User = get_user_model()
    for username, password, groups in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        if created:
            user.set_password(password)
            user.save()
        user.groups.add(*Group.objects.filter(name__in=groups))


def seed_movies(spec: list[tuple]) -> list[Movie]:
    movies = []
    for title, genre, minutes, director, system, certificate, min_age in spec:
        # The rating is brought up to date in data an older seed_demo made.
        movie, _ = Movie.objects.update_or_create(
            title=title,
            defaults={
                "rating_system": system,
                "certificate": certificate,
                "min_age": min_age,
            },
            create_defaults={
                "genre": genre,
                "duration_minutes": minutes,
                "rating_system": system,
                "certificate": certificate,
                "min_age": min_age,
                "director": director,
                "language": "English",
                "synopsis": f"{title}: a {genre} film directed by {director}.",
            },
        )
        movies.append(movie)
    return movies


def seed_screens() -> list[tuple[Screen, tuple]]:
    """Every screen with what it shows; an older seed's theaters move to their city."""
    screens = []
    for name, location, city, zone, currency, screen_specs in THEATERS:
        wanted = {"location": location, "city": city, "timezone": zone}
        theater, _ = Theater.objects.get_or_create(
            name=name, defaults={**wanted, "currency": currency}
        )
        changes = {f: v for f, v in wanted.items() if getattr(theater, f) != v}
        if theater.currency != currency:
            changes["currency"] = currency
        if changes:  # the service moves business dates along with the zone
            theater = update_theater(theater=theater, **changes)
        for screen_name, layout, shows in screen_specs:
            screen = Screen.objects.filter(theater=theater, name=screen_name).first()
            if screen is None:
                screen = create_screen(theater=theater, name=screen_name, layout=layout)
            screen.theater = theater
            screens.append((screen, shows))
    return screens


def seed_price_cards() -> None:
    for name, priority, rules, table in PRICE_CARDS:
        PriceCard.objects.get_or_create(
            name=name,
            theater=None,
            defaults={"priority": priority, "rules": rules, "prices": table},
        )


def seed_voucher() -> Voucher:
    voucher = Voucher.objects.filter(code__iexact=DEMO_VOUCHER).first()
    now = timezone.now()
    if voucher is None:
        voucher = Voucher.objects.create(
            code=DEMO_VOUCHER,
            kind=VoucherKind.PERCENT,
            value=Decimal(10),
            max_uses=100_000,
            valid_from=now,
            valid_until=now + timedelta(days=365),
            note="Demo voucher (seed_demo): 10% off every ticket",
        )
    return voucher


def _details(shows: tuple, slot_index: int) -> dict:
    show_format, audio, subtitles, accessibility = shows
    offered = accessibility.get(slot_index, [])
    return {
        "format": show_format,
        "audio_language": audio,
        "subtitles": subtitles,
        "has_closed_captions": "closed_captions" in offered,
        "has_audio_description": "audio_description" in offered,
        "is_relaxed": "relaxed" in offered,
    }


def seed_showtimes(
    family: list[Movie], others: list[Movie], screens: list[tuple[Screen, tuple]]
) -> int:
    """Three shows a day on every screen for a week, at local times; returns how
    many are new. The first show of a day is a family film; the others go round
    the rest of the catalogue so that every one of them plays every day."""
    now = timezone.now()
    created = 0
    for day in range(8):
        for s_index, (screen, shows) in enumerate(screens):
            zone = ZoneInfo(screen.theater.timezone)
            date = (now.astimezone(zone) + timedelta(days=day)).date()
            for slot_index, slot in enumerate(SLOTS):
                starts_at = datetime.combine(date, slot, tzinfo=zone)
                if starts_at <= now + timedelta(minutes=30):
                    continue
                if Showtime.objects.filter(screen=screen, starts_at=starts_at).exists():
                    continue
                if slot_index == 0:
                    movie = family[(day * len(screens) + s_index) % len(family)]
                else:
                    turn = day * 2 * len(screens) + s_index * 2 + slot_index - 1
                    movie = others[turn % len(others)]
                details = _details(shows, slot_index)
                table = price_table_for(
                    theater=screen.theater,
                    starts_at=starts_at,
                    categories=screen.categories(),
                )
                extra = Decimal(SURCHARGE.get(details["format"], "0"))
                table = {
                    category: {t: str(Decimal(p) + extra) for t, p in row.items()}
                    for category, row in table.items()
                    if category in screen.categories()
                }
                try:
                    create_showtime(
                        movie=movie,
                        screen=screen,
                        starts_at=starts_at,
                        price_table=table,
                        **details,
                    )
                    created += 1
                except ShowtimeOverlap:
                    continue
    return created


class Command(BaseCommand):
    help = (
        "Create demo theaters, movies, a week of showtimes, price cards, a voucher "
        "and demo users (safe to re-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with debug off (never on a real cinema's database).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates demo accounts with published passwords; it runs "
                "with DJANGO_DEBUG=1 (as make run sets) or with --force."
            )
        seed_users()
        family = seed_movies(FAMILY_MOVIES)
        others = seed_movies(OTHER_MOVIES)
        screens = seed_screens()
        seed_price_cards()
        voucher = seed_voucher()
        created = seed_showtimes(family, others, screens)
        zones = ", ".join(f"{t[2]} ({t[3]}, {t[4]})" for t in THEATERS)
        self.stdout.write(
            f"Demo data ready: {Movie.objects.count()} movies, {Theater.objects.count()} theaters "
            f"in {zones}, {len(screens)} screens, {created} new showtimes. Demo accounts:"
        )
        for username, password, groups in DEMO_USERS:
            role = ", ".join(groups) or "Customer"
            self.stdout.write(f"  {username} / {password}  ({role})")
        until = voucher.valid_until.date().isoformat() if voucher.valid_until else "-"
        self.stdout.write(
            f"Demo voucher: {voucher.code} ({voucher.value.normalize():f}% off every "
            f"ticket, valid until {until})"
        )
