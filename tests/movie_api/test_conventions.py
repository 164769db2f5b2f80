"""API-wide conventions: pagination, the error envelope, docs, health and the admin.

This module doubles as a test-only URLconf (``urlpatterns`` below) that adds views
which crash, to prove an unhandled exception becomes a JSON 500 without a traceback.
"""

from datetime import timedelta

import pytest
import yaml
from django.contrib import admin
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone
from rest_framework import status
from rest_framework.test import APIClient
from rest_framework.views import APIView

from movie_api import urls as project_urls
from tests.assertions import error_of
from tests.factories import (
    MovieFactory,
    ScreenFactory,
    ShowtimeFactory,
    TheaterFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# --- test-only URLconf ---------------------------------------------------------------


def _crashing_view(request):
    raise RuntimeError("secret internals at /srv/app/settings.py")


class _CrashingApiView(APIView):
    permission_classes: list = []

    def get(self, request):
        raise KeyError("secret internals")


urlpatterns = [
    path("api/test-crash/", _crashing_view),
    path("api/test-crash-drf/", _CrashingApiView.as_view()),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/api/test-crash/", "/api/test-crash-drf/"])
def test_unhandled_exception_is_json_500_without_traceback(settings, url):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    response = client.get(url)

    error_of(response, status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error")
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


# --- pagination ----------------------------------------------------------------------


def test_lists_are_paginated_with_links(api_client):
    MovieFactory.create_batch(25)

    first = api_client.get("/api/movies/").json()
    second = api_client.get("/api/movies/", {"page": 2}).json()

    assert list(first) == ["count", "next", "previous", "results"]
    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["next"].endswith("/api/movies/?page=2")
    assert first["previous"] is None
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert second["previous"] is not None


def test_page_size_is_client_chosen_and_capped_at_100(api_client):
    MovieFactory.create_batch(105)

    assert len(api_client.get("/api/movies/", {"page_size": 7}).json()["results"]) == 7
    capped = api_client.get("/api/movies/", {"page_size": 1000}).json()
    assert len(capped["results"]) == 100
    assert capped["next"] is not None


@pytest.mark.parametrize(
    "url", ["/api/movies/", "/api/theaters/", "/api/screens/", "/api/showtimes/"]
)
def test_every_catalogue_list_is_paginated(api_client, url):
    ShowtimeFactory()

    body = api_client.get(url).json()

    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 1


@pytest.mark.parametrize("url", ["/api/movies/", "/api/showtimes/"])
def test_page_past_the_last_is_400_naming_the_last_page(api_client, url):
    ShowtimeFactory()

    err = error_of(api_client.get(url, {"page": 99}), status.HTTP_400_BAD_REQUEST)

    message = "Page 99 is past the last page; use a page from 1 to 1."
    assert err["fields"] == {"page": [message]}
    assert err["message"] == message


def test_page_past_the_last_of_an_empty_list_is_400_but_page_1_is_empty(api_client):
    first = api_client.get("/api/movies/", {"page": 1})
    second = api_client.get("/api/movies/", {"page": 2})

    assert first.status_code == status.HTTP_200_OK
    assert first.json()["results"] == []
    assert error_of(second, status.HTTP_400_BAD_REQUEST)["fields"] == {
        "page": ["Page 2 is past the last page; use a page from 1 to 1."]
    }


def test_page_past_the_last_follows_the_page_size(api_client):
    MovieFactory.create_batch(5)

    assert (
        api_client.get("/api/movies/", {"page": 3, "page_size": 2}).status_code
        == status.HTTP_200_OK
    )
    err = error_of(
        api_client.get("/api/movies/", {"page": 4, "page_size": 2}),
        status.HTTP_400_BAD_REQUEST,
    )
    assert err["fields"] == {
        "page": ["Page 4 is past the last page; use a page from 1 to 3."]
    }


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("page", "abc"),
        ("page", "0"),
        ("page", "-1"),
        ("page", "1.5"),
        ("page_size", "lots"),
        ("page_size", "0"),
        ("page_size", "-5"),
    ],
)
def test_page_parameters_of_wrong_type_are_400(api_client, param, value):
    MovieFactory()

    err = error_of(
        api_client.get("/api/showtimes/", {param: value}),
        status.HTTP_400_BAD_REQUEST,
        "invalid",
    )
    assert list(err["fields"]) == [param]


def test_last_page_keyword_still_works(api_client):
    MovieFactory.create_batch(21)

    response = api_client.get("/api/movies/", {"page": "last"})

    assert response.status_code == status.HTTP_200_OK
    assert len(response.json()["results"]) == 1


# --- error envelope --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/movies/", "/api/auth/register/", "/api/auth/token/"]
)
def test_malformed_json_is_400_envelope(manager_client, url):
    response = manager_client.post(
        url, data='{"title": "Unclosed', content_type="application/json"
    )

    error_of(response, status.HTTP_400_BAD_REQUEST, "parse_error")


