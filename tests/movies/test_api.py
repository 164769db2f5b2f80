"""Movie endpoints: CRUD, the permission matrix, validation, search and deletion."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import status

from movies.models import Movie
from reservations.services import create_reservation
from showtimes.models import Showtime
from tests.assertions import error_of
from tests.factories import MovieFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db

LIST = "/api/movies/"

VALID = {
    "title": "Arrival",
    "synopsis": "Linguist meets heptapods.",
    "director": "Denis Villeneuve",
    "genre": "sci-fi",
    "language": "English",
    "rating": "PG-13",
    "release_date": "2016-11-11",
    "duration_minutes": 116,
    "poster_url": "https://example.com/arrival.jpg",
}


def detail(movie) -> str:
    return f"/api/movies/{movie.pk}/"


# --- reading -------------------------------------------------------------------


def test_anonymous_lists_movies_paginated(api_client):
    movie = MovieFactory(title="Alien")

    response = api_client.get(LIST)

    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert body["count"] == 1
    assert body["next"] is None
    assert body["previous"] is None
    assert body["results"] == [
        {
            "id": movie.pk,
            "title": "Alien",
            "synopsis": "",
            "director": "Jane Doe",
            "genre": "drama",
            "language": "English",
            "rating": "PG-13",
            "rating_system": "MPA",
            "certificate": "PG-13",
            "min_age": 0,
            "release_date": None,
            "duration_minutes": 120,
            "poster_url": "",
            "created_at": body["results"][0]["created_at"],
        }
    ]


def test_anonymous_retrieves_one_movie(api_client):
    movie = MovieFactory(title="Heat", duration_minutes=170)

    response = api_client.get(detail(movie))

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["title"] == "Heat"
    assert response.json()["duration_minutes"] == 170


def test_customer_reads_movies(auth_client):
    MovieFactory()

    assert auth_client.get(LIST).status_code == status.HTTP_200_OK


@pytest.mark.parametrize("pk", ["999999", "abc", "99999999999999999999999"])
def test_unknown_movie_is_404_envelope(api_client, pk):
    response = api_client.get(f"/api/movies/{pk}/")

    error_of(response, status.HTTP_404_NOT_FOUND, "not_found")


def test_search_matches_title_director_and_synopsis(api_client):
    by_title = MovieFactory(title="The Matrix", director="Wachowski")
    by_director = MovieFactory(title="Dune", director="Matrix Lover")
    by_synopsis = MovieFactory(title="Other", synopsis="Escape the matrix.")
    MovieFactory(title="Unrelated", director="Nobody", synopsis="Nothing")

    response = api_client.get(LIST, {"search": "matrix"})

    ids = {m["id"] for m in response.json()["results"]}
    assert ids == {by_title.pk, by_director.pk, by_synopsis.pk}


def test_filter_by_genre_is_case_insensitive(api_client):
    horror = MovieFactory(genre="Horror")
    MovieFactory(genre="comedy")

    response = api_client.get(LIST, {"genre": "horror"})

    assert [m["id"] for m in response.json()["results"]] == [horror.pk]


def test_default_ordering_is_by_title(api_client):
    MovieFactory(title="Zodiac")
    MovieFactory(title="Amelie")
    MovieFactory(title="Memento")

    titles = [m["title"] for m in api_client.get(LIST).json()["results"]]

    assert titles == ["Amelie", "Memento", "Zodiac"]


def test_ordering_by_duration_descending(api_client):
    MovieFactory(title="Short", duration_minutes=80)
    MovieFactory(title="Long", duration_minutes=200)
    MovieFactory(title="Mid", duration_minutes=120)

    response = api_client.get(LIST, {"ordering": "-duration_minutes"})

    assert [m["title"] for m in response.json()["results"]] == ["Long", "Mid", "Short"]


def test_ordering_by_release_date(api_client):
    MovieFactory(title="New", release_date="2020-01-01")
    MovieFactory(title="Old", release_date="1990-01-01")

    response = api_client.get(LIST, {"ordering": "release_date"})

    assert [m["title"] for m in response.json()["results"]] == ["Old", "New"]


# --- writing: permission matrix -------------------------------------------------


def test_anonymous_cannot_create_movie(api_client):
    response = api_client.post(LIST, VALID)

    error_of(response, status.HTTP_401_UNAUTHORIZED, "not_authenticated")
    assert not Movie.objects.exists()


def test_customer_cannot_create_movie(auth_client):
    response = auth_client.post(LIST, VALID)

    error_of(response, status.HTTP_403_FORBIDDEN, "permission_denied")
    assert not Movie.objects.exists()


@pytest.mark.parametrize("who", ["manager_client", "staff_client"])
def test_manager_and_staff_create_movie(request, who):
    client = request.getfixturevalue(who)

    response = client.post(LIST, VALID)

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    movie = Movie.objects.get()
    assert body == {
        **VALID,
        # an old client's free-text rating becomes the certificate
        "certificate": VALID["rating"],
        "rating_system": "",
        "min_age": 0,
        "id": movie.pk,
        "created_at": body["created_at"],
    }
    assert movie.certificate == VALID["rating"]


def test_box_office_cannot_create_movie(box_office_client):
    error_of(
        box_office_client.post(LIST, VALID),
        status.HTTP_403_FORBIDDEN,
        "permission_denied",
    )


def test_only_title_and_duration_are_required(manager_client):
    response = manager_client.post(LIST, {"title": "Tiny", "duration_minutes": 1})

    assert response.status_code == status.HTTP_201_CREATED, response.content


def test_anonymous_cannot_update_or_delete(api_client):
    movie = MovieFactory()

    error_of(
        api_client.patch(detail(movie), {"title": "X"}),
        status.HTTP_401_UNAUTHORIZED,
        "not_authenticated",
    )
    error_of(
        api_client.delete(detail(movie)),
        status.HTTP_401_UNAUTHORIZED,
        "not_authenticated",
    )


def test_customer_cannot_update_or_delete(auth_client):
    movie = MovieFactory(title="Same")

    error_of(
        auth_client.put(detail(movie), VALID),
        status.HTTP_403_FORBIDDEN,
        "permission_denied",
    )
    error_of(
        auth_client.delete(detail(movie)),
        status.HTTP_403_FORBIDDEN,
        "permission_denied",
    )
    movie.refresh_from_db()
    assert movie.title == "Same"


def test_manager_puts_whole_movie(manager_client):
    movie = MovieFactory()

    response = manager_client.put(detail(movie), VALID)

    assert response.status_code == status.HTTP_200_OK, response.content
    movie.refresh_from_db()
    assert movie.title == "Arrival"
    assert movie.duration_minutes == 116


def test_staff_patches_one_field(staff_client):
    movie = MovieFactory(title="Before", duration_minutes=90)

    response = staff_client.patch(detail(movie), {"title": "After"})

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["title"] == "After"
    assert response.json()["duration_minutes"] == 90


def test_put_missing_required_field_is_400(manager_client):
    movie = MovieFactory()

    response = manager_client.put(detail(movie), {"title": "Only title"})

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == ["duration_minutes"]


def test_write_to_unknown_movie_is_404(manager_client):
    error_of(
        manager_client.patch("/api/movies/424242/", {"title": "X"}),
        status.HTTP_404_NOT_FOUND,
        "not_found",
    )


# --- validation ------------------------------------------------------------------


def test_missing_title_and_duration_are_field_errors(manager_client):
    response = manager_client.post(LIST, {"genre": "drama"})

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert set(err["fields"]) == {"title", "duration_minutes"}


def test_blank_title_is_rejected(manager_client):
    response = manager_client.post(LIST, {**VALID, "title": "  "})

    assert "title" in error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]


@pytest.mark.parametrize("duration", [0, -5, 601, 100000, 99999999999999999999])
def test_duration_out_of_range_is_400(manager_client, duration):
    response = manager_client.post(LIST, {**VALID, "duration_minutes": duration})

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == ["duration_minutes"]


@pytest.mark.parametrize("duration", [1, 600])
def test_duration_bounds_are_accepted(manager_client, duration):
    response = manager_client.post(LIST, {**VALID, "duration_minutes": duration})

    assert response.status_code == status.HTTP_201_CREATED


@pytest.mark.parametrize("duration", ["long", 90.5, None, [], {"a": 1}, True])
def test_duration_of_wrong_type_is_400(manager_client, duration):
    response = manager_client.post(LIST, {**VALID, "duration_minutes": duration})

    assert (
        "duration_minutes" in error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]
    )


@pytest.mark.parametrize("value", ["2024-02-30", "yesterday", "11/11/2016", 20161111])
def test_bad_release_date_is_400(manager_client, value):
    response = manager_client.post(LIST, {**VALID, "release_date": value})

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == [
        "release_date"
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "x" * 201),
        ("title", ["a list"]),
        ("poster_url", "not a url"),
        ("rating", "R" * 21),
        ("synopsis", "nul\x00byte"),
    ],
)
def test_bad_field_values_are_400(manager_client, field, value):
    response = manager_client.post(LIST, {**VALID, field: value})

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == [field]


def test_body_that_is_not_an_object_is_400(manager_client):
    response = manager_client.post(LIST, [VALID], format="json")

    error_of(response, status.HTTP_400_BAD_REQUEST)


# --- deletion ---------------------------------------------------------------------


def test_delete_movie_without_reservations_is_204(manager_client):
    movie = MovieFactory()
    ShowtimeFactory(movie=movie)

    response = manager_client.delete(detail(movie))

    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert not Movie.objects.exists()
    assert not Showtime.objects.exists()


def test_delete_movie_with_reservations_is_409(manager_client, user):
    showtime = ShowtimeFactory()
    create_reservation(user=user, showtime=showtime, labels=["A1"])

    response = manager_client.delete(detail(showtime.movie))

    error_of(response, status.HTTP_409_CONFLICT, "protected")
    assert Movie.objects.filter(pk=showtime.movie_id).exists()
    assert Showtime.objects.filter(pk=showtime.pk).exists()


def test_movie_list_query_count_is_constant(api_client, django_assert_num_queries):
    MovieFactory()
    with CaptureQueriesContext(connection) as one:
        assert api_client.get(LIST, {"page_size": 30}).status_code == status.HTTP_200_OK
    MovieFactory.create_batch(29)

    with django_assert_num_queries(len(one)):
        response = api_client.get(LIST, {"page_size": 30})
    assert response.json()["count"] == 30


# --- a new duration moves the end of upcoming showtimes -----------------------------


def test_new_duration_moves_ends_at_of_upcoming_showtimes(manager_client, api_client):
    movie = MovieFactory(duration_minutes=100)
    showtime = ShowtimeFactory(movie=movie)

    response = manager_client.patch(detail(movie), {"duration_minutes": 150})

    assert response.status_code == status.HTTP_200_OK, response.content
    showtime.refresh_from_db()
    assert showtime.ends_at == showtime.starts_at + timedelta(minutes=150 + 15)
    body = api_client.get(f"/api/showtimes/{showtime.pk}/").json()
    assert body["ends_at"] == (
        (showtime.starts_at + timedelta(minutes=165)).isoformat().replace("+00:00", "Z")
    )


def test_longer_duration_running_into_next_showtime_is_refused(manager_client):
    movie = MovieFactory(duration_minutes=100)
    first = ShowtimeFactory(movie=movie)
    # the next showtime on that screen starts right when the first one ends
    ShowtimeFactory(screen=first.screen, starts_at=first.ends_at)

    response = manager_client.patch(detail(movie), {"duration_minutes": 101})

    error_of(response, status.HTTP_400_BAD_REQUEST, "showtime_overlap")
    movie.refresh_from_db()
    first.refresh_from_db()
    assert movie.duration_minutes == 100
    assert first.ends_at == first.starts_at + timedelta(minutes=115)


def test_longer_duration_running_into_its_own_next_showtime_is_refused(
    manager_client,
):
    movie = MovieFactory(duration_minutes=100)
    first = ShowtimeFactory(movie=movie)
    ShowtimeFactory(movie=movie, screen=first.screen, starts_at=first.ends_at)

    response = manager_client.patch(detail(movie), {"duration_minutes": 120})

    error_of(response, status.HTTP_400_BAD_REQUEST, "showtime_overlap")
    assert Movie.objects.get(pk=movie.pk).duration_minutes == 100


def test_shorter_duration_is_always_fine(manager_client):
    movie = MovieFactory(duration_minutes=100)
    first = ShowtimeFactory(movie=movie)
    ShowtimeFactory(movie=movie, screen=first.screen, starts_at=first.ends_at)

    response = manager_client.patch(detail(movie), {"duration_minutes": 90})

    assert response.status_code == status.HTTP_200_OK
    first.refresh_from_db()
    assert first.ends_at == first.starts_at + timedelta(minutes=105)
