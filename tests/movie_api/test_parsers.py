"""The JSON parser: input that used to reach a 500 is a 400 ``parse_error``."""

import pytest
from rest_framework import status

from tests.factories import ShowtimeFactory

pytestmark = pytest.mark.django_db


def post_raw(client, url, body: str):
    return client.post(url, data=body.encode(), content_type="application/json")


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1E400"])
def test_a_number_that_overflows_a_float_is_a_parse_error(auth_client, number):
    showtime = ShowtimeFactory()
    body = f'{{"showtime": {number}, "seats": ["A1"]}}'

    response = post_raw(auth_client, "/api/reservations/", body)

    assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
    assert response.json()["error"]["code"] == "parse_error"
    assert not showtime.reservations.exists()


@pytest.mark.parametrize("username", ['"\\ud800"', '"customer\\udfff"', '"\\udc00x"'])
def test_a_lone_surrogate_is_a_parse_error_even_at_login(
    api_client, username, settings
):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login": "10/min"}

    response = post_raw(
        api_client, "/api/auth/token/", f'{{"username": {username}, "password": "x"}}'
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
    assert response.json()["error"]["code"] == "parse_error"


def test_lone_surrogates_are_found_in_keys_and_nested_values(manager_client):
    response = post_raw(
        manager_client,
        "/api/movies/",
        '{"title": "T", "duration_minutes": 90, "x": [{"\\ud800": 1}]}',
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("10.00000000000000000001", "at most 2 decimal places"),
        ("1e-400", "digits 0-9"),
        ("1e2", "digits 0-9"),
    ],
)
def test_prices_sent_as_numbers_are_judged_as_written(manager_client, price, message):
    showtime = ShowtimeFactory()
    response = manager_client.patch(
        f"/api/showtimes/{showtime.pk}/",
        data=f'{{"prices": {{"standard": {price}, "premium": "15.00"}}}}'.encode(),
        content_type="application/json",
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
    assert message in " ".join(response.json()["error"]["fields"]["prices"])


def test_a_plain_decimal_number_still_works_as_a_price(manager_client):
    showtime = ShowtimeFactory()
    response = manager_client.patch(
        f"/api/showtimes/{showtime.pk}/",
        data=b'{"prices": {"standard": 12.5, "premium": 15}}',
        content_type="application/json",
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["prices"] == {"standard": "12.50", "premium": "15.00"}


@pytest.mark.parametrize("value", ["1.5", "1e0", "true", '"x"', "0"])
def test_ids_in_bodies_are_whole_numbers(auth_client, manager_client, value):
    """Found by testing from outside: {"showtime": 1.5} held seats on showtime 1."""
    showtime = ShowtimeFactory()
    hold = post_raw(
        auth_client,
        "/api/reservations/",
        f'{{"showtime": {value}, "seats": ["A1"]}}',
    )
    move = manager_client.patch(
        f"/api/showtimes/{showtime.pk}/",
        data=f'{{"movie": {value}}}'.encode(),
        content_type="application/json",
    )

    for response, field in ((hold, "showtime"), (move, "movie")):
        assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
        assert list(response.json()["error"]["fields"]) == [field]
    assert not showtime.reservations.exists()
