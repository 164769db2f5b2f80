"""Load demo data: theaters, screens, movies, a week of showtimes and demo users. Idempotent.

Demo data has an app of its own (it may import every catalogue app; accounts stays
standalone). With debug off it refuses to run unless given ``--force``: demo
accounts with published passwords have no place on a real cinema's database.
"""

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.roles import BOX_OFFICE, CATALOGUE_MANAGERS
from movies.models import Movie
from showtimes.exceptions import ShowtimeOverlap
from showtimes.models import Showtime
from showtimes.services import create_showtime
from theaters.models import Screen, Theater
from theaters.services import create_screen

DEMO_USERS = [
    # username, password, role groups
    ("customer", "customer-pass-2026", []),
    ("manager", "manager-pass-2026", [CATALOGUE_MANAGERS]),
    ("boxoffice", "boxoffice-pass-2026", [BOX_OFFICE]),
]


def _rows(spec: list[tuple[str, int, str]]) -> list[dict]:
    return [{"row": r, "seats": n, "category": c} for r, n, c in spec]


SMALL = _rows(
    [
        ("A", 8, "standard"),
        ("B", 10, "standard"),
        ("C", 10, "standard"),
        ("D", 10, "premium"),
        ("E", 6, "recliner"),
    ]
)
MEDIUM = _rows(
    [(r, 14, "standard") for r in "ABCDEF"]
    + [(r, 14, "premium") for r in "GH"]
    + [("J", 8, "recliner")]
)
LARGE = _rows(
    [(r, 20, "standard") for r in "ABCDEFGHIJ"]
    + [(r, 20, "premium") for r in "KLM"]
    + [("N", 12, "recliner"), ("P", 6, "accessible")]
)

THEATERS = [
    (
        "Grand Lumiere",
        "12 Harbour Road",
        "Springfield",
        [("Screen 1", LARGE), ("Screen 2", MEDIUM), ("Screen 3", SMALL)],
    ),
    (
        "Odeon Riverside",
        "4 Mill Lane",
        "Springfield",
        [("Main", MEDIUM), ("Studio", SMALL)],
    ),
    (
        "Cine Nova",
        "88 Market Street",
        "Shelbyville",
        [("Hall A", LARGE), ("Hall B", SMALL)],
    ),
]

MOVIES = [
    ("The Last Projectionist", "drama", 124, "PG-13", "Ada Varga"),
    ("Orbit of Glass", "sci-fi", 138, "PG-13", "Tomas Reyes"),
    ("Midnight Ferry", "thriller", 109, "R", "Lena Okafor"),
    ("Paper Lanterns", "family", 96, "G", "Hiro Tanaka"),
    ("The Cartographer's Daughter", "drama", 131, "PG", "Marta Silva"),
    ("Velocity Nine", "action", 117, "PG-13", "Dev Patel"),
    ("Quiet Harbour", "romance", 102, "PG", "Claire Dubois"),
    ("Ironwood", "western", 126, "R", "Sam Hollis"),
    ("Small Hours", "comedy", 94, "PG-13", "Nina Park"),
    ("Beneath the Ice", "documentary", 88, "G", "Erik Lund"),
    ("The Clockmaker's Apprentice", "fantasy", 121, "PG", "Ana Costa"),
    ("Signal Lost", "sci-fi", 113, "PG-13", "Omar Haddad"),
    ("Sunday Circus", "family", 90, "G", "Lucia Romano"),
    ("Red Canyon", "action", 128, "R", "Jack Turner"),
    ("Letters from Lisbon", "romance", 107, "PG", "Ines Moreira"),
    ("The Understudy", "comedy", 99, "PG-13", "Ravi Menon"),
    ("Hollow Crown", "historical", 142, "PG-13", "Edith Grey"),
    ("Night Shift", "thriller", 105, "R", "Kofi Mensah"),
    ("Wild Meadows", "documentary", 85, "G", "Freya Nilsson"),
    ("Echo Chamber", "horror", 98, "R", "Mara Lind"),
    ("The Lighthouse Keeper", "drama", 115, "PG", "Pablo Ruiz"),
    ("Neon Tigers", "animation", 92, "PG", "Yuki Sato"),
]

PRICES = {
    "standard": "11.50",
    "premium": "15.00",
    "recliner": "19.50",
    "accessible": "9.00",
}
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


def seed_movies() -> list[Movie]:
    movies = []
    for title, genre, minutes, rating, director in MOVIES:
        movie, _ = Movie.objects.get_or_create(
            title=title,
            defaults={
                "genre": genre,
                "duration_minutes": minutes,
                "certificate": rating,
                "director": director,
                "language": "English",
                "synopsis": f"{title}: a {genre} film directed by {director}.",
            },
        )
        movies.append(movie)
    return movies


def seed_screens() -> list[Screen]:
    screens = []
    for name, location, city, screen_specs in THEATERS:
        theater, _ = Theater.objects.get_or_create(
            name=name, defaults={"location": location, "city": city}
        )
        for screen_name, layout in screen_specs:
            screen = Screen.objects.filter(theater=theater, name=screen_name).first()
            if screen is None:
                screen = create_screen(theater=theater, name=screen_name, layout=layout)
            screens.append(screen)
    return screens


def seed_showtimes(movies: list[Movie], screens: list[Screen]) -> int:
    """Three shows a day on every screen for a week; returns how many are new."""
    now = timezone.now()
    created = 0
    for day in range(8):
        date = (now + timedelta(days=day)).date()
        for s_index, screen in enumerate(screens):
            for slot_index, slot in enumerate(SLOTS):
                starts_at = datetime.combine(date, slot, tzinfo=UTC)
                if starts_at <= now + timedelta(minutes=30):
                    continue
                if Showtime.objects.filter(screen=screen, starts_at=starts_at).exists():
                    continue
                movie = movies[(day * 7 + s_index * 3 + slot_index) % len(movies)]
                prices = {c: PRICES[c] for c in screen.categories()}
                try:
                    create_showtime(
                        movie=movie, screen=screen, starts_at=starts_at, prices=prices
                    )
                    created += 1
                except ShowtimeOverlap:
                    continue
    return created


class Command(BaseCommand):
    help = "Create demo theaters, movies, a week of showtimes and demo users (safe to re-run)."

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
        movies = seed_movies()
        screens = seed_screens()
        created = seed_showtimes(movies, screens)
        self.stdout.write(
            f"Demo data ready: {Movie.objects.count()} movies, {Theater.objects.count()} theaters, "
            f"{len(screens)} screens, {created} new showtimes. Demo accounts:"
        )
        for username, password, groups in DEMO_USERS:
            role = ", ".join(groups) or "Customer"
            self.stdout.write(f"  {username} / {password}  ({role})")
