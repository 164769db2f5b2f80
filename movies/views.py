"""Movie CRUD: anyone reads, catalogue managers write."""

from django.db import transaction
from rest_framework import filters, viewsets

from movie_api.permissions import CatalogueModelPermissions
from movie_api.views import CatalogueSchema, PlainRowListMixin

from .filters import MovieFilterSet
from .models import Movie
from .serializers import MOVIE_ROW_FIELDS, MovieSerializer, movie_rows


class MovieViewSet(PlainRowListMixin, viewsets.ModelViewSet):
    schema = CatalogueSchema()
    queryset = Movie.objects.order_by("title", "id")
    serializer_class = MovieSerializer
    row_fields = MOVIE_ROW_FIELDS

    def to_rows(self, values):
        return movie_rows(values)

    permission_classes = [CatalogueModelPermissions]
    filterset_class = MovieFilterSet
    filter_backends = [
        *viewsets.ModelViewSet.filter_backends,
        filters.SearchFilter,
    ]
    search_fields = ["title", "director", "synopsis"]
    ordering_fields = ["title", "release_date", "duration_minutes", "created_at", "id"]

    def perform_update(self, serializer):
        # Saving a new duration also moves the end of the movie's upcoming showtimes
        # (a pre_save hook in showtimes, which may refuse it); both commit together.
        with transaction.atomic():
            serializer.save()
