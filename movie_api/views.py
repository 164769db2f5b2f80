"""Project-level endpoints (health check) and the schema class the catalogue shares."""

from django.db import OperationalError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .exceptions import error_body
from .schema import ApiSchema


class HealthView(APIView):
    """200 after a database round trip; 503 when the database cannot be reached."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={
            200: inline_serializer("Health", {"status": serializers.CharField()})
        }
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except OperationalError:
            return Response(
                error_body("service_unavailable", "The database is unreachable."),
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "1"},
            )
        return Response({"status": "ok"})


class CatalogueSchema(ApiSchema):
    """The catalogue viewsets name this; ApiSchema documents their anonymous reads."""
