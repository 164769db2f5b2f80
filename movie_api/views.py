"""Project-level endpoints (health check) and the schema class the catalogue shares."""

from django.db import OperationalError, connection
from drf_spectacular import openapi
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .exceptions import error_body


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


class CatalogueSchema(openapi.AutoSchema):
    """Documents that anyone may read the catalogue: reads list "no auth" as well.

    drf-spectacular only recognises AllowAny and IsAuthenticatedOrReadOnly, not
    DjangoModelPermissionsOrAnonReadOnly, so without this every catalogue read
    would look as if it needed a token.
    """

    def get_auth(self):
        auths = super().get_auth()
        anonymous_reads = any(
            isinstance(p, permissions.DjangoModelPermissionsOrAnonReadOnly)
            for p in self.view.get_permissions()
        )
        if (
            anonymous_reads
            and self.method in permissions.SAFE_METHODS
            and {} not in auths
        ):
            auths.append({})
        return auths
