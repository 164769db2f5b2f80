"""What a show is: its format, audio and subtitle languages and accessibility, on
input, output and as list filters."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import status

from showtimes.models import Showtime
from tests.assertions import error_of
from tests.factories import MovieFactory, ScreenFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db

LIST = "/api/showtimes/"
UNKNOWN_LANGUAGE = (
    "Unknown language; use an ISO 639-1 code in lower case, such as en, de or fr."
)


def body(**overrides) -> dict:
    day = (timezone.now() + timedelta(days=3)).date()
    return {
        "movie": MovieFactory().pk,
        "screen": ScreenFactory().pk,
        "starts_at": datetime(day.year, day.month, day.day, 18, tzinfo=UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "prices": {"standard": "10.00", "premium": "12.00"},
        **overrides,
    }


def details(response) -> dict:
    data = response.json()
    keys = ("format", "audio_language", "subtitles", "accessibility")
    return {key: data[key] for key in keys}


def test_showtime_takes_format_languages_and_accessibility(manager_client):
    response = manager_client.post(
        LIST,
        body(
            format="IMAX_3D",
            audio_language="en",
            subtitles="de",
            accessibility=["relaxed", "closed_captions"],
        ),
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    # the list comes back in the documented order, whatever order it was sent in
    assert details(response) == {
        "format": "IMAX_3D",
        "audio_language": "en",
        "subtitles": "de",
        "accessibility": ["closed_captions", "relaxed"],
    }
    showtime = Showtime.objects.get()
    assert (
        showtime.has_closed_captions,
        showtime.has_audio_description,
        showtime.is_relaxed,
    ) == (True, False, True)


def test_an_old_client_gets_the_defaults(manager_client):
    response = manager_client.post(LIST, body())

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert details(response) == {
        "format": "2D",
        "audio_language": None,
        "subtitles": None,
        "accessibility": [],
    }


@pytest.mark.parametrize("fmt", ["2D", "3D", "IMAX", "IMAX_3D", "4DX", "DOLBY_CINEMA"])
def test_every_documented_format_is_accepted(manager_client, fmt):
    response = manager_client.post(LIST, body(format=fmt))

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["format"] == fmt


def test_patch_changes_details_and_keeps_the_rest(manager_client):
    showtime = ShowtimeFactory(
        format="3D", audio_language="fr", has_audio_description=True
    )

    response = manager_client.patch(
        f"{LIST}{showtime.pk}/", {"subtitles": "en", "accessibility": ["relaxed"]}
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert details(response) == {
        "format": "3D",
        "audio_language": "fr",
        "subtitles": "en",
        "accessibility": ["relaxed"],
    }


def test_patch_null_clears_subtitles_and_empty_list_clears_accessibility(
    manager_client,
):
    showtime = ShowtimeFactory(subtitles="en", is_relaxed=True)

    response = manager_client.patch(
        f"{LIST}{showtime.pk}/", {"subtitles": None, "accessibility": []}
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert details(response)["subtitles"] is None
    assert details(response)["accessibility"] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("format", "5D", '"5D" is not a valid choice.'),
        ("format", "imax", '"imax" is not a valid choice.'),
        ("format", None, "This field may not be null."),
        ("audio_language", "english", UNKNOWN_LANGUAGE),
        ("audio_language", "EN", UNKNOWN_LANGUAGE),
        ("audio_language", "xx", UNKNOWN_LANGUAGE),
        ("audio_language", "eng", UNKNOWN_LANGUAGE),  # ISO 639-2, not 639-1
        ("subtitles", "zz", UNKNOWN_LANGUAGE),
        ("subtitles", "", "This field may not be blank."),
        ("accessibility", ["wheelchair"], '"wheelchair" is not a valid choice.'),
        (
            "accessibility",
            ["relaxed", "relaxed"],
            "List each value once; repeated: relaxed.",
        ),
        ("accessibility", "relaxed", 'Expected a list of items but got type "str".'),
        ("accessibility", None, "This field may not be null."),
    ],
)
def test_bad_details_are_400_and_create_nothing(manager_client, field, value, message):
    response = manager_client.post(LIST, body(**{field: value}))

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == [field]
    assert message in err["fields"][field][0], err
    assert not Showtime.objects.exists()


# --- filters ---------------------------------------------------------------------


@pytest.fixture
def programme():
    return {
        "imax_en": ShowtimeFactory(format="IMAX", audio_language="en"),
        "de_subbed": ShowtimeFactory(
            audio_language="ja", subtitles="de", has_closed_captions=True
        ),
        "relaxed": ShowtimeFactory(is_relaxed=True, has_audio_description=True),
        "plain": ShowtimeFactory(),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"format": "IMAX"}, ["imax_en"]),
        ({"format": "2D"}, ["de_subbed", "relaxed", "plain"]),
        ({"format": "4DX"}, []),
        ({"audio_language": "en"}, ["imax_en"]),
        ({"subtitles": "de"}, ["de_subbed"]),
        ({"accessibility": "closed_captions"}, ["de_subbed"]),
        ({"accessibility": "audio_description"}, ["relaxed"]),
        ({"accessibility": "relaxed"}, ["relaxed"]),
        ({"audio_language": "ja", "accessibility": "relaxed"}, []),
    ],
)
def test_filters(api_client, programme, query, expected):
    response = api_client.get(LIST, query)

    assert response.status_code == status.HTTP_200_OK, response.content
    names = {showtime.pk: name for name, showtime in programme.items()}
    assert [names[s["id"]] for s in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("format", "5D"),
        ("audio_language", "english"),
        ("audio_language", "EN"),
        ("subtitles", "xx"),
        ("accessibility", "wheelchair"),
    ],
)
def test_bad_filter_values_are_400(api_client, key, value):
    response = api_client.get(LIST, {key: value})

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == [key]


def test_accessibility_filter_is_an_equality_on_its_column(api_client):
    with CaptureQueriesContext(connection) as queries:
        api_client.get(LIST, {"accessibility": "relaxed"})

    listing = [q["sql"] for q in queries if 'FROM "showtimes_showtime"' in q["sql"]]
    assert listing
    assert all('"showtimes_showtime"."is_relaxed"' in sql for sql in listing)