def test_form_encoded_body_is_415_envelope(manager_client):
    response = manager_client.post(
        "/api/movies/",
        data="title=X&duration_minutes=90",
        content_type="application/x-www-form-urlencoded",
    )

    error_of(response, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")


@pytest.mark.parametrize(
    "url",
    [
        "/api/nothing-here/",
        "/api/movies/1/nope/",
        "/api/v2/movies/",
        "/api/showtimes/abc/seats/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_url_is_404_envelope(api_client, url, method):
    response = getattr(api_client, method)(url)

    error_of(response, status.HTTP_404_NOT_FOUND, "not_found")


def test_method_not_allowed_is_405_envelope(manager_client):
    response = manager_client.patch("/api/movies/", {"title": "X"})

    error_of(response, status.HTTP_405_METHOD_NOT_ALLOWED, "method_not_allowed")


def _future() -> str:
    return (timezone.now() + timedelta(days=2)).isoformat()


WEIRD_VALUES = [
    None,
    True,
    [],
    {},
    -1,
    2**70,
    1.5,
    "x" * 5000,
    "2024-99-99",
    "nul\x00byte",
    "🎬",
]


def _writable_cases():
    cases = {
        "/api/movies/": (
            lambda: {"title": "T", "duration_minutes": 90},
            [
                "title",
                "synopsis",
                "director",
                "genre",
                "language",
                "rating",
                "rating_system",
                "certificate",
                "min_age",
                "release_date",
                "duration_minutes",
                "poster_url",
            ],
        ),
        "/api/theaters/": (
            lambda: {"name": "N", "location": "L", "city": "C"},
            ["name", "location", "city", "timezone", "currency"],
        ),
        "/api/screens/": (
            lambda: {
                "theater": TheaterFactory().pk,
                "name": "S",
                "layout": [{"row": "A", "seats": 3}],
            },
            ["theater", "name", "layout"],
        ),
        "/api/showtimes/": (
            lambda: {
                "movie": MovieFactory().pk,
                "screen": ScreenFactory().pk,
                "starts_at": _future(),
                "prices": {"standard": "10.00", "premium": "12.00"},
            },
            [
                "movie",
                "screen",
                "starts_at",
                "prices",
                "format",
                "audio_language",
                "subtitles",
                "accessibility",
            ],
        ),
    }
    return [
        pytest.param(url, build, field, id=f"{url.strip('/').split('/')[-1]}-{field}")
        for url, (build, fields) in cases.items()
        for field in fields
    ]


@pytest.mark.parametrize(("url", "build", "field"), _writable_cases())
def test_wrong_types_and_ranges_never_500(manager_client, url, build, field):
    for value in WEIRD_VALUES:
        body = {**build(), field: value}

        response = manager_client.post(url, body)

        assert response.status_code in {
            status.HTTP_201_CREATED,
            status.HTTP_400_BAD_REQUEST,
        }, (value, response.content)
        if response.status_code == status.HTTP_400_BAD_REQUEST:
            code = response.json()["error"]["code"]
            assert code in {"invalid", f"invalid_{field}"}, (value, code)
            err = error_of(response, status.HTTP_400_BAD_REQUEST, code)
            assert field in err["fields"], (value, err)
            assert all(map(_is_messages, err["fields"].values())), (value, err)


def _is_messages(value) -> bool:
    return isinstance(value, list) and all(isinstance(m, str) for m in value)


def _screen_with_bad_second_row():
    body = {
        "theater": TheaterFactory().pk,
        "name": "S",
        "layout": [{"row": "A", "seats": 3}, {"row": "1", "seats": 0}],
    }
    return (
        "/api/screens/",
        body,
        {
            "layout": [
                "[1].row: A row label is 1 to 3 letters, e.g. 'A' or 'AA'.",
                "[1].seats: Ensure this value is greater than or equal to 1.",
            ]
        },
    )


def _showtime_with_bad_prices():
    body = {
        "movie": MovieFactory().pk,
        "screen": ScreenFactory().pk,
        "starts_at": _future(),
        "prices": {"standard": "-0", "premium": "\u0661\u0660"},
    }
    return (
        "/api/showtimes/",
        body,
        {
            "prices": [
                'standard: Price takes no sign: use 0.00 to 9999.99, such as "10.00".',
                'premium: Price must be a decimal string of digits 0-9, such as "10.00".',
            ]
        },
    )


def _reservation_with_a_blank_seat():
    body = {"showtime": ShowtimeFactory().pk, "seats": ["A1", ""]}
    return "/api/reservations/", body, {"seats": ["[1]: This field may not be blank."]}


@pytest.mark.parametrize(
    "case",
    [
        _screen_with_bad_second_row,
        _showtime_with_bad_prices,
        _reservation_with_a_blank_seat,
    ],
)
def test_fields_are_lists_of_messages_with_the_nested_path_in_front(staff_client, case):
    url, body, expected = case()

    err = error_of(staff_client.post(url, body), status.HTTP_400_BAD_REQUEST)

    assert err["fields"] == expected
    assert err["message"] == next(iter(expected.values()))[0]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/movies/", {"search": "nul\x00byte"}),
        ("/api/movies/", {"genre": "nul\x00byte"}),
        ("/api/movies/", {"ordering": "not_a_field"}),
        ("/api/theaters/", {"city": "nul\x00byte"}),
        ("/api/theaters/", {"search": "nul\x00byte"}),
        ("/api/showtimes/", {"city": "nul\x00byte"}),
        ("/api/showtimes/", {"date": "2030-02-30"}),
        ("/api/showtimes/", {"movie": "2" * 30}),
        ("/api/screens/", {"theater": "-1"}),
    ],
)
def test_odd_query_parameters_never_500(api_client, url, params):
    response = api_client.get(url, params)

    assert response.status_code in {status.HTTP_200_OK, status.HTTP_400_BAD_REQUEST}
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        error_of(response, status.HTTP_400_BAD_REQUEST, "invalid")


@pytest.mark.parametrize(
    "url", ["/api/movies/{}/", "/api/theaters/{}/", "/api/showtimes/{}/"]
)
def test_huge_ids_in_urls_are_404(api_client, url):
    error_of(
        api_client.get(url.format("9" * 30)), status.HTTP_404_NOT_FOUND, "not_found"
    )


# --- health, schema, docs ----------------------------------------------------------------


def test_health_is_ok(api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = api_client.get("/api/health/")

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"status": "ok"}


EVERY_PATH = [
    "/api/auth/register/",
    "/api/auth/token/",
    "/api/auth/token/refresh/",
    "/api/auth/logout/",
    "/api/auth/me/",
    "/api/movies/",
    "/api/movies/{id}/",
    "/api/theaters/",
    "/api/theaters/{id}/",
    "/api/screens/",
    "/api/screens/{id}/",
    "/api/showtimes/",
    "/api/showtimes/{id}/",
    "/api/showtimes/{id}/seats/",
    "/api/reservations/",
    "/api/reservations/{id}/",
    "/api/reservations/{id}/purchase/",
    "/api/health/",
    "/api/health/live/",
    "/api/health/ready/",
]


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema/")
    assert response.status_code == status.HTTP_200_OK
    return yaml.safe_load(response.content)


def test_schema_is_openapi_3_with_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    missing = [p for p in EVERY_PATH if p not in schema["paths"]]
    assert missing == []


def test_schema_describes_methods_shapes_and_auth(schema):
    movie_item = schema["paths"]["/api/movies/{id}/"]
    assert {"get", "put", "patch", "delete"} <= set(movie_item)
    create = schema["paths"]["/api/movies/"]["post"]
    assert "requestBody" in create
    assert "201" in create["responses"]
    assert "jwtAuth" in schema["components"]["securitySchemes"]
    assert {"jwtAuth": []} in create["security"]
    for name in ("Movie", "Theater", "Screen", "Showtime"):
        assert name in schema["components"]["schemas"]


def test_schema_as_json(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["openapi"].startswith("3.")


def test_docs_are_swagger_ui_served_locally(api_client):
    response = api_client.get("/api/docs/")

    assert response.status_code == status.HTTP_200_OK
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html
    assert "/api/schema/" in html


# --- admin -----------------------------------------------------------------------------


@pytest.fixture
def admin_client_with_data():
    showtime = ShowtimeFactory()
    UserFactory(roles=["manager"])
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client, showtime


def _registered_models():
    return [
        pytest.param(model, id=f"{model._meta.app_label}.{model._meta.model_name}")
        for model in admin.site._registry
    ]


@pytest.mark.parametrize("model", _registered_models())
def test_admin_changelist_loads(admin_client_with_data, model):
    client, _ = admin_client_with_data
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    response = client.get(url)

    assert response.status_code == status.HTTP_200_OK


@pytest.mark.parametrize("model", ["movie", "theater", "screen", "showtime"])
def test_admin_catalogue_change_and_add_pages_load(admin_client_with_data, model):
    client, showtime = admin_client_with_data
    objects = {
        "movie": showtime.movie,
        "theater": showtime.screen.theater,
        "screen": showtime.screen,
        "showtime": showtime,
    }
    obj = objects[model]
    opts = obj._meta

    change = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))

    assert change.status_code == status.HTTP_200_OK
    assert add.status_code == status.HTTP_200_OK


