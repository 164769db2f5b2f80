"""The movie list is built from plain rows (``movie_rows``): it must show exactly
what MovieSerializer shows for the same movies."""

from datetime import date

from rest_framework.renderers import JSONRenderer

from movies.models import Movie
from movies.serializers import MOVIE_ROW_FIELDS, MovieSerializer, movie_rows
from tests.factories import MovieFactory


def test_rows_equal_the_serializer(db):
    MovieFactory(release_date=date(2026, 5, 1), min_age=17, certificate="R")
    MovieFactory(release_date=None, min_age=0, synopsis="Ünïcode\u2028line")
    queryset = Movie.objects.order_by("id")

    by_serializer = MovieSerializer(queryset, many=True).data
    by_rows = movie_rows(queryset.values(*MOVIE_ROW_FIELDS))

    assert JSONRenderer().render(by_rows) == JSONRenderer().render(by_serializer)


def test_list_and_detail_agree_through_the_api(api_client, db):
    movie = MovieFactory(release_date=date(2027, 1, 2))

    listed = api_client.get("/api/movies/").json()["results"]

    assert listed == [api_client.get(f"/api/movies/{movie.pk}/").json()]
