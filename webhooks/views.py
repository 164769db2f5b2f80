"""/api/webhooks/: staff register endpoints and read their delivery attempts."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .models import DeliveryAttempt, Endpoint
from .permissions import IsWebhookManager
from .serializers import (
    DeliveryAttemptSerializer,
    EndpointCreatedSerializer,
    EndpointSerializer,
)


class EndpointViewSet(viewsets.ModelViewSet):
    """Webhook endpoints. The signing secret is in the create answer only."""

    permission_classes = [permissions.IsAuthenticated, IsWebhookManager]
    serializer_class = EndpointSerializer
    queryset = Endpoint.objects.order_by("id")

    @extend_schema(responses={201: EndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.create_endpoint(**serializer.validated_data)
        return Response(
            EndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_endpoint(
            endpoint=serializer.instance, **serializer.validated_data
        )

    @extend_schema(responses=DeliveryAttemptSerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """Delivery attempts to this endpoint, newest first."""
        endpoint = self.get_object()
        attempts = DeliveryAttempt.objects.filter(
            delivery__endpoint=endpoint
        ).select_related("delivery__event")
        page = self.paginate_queryset(attempts)
        return self.get_paginated_response(
            DeliveryAttemptSerializer(page, many=True).data
        )
