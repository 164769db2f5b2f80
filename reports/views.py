"""The sales and occupancy report, as JSON or as a CSV download."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from movie_api.csv_export import (
    CSVOrJSONErrorsMixin,
    CSVRenderer,
    FormatParameterNegotiation,
    stream_csv,
)

from . import selectors
from .permissions import IsReportReader
from .serializers import (
    SalesReportQuerySerializer,
    SalesReportSerializer,
    SalesRowSerializer,
)


class SalesReportView(CSVOrJSONErrorsMixin, APIView):
    """Admissions, money and occupancy per day, showtime, movie, theater or ticket
    type, and per currency. ``?format=csv`` or ``Accept: text/csv``: the same rows
    as a CSV download with a header line."""

    permission_classes = [permissions.IsAuthenticated, IsReportReader]
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]
    content_negotiation_class = FormatParameterNegotiation

    @extend_schema(
        parameters=[SalesReportQuerySerializer],
        responses={
            (200, "application/json"): SalesReportSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The rows, a header line first (the fields of results)",
            ),
        },
    )
    def get(self, request):
        query = SalesReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        theater, movie = params.get("theater"), params.get("movie")
        rows = selectors.get_sales_report(
            date_from=params["from"],
            date_to=params["to"],
            group_by=params["group_by"],
            theater_id=theater.pk if theater else None,
            movie_id=movie.pk if movie else None,
        )
        if isinstance(request.accepted_renderer, CSVRenderer):
            header = list(SalesRowSerializer().fields)
            return stream_csv(
                header=header,
                rows=(_values(row.as_dict(), header) for row in rows),
                filename=f"sales-{params['from']}-{params['to']}-"
                f"{params['group_by']}.csv",
            )
        return Response(
            {
                "from": params["from"].isoformat(),
                "to": params["to"].isoformat(),
                "group_by": params["group_by"],
                "theater": theater.pk if theater else None,
                "movie": movie.pk if movie else None,
                "results": [row.as_dict() for row in rows],
            }
        )


def _values(row: dict, header: list[str]) -> list:
    return [row[name] for name in header]
