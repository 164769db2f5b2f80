"""Ticket QR codes, box-office check-in and best-available seats."""

import io
from decimal import Decimal

import segno
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from showtimes.models import Showtime

from . import selectors, services
from .permissions import IsBoxOffice
from .serializers import (
    BestSeatsQuerySerializer,
    BestSeatsSerializer,
    CheckInResultSerializer,
    CheckInSerializer,
)


class _JSONForErrors(BaseContentNegotiation):
    """The QR view answers SVG, and JSON errors, whatever the client's Accept says.

    An ``<img>`` or ``fetch`` asking for ``image/svg+xml`` alone must not get a 406.
    """

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class TicketQRCodeView(APIView):
    """A ticket's QR code as SVG; it encodes the ticket code and nothing else."""

    permission_classes = [permissions.IsAuthenticated]
    content_negotiation_class = _JSONForErrors

    @extend_schema(
        responses={
            (200, "image/svg+xml"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The QR code as SVG"
            )
        }
    )
    def get(self, request, code: str):
        ticket = get_object_or_404(
            selectors.list_visible_tickets(user=request.user), code=code
        )
        buffer = io.BytesIO()
        segno.make(ticket.code, error="m", micro=False).save(
            buffer,
            kind="svg",
            scale=4,
            border=4,
            dark="#000",
            light="#fff",
            xmldecl=False,
            title=f"Ticket {ticket.seat.label}",
        )
        response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
        # A ticket's code never changes; the image is personal, so never shared.
        response["Cache-Control"] = "private, max-age=3600"
        return response


class CheckInView(APIView):
    """Box office: let a ticket in, once, within its showtime's check-in window."""

    permission_classes = [permissions.IsAuthenticated, IsBoxOffice]

    @extend_schema(request=CheckInSerializer, responses={200: CheckInResultSerializer})
    def post(self, request):
        data = CheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.check_in_ticket(
            code=data.validated_data["code"], actor=request.user
        )
        return Response(CheckInResultSerializer(ticket).data)


class BestSeatsView(APIView):
    """The best free block of ``count`` adjacent seats in one row of a showtime."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "count",
                int,
                required=True,
                description="1 to the most seats per reservation",
            ),
            OpenApiParameter(
                "category",
                str,
                required=False,
                description="Seat category, e.g. standard; any when left out",
            ),
            OpenApiParameter(
                "accessible",
                bool,
                required=False,
                description="1: propose a wheelchair space (with a companion seat "
                "beside it for 2 seats or more); otherwise wheelchair and companion "
                "places are never proposed",
            ),
        ],
        responses={200: BestSeatsSerializer},
    )
    def get(self, request, pk: int):
        query = BestSeatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        showtime = get_object_or_404(
            Showtime.objects.select_related("screen__theater").only(
                "id",
                "screen_id",
                "prices",
                "starts_at",
                "business_date",  # which screen blocks apply
                "is_cancelled",
                "screen__theater__currency",
            ),
            pk=pk,
        )
        count = query.validated_data["count"]
        category = query.validated_data.get("category")
        block = selectors.get_best_seats(
            showtime=showtime,
            count=count,
            category=category,
            accessible=query.validated_data["accessible"],
        )
        return Response(
            BestSeatsSerializer(
                {
                    "showtime": showtime.pk,
                    "count": count,
                    "category": category,
                    "row": block[0]["row"],
                    "seats": [seat["label"] for seat in block],
                    "total_price": sum(Decimal(seat["price"]) for seat in block),
                    "currency": showtime.screen.theater.currency,
                }
            ).data
        )
