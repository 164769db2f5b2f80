"""factory-boy factories for every model the tests need."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import BOX_OFFICE, CATALOGUE_MANAGERS
from movie_api.business_day import business_date
from movies.models import Movie
from reservations import services as booking_services
from reservations.models import Reservation
from showtimes.models import Showtime
from showtimes.services import compute_ends_at
from theaters import services as theater_services
from theaters.models import Screen, Theater

DEFAULT_LAYOUT = [
    {"row": "A", "seats": 10, "category": "standard"},
    {"row": "B", "seats": 10, "category": "standard"},
    {"row": "C", "seats": 8, "category": "premium"},
]
DEFAULT_PRICES = {"standard": "10.00", "premium": "15.50"}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "Str0ng-pass!")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        names = {"manager": CATALOGUE_MANAGERS, "box_office": BOX_OFFICE}
        for role in extracted or []:
            self.groups.add(Group.objects.get(name=names[role]))
        if create:
            self.save()


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie

    title = factory.Sequence(lambda n: f"Movie {n}")
    director = "Jane Doe"
    genre = "drama"
    language = "English"
    certificate = "PG-13"
    rating_system = "MPA"
    duration_minutes = 120


class TheaterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theater

    name = factory.Sequence(lambda n: f"Cinema {n}")
    location = "1 Main Street"
    city = "Springfield"


class ScreenFactory(factory.django.DjangoModelFactory):
    """Goes through the service so the seats exist, as they do through the API."""

    class Meta:
        model = Screen

    theater = factory.SubFactory(TheaterFactory)
    name = factory.Sequence(lambda n: f"Screen {n}")
    layout = factory.LazyFunction(lambda: [dict(row) for row in DEFAULT_LAYOUT])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return theater_services.create_screen(**kwargs)


class ShowtimeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Showtime

    movie = factory.SubFactory(MovieFactory)
    screen = factory.SubFactory(ScreenFactory)
    starts_at = factory.Sequence(
        lambda n: timezone.now() + timedelta(days=1, hours=4 * n)
    )
    ends_at = factory.LazyAttribute(
        lambda o: compute_ends_at(movie=o.movie, starts_at=o.starts_at)
    )
    prices = factory.LazyFunction(lambda: dict(DEFAULT_PRICES))
    business_date = factory.LazyAttribute(
        lambda o: business_date(o.starts_at, o.screen.theater.timezone)
    )
    price_table = factory.LazyAttribute(
        lambda o: {category: {"adult": price} for category, price in o.prices.items()}
    )


class ReservationFactory(factory.django.DjangoModelFactory):
    """A hold made through the booking service, so its seats are claimed as via the API.

    ``seats`` lists the labels to hold; ``purchased=True`` also buys it (test gateway).
    """

    class Meta:
        model = Reservation

    user = factory.SubFactory(UserFactory)
    showtime = factory.SubFactory(ShowtimeFactory)
    seats = factory.LazyFunction(lambda: ["A1"])
    purchased = False

    @classmethod
    def _create(cls, model_class, *args, user, showtime, seats, purchased, **kwargs):
        reservation = booking_services.create_reservation(
            user=user, showtime=showtime, labels=seats
        )
        if purchased:
            reservation = booking_services.purchase_reservation(reservation=reservation)
        return reservation
