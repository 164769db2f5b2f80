"""Age ratings: a restricting certificate of a known system comes with its min_age;
the old free-text rating is still read and written, and was migrated."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from rest_framework import status

from movies.models import Movie, restricting_age
from tests.assertions import error_of
from tests.factories import MovieFactory

pytestmark = pytest.mark.django_db

LIST = "/api/movies/"
BASE = {"title": "Heat", "duration_minutes": 170}


@pytest.mark.parametrize(
    ("system", "certificate", "age"),
    [
        ("MPA", "R", 17),
        ("MPA", "NC-17", 18),
        ("mpa", " nc-17 ", 18),
        ("MPA", "PG-13", 0),
        ("BBFC", "12A", 0),
        ("BBFC", "12", 12),
        ("BBFC", "15", 15),
        ("BBFC", "18", 18),
        ("BBFC", "R18", 18),
        ("FSK", "FSK 16", 16),
        ("FSK", "16", 16),
        ("FSK", "fsk  6", 6),
        ("FSK", "FSK 0", 0),
        ("", "R", 0),  # no system: free text, restricts only through min_age
        ("ACB", "MA15+", 0),
    ],
)
def test_restricting_age_table(system, certificate, age):
    assert restricting_age(system, certificate) == age


def test_restricting_certificate_with_its_age_is_accepted(manager_client):
    response = manager_client.post(
        LIST, {**BASE, "rating_system": "BBFC", "certificate": "15", "min_age": 15}
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    assert (body["rating_system"], body["certificate"], body["min_age"]) == (
        "BBFC",
        "15",
        15,
    )
    assert body["rating"] == "15"


def test_a_higher_min_age_is_accepted(manager_client):
    response = manager_client.post(
        LIST, {**BASE, "rating_system": "MPA", "certificate": "R", "min_age": 18}
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content


def test_min_age_may_be_given_for_any_certificate(manager_client):
    response = manager_client.post(
        LIST, {**BASE, "rating_system": "ACB", "certificate": "MA15+", "min_age": 15}
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["min_age"] == 15


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"rating_system": "FSK", "certificate": "FSK 16"},
            "Certificate FSK FSK 16 admits nobody under 16: min_age is required; "
            "give 16 or higher.",
        ),
        (
            {"rating_system": "MPA", "certificate": "NC-17", "min_age": 17},
            "Certificate MPA NC-17 admits nobody under 18: min_age is 17; "
            "give 18 or higher.",
        ),
        (
            {"rating_system": "BBFC", "certificate": "18", "min_age": 0},
            "Certificate BBFC 18 admits nobody under 18: min_age is 0; "
            "give 18 or higher.",
        ),
    ],
)
def test_restricting_certificate_without_its_age_is_400(manager_client, given, message):
    response = manager_client.post(LIST, {**BASE, **given})

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {"min_age": [message]}
    assert not Movie.objects.exists()


def test_patch_lowering_min_age_below_the_certificate_is_400(manager_client):
    movie = MovieFactory(rating_system="MPA", certificate="R", min_age=17)

    response = manager_client.patch(f"{LIST}{movie.pk}/", {"min_age": 12})

    error_of(response, status.HTTP_400_BAD_REQUEST)
    movie.refresh_from_db()
    assert movie.min_age == 17


def test_patch_raising_the_certificate_needs_the_higher_age(manager_client):
    movie = MovieFactory(rating_system="MPA", certificate="R", min_age=17)

    refused = manager_client.patch(f"{LIST}{movie.pk}/", {"certificate": "NC-17"})
    accepted = manager_client.patch(
        f"{LIST}{movie.pk}/", {"certificate": "NC-17", "min_age": 18}
    )

    error_of(refused, status.HTTP_400_BAD_REQUEST)
    assert accepted.status_code == status.HTTP_200_OK, accepted.content


def test_an_old_client_writing_rating_keeps_working(manager_client):
    created = manager_client.post(LIST, {**BASE, "rating": "R"})
    movie = MovieFactory(rating_system="MPA", certificate="R", min_age=17)
    put = manager_client.put(
        f"{LIST}{movie.pk}/", {**BASE, "rating": "R", "genre": "crime"}
    )

    assert created.status_code == status.HTTP_201_CREATED, created.content
    assert created.json()["rating_system"] == ""
    assert put.status_code == status.HTTP_200_OK, put.content
    assert put.json()["min_age"] == 17  # a PUT that does not name it keeps it


@pytest.mark.parametrize("age", [-1, 22, "eighteen", None])
def test_min_age_out_of_range_is_400(manager_client, age):
    response = manager_client.post(LIST, {**BASE, "min_age": age})

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == [
        "min_age"
    ]


# --- admin -----------------------------------------------------------------------


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(
        get_user_model().objects.create_superuser("root", "r@example.com", "pw")
    )
    return client


def _movie_form(**fields) -> dict:
    return {"title": "Heat", "duration_minutes": "170", **fields}


def test_admin_shows_and_checks_the_rating(admin_client):
    MovieFactory(title="Listed", rating_system="BBFC", certificate="15", min_age=15)
    listing = admin_client.get(reverse("admin:movies_movie_changelist")).content

    refused = admin_client.post(
        reverse("admin:movies_movie_add"),
        _movie_form(rating_system="BBFC", certificate="15", min_age="12"),
    )
    accepted = admin_client.post(
        reverse("admin:movies_movie_add"),
        _movie_form(rating_system="BBFC", certificate="15", min_age="15"),
    )

    assert b"BBFC" in listing
    assert refused.status_code == status.HTTP_200_OK
    assert "min_age" in refused.context["adminform"].form.errors
    assert accepted.status_code == status.HTTP_302_FOUND
    assert Movie.objects.filter(title="Heat").get().min_age == 15


# --- the migration of the old rating -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_carries_rating_into_certificate():
    before = [("movies", "0001_initial")]
    after = [("movies", "0002_movie_certificate")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("movies", "Movie")
        for title, rating in [
            ("Heat", "R"),
            ("Lola", " fsk 16 "),
            ("Up", "U"),
            ("Odd", "TP"),
            ("None", ""),
        ]:
            old.objects.create(title=title, rating=rating, duration_minutes=90)

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)

        new = executor.loader.project_state(after).apps.get_model("movies", "Movie")
        rows = {
            m.title: (m.rating_system, m.certificate, m.min_age)
            for m in new.objects.all()
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert rows == {
        "Heat": ("MPA", "R", 17),
        "Lola": ("FSK", "fsk 16", 16),
        "Up": ("BBFC", "U", 0),
        "Odd": ("", "TP", 0),
        "None": ("", "", 0),
    }
