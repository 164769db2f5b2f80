"""Theater and screen CRUD: anyone reads, catalogue managers write."""

from django.db.models import Prefetch
from rest_framework import filters, viewsets

from movie_api.permissions import CatalogueModelPermissions
from movie_api.views import CatalogueSchema

from . import services
from .filters import ScreenFilterSet, TheaterFilterSet
from .models import Screen, Theater
from .serializers import ScreenSerializer, TheaterSerializer


class TheaterViewSet(viewsets.ModelViewSet):
    schema = CatalogueSchema()
    serializer_class = TheaterSerializer
    permission_classes = [CatalogueModelPermissions]
    filterset_class = TheaterFilterSet
    filter_backends = [*viewsets.ModelViewSet.filter_backends, filters.SearchFilter]
    search_fields = ["name", "location", "city"]
    ordering_fields = ["name", "city", "id"]
    queryset = Theater.objects.prefetch_related(
        Prefetch("screens", queryset=Screen.objects.order_by("name", "id"))
    ).order_by("name", "id")

    def perform_update(self, serializer):
        # Through the service: a new time zone moves its showtimes' business dates
        # in the same transaction.
        serializer.instance = services.update_theater(
            theater=serializer.instance, **serializer.validated_data
        )


class ScreenViewSet(viewsets.ModelViewSet):
    schema = CatalogueSchema()
    serializer_class = ScreenSerializer
    permission_classes = [CatalogueModelPermissions]
    filterset_class = ScreenFilterSet
    ordering_fields = ["name", "id", "capacity"]
    queryset = Screen.objects.order_by("theater_id", "name", "id")

    def perform_create(self, serializer):
        serializer.instance = services.create_screen(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_screen(
            screen=serializer.instance, **serializer.validated_data
        )
