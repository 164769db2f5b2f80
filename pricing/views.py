"""Ticket types (anyone reads), price cards and vouchers (pricing managers only)."""

from rest_framework import viewsets

from movie_api.permissions import CatalogueModelPermissions
from movie_api.views import CatalogueSchema

from .models import PriceCard, TicketType, Voucher
from .permissions import IsPricingManager
from .serializers import PriceCardSerializer, TicketTypeSerializer, VoucherSerializer


class TicketTypeViewSet(viewsets.ModelViewSet):
    schema = CatalogueSchema()
    queryset = TicketType.objects.order_by("id")
    serializer_class = TicketTypeSerializer
    permission_classes = [CatalogueModelPermissions]
    ordering_fields = ["id", "code", "min_age"]
    filterset_fields = ["requires_id"]


class PriceCardViewSet(viewsets.ModelViewSet):
    queryset = PriceCard.objects.order_by("-priority", "id")
    serializer_class = PriceCardSerializer
    permission_classes = [IsPricingManager]
    ordering_fields = ["priority", "name", "id"]
    filterset_fields = ["theater"]


class VoucherViewSet(viewsets.ModelViewSet):
    queryset = Voucher.objects.prefetch_related(
        "movies", "theaters", "ticket_types"
    ).order_by("-created_at", "-id")
    serializer_class = VoucherSerializer
    permission_classes = [IsPricingManager]
    ordering_fields = ["created_at", "code", "id"]
    filterset_fields = ["kind", "is_comp"]
