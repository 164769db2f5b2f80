"""Showtime CRUD: anyone reads, catalogue managers write."""

from types import SimpleNamespace

from rest_framework import viewsets
from rest_framework.negotiation import DefaultContentNegotiation

from movie_api.permissions import CatalogueModelPermissions
from movie_api.views import CatalogueSchema, PlainRowListMixin

from . import selectors, services
from .filters import ShowtimeFilterSet
from .serializers import SHOWTIME_ROW_FIELDS, ShowtimeSerializer, showtime_rows


class FilmFormatNegotiation(DefaultContentNegotiation):
    """Here ``?format=`` filters by film format (2D, IMAX, ...). DRF reads that
    parameter as the renderer to use (URL_FORMAT_OVERRIDE), so ``?format=IMAX``
    answered 404; on showtimes only the Accept header picks the renderer."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


class ShowtimeViewSet(PlainRowListMixin, viewsets.ModelViewSet):
    schema = CatalogueSchema()
    content_negotiation_class = FilmFormatNegotiation
    serializer_class = ShowtimeSerializer
    permission_classes = [CatalogueModelPermissions]
    filterset_class = ShowtimeFilterSet
    ordering_fields = ["starts_at", "ends_at", "available_seats", "capacity", "id"]
    ordering = ["starts_at", "id"]
    queryset = selectors.list_showtimes()
    row_fields = SHOWTIME_ROW_FIELDS

    def to_rows(self, values):
        return showtime_rows(values)

    def get_queryset(self):
        return selectors.list_showtimes()

    def perform_create(self, serializer):
        showtime = services.create_showtime(**serializer.validated_data)
        serializer.instance = selectors.list_showtimes().get(pk=showtime.pk)

    def perform_update(self, serializer):
        showtime = services.update_showtime(
            showtime=serializer.instance,
            actor=self.request.user,
            **serializer.validated_data,
        )
        serializer.instance = selectors.list_showtimes().get(pk=showtime.pk)