def test_admin_screen_page_shows_its_seats(admin_client_with_data):
    client, showtime = admin_client_with_data

    response = client.get(
        reverse("admin:theaters_screen_change", args=[showtime.screen_id])
    )

    assert b"A1" in response.content
    assert b"C8" in response.content


def test_admin_showtimes_filter_by_theater_and_date(admin_client_with_data):
    client, showtime = admin_client_with_data
    url = reverse("admin:showtimes_showtime_changelist")

    by_theater = client.get(
        url, {"screen__theater__id__exact": showtime.screen.theater_id}
    )
    by_date = client.get(
        url,
        {
            "starts_at__year": showtime.starts_at.year,
            "starts_at__month": showtime.starts_at.month,
            "starts_at__day": showtime.starts_at.day,
        },
    )

    assert by_theater.status_code == status.HTTP_200_OK
    assert by_theater.context["cl"].result_count == 1
    assert by_date.status_code == status.HTTP_200_OK
    assert by_date.context["cl"].result_count == 1


@pytest.mark.parametrize("url", ["/api/movies", "/api/health", "/api/auth/me"])
def test_missing_trailing_slash_is_404_naming_the_right_path(api_client, url):
    response = api_client.post(url, {})

    err = error_of(response, status.HTTP_404_NOT_FOUND, "not_found")
    assert f"{url}/" in err["message"]


def test_unknown_path_without_slash_gets_no_hint(api_client):
    err = error_of(api_client.get("/api/nope"), status.HTTP_404_NOT_FOUND, "not_found")

    assert "Did you mean" not in err["message"]


@pytest.mark.parametrize(
    "path", ["/api/movies/", "/api/theaters/", "/api/screens/", "/api/showtimes/"]
)
def test_schema_says_catalogue_reads_need_no_token_but_writes_do(schema, path):
    operations = schema["paths"][path]

    # No requirement at all (not an optional one): tools read any as "needs a token".
    assert "security" not in operations["get"]
    assert operations["post"]["security"] == [{"jwtAuth": []}]
    item = schema["paths"][f"{path}{{id}}/"]
    assert "security" not in item["get"]
    for method in ("put", "patch", "delete"):
        assert item[method]["security"] == [{"jwtAuth": []}]


def test_schema_says_me_needs_a_token(schema):
    assert schema["paths"]["/api/auth/me/"]["get"]["security"] == [{"jwtAuth": []}]


def test_post_to_an_unknown_api_path_is_a_json_404_not_a_csrf_page():
    client = APIClient(enforce_csrf_checks=True)
    response = client.post("/api/nope/", {"a": 1})
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
