"""Ids in paths past what the database holds name no row: 404, never a 500.

Found by the schema fuzzer: DELETE /api/screens/<27 digits>/seat-blocks/135/
reached SQLite as an OverflowError through the block's screen lookup.
"""

import pytest
from rest_framework import status

from movie_api.converters import MAX_ID

pytestmark = pytest.mark.django_db

PATHS = [
    ("get", "/api/showtimes/{id}/seats/"),
    ("get", "/api/showtimes/{id}/blocks/"),
    ("delete", "/api/showtimes/{id}/blocks/135/"),
    ("get", "/api/screens/{id}/seat-blocks/"),
    ("delete", "/api/screens/{id}/seat-blocks/135/"),
    ("post", "/api/showtimes/{id}/waitlist/"),
    ("get", "/api/showtimes/{id}/best-seats/?count=2"),
]


@pytest.mark.parametrize("number", [MAX_ID + 1, 10**26])
@pytest.mark.parametrize(("method", "path"), PATHS)
def test_an_id_past_the_database_range_is_404(staff_client, method, path, number):
    response = getattr(staff_client, method)(path.format(id=number))

    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_the_largest_id_is_looked_up_and_not_found(staff_client, method, path):
    response = getattr(staff_client, method)(path.format(id=MAX_ID))

    assert response.status_code == status.HTTP_404_NOT_FOUND
