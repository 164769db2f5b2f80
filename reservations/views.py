"""Reservation endpoints and the seat map: HTTP in, service call, HTTP out."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from movie_api.permissions import can_see_all_reservations
from movie_api.throttling import HoldThrottle
from showtimes.models import Showtime
from theaters.models import Screen

from . import selectors, services
from .filters import ReservationFilterSet
from .idempotency import idempotent
from .models import Reservation
from .permissions import (
    CanBlockSeats,
    CanIssueComp,
    CanRefundInFull,
    IsReservationOwnerOrStaff,
)
from .serializers import (
    CancelSeatsSerializer,
    CompSerializer,
    PurchaseSerializer,
    RefundSerializer,
    ReservationCreateSerializer,
    ReservationEventSerializer,
    ReservationSerializer,
    ReservationUpdateSerializer,
    ScreenBlockCreateSerializer,
    ScreenBlockResultSerializer,
    SeatBlockCreateSerializer,
    SeatBlockSerializer,
    SeatMapEntrySerializer,
    SwapSerializer,
)

IDEMPOTENCY_PARAM = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Makes the request safe to retry: a repeat replays the first answer.",
)


class ReservationViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Reservation.objects.none()  # for the schema; get_queryset scopes it
    serializer_class = ReservationSerializer
    permission_classes = [permissions.IsAuthenticated, IsReservationOwnerOrStaff]
    filterset_class = ReservationFilterSet
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    # Actions that only need the row to scope and authorise: their service re-reads
    # it under the lock, and the answer (if any) is built by _fresh. No joins.
    LEAN_ACTIONS = {
        "history",
        "destroy",
        "update",
        "partial_update",
        "purchase",
        "comp",
        "cancel_seats",
        "refund",
    }

    def get_queryset(self):
        if self.action in self.LEAN_ACTIONS:
            return selectors.list_reservation_rows(user=self.request.user)
        return selectors.list_reservations_for_display(user=self.request.user)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":  # holding seats is what a scalper repeats
            throttles.append(HoldThrottle())
        return throttles

    def _fresh(self, reservation) -> dict:
        fresh = selectors.list_reservations_for_display(user=self.request.user).get(
            pk=reservation.pk
        )
        return ReservationSerializer(fresh).data

    @extend_schema(
        request=ReservationCreateSerializer,
        responses={201: ReservationSerializer},
        parameters=[IDEMPOTENCY_PARAM],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = ReservationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = services.create_reservation(
            user=request.user,
            showtime=data.validated_data["showtime"],
            labels=data.validated_data["labels"],
            ticket_types=data.validated_data.get("ticket_types"),
            voucher=data.validated_data.get("voucher") or None,
            accessible=data.validated_data["accessible"],
            group_name=data.validated_data.get("group_name", "").strip(),
        )
        return Response(self._fresh(reservation), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ReservationUpdateSerializer, responses={200: ReservationSerializer}
    )
    def update(self, request, *args, **kwargs):
        reservation = self.get_object()
        data = ReservationUpdateSerializer(
            data=request.data, context={"group_name": reservation.group_name}
        )
        data.is_valid(raise_exception=True)
        showtime = data.validated_data.get("showtime")
        if showtime is not None and showtime.pk != reservation.showtime_id:
            raise ValidationError(
                {"showtime": ["A reservation's showtime cannot change."]}
            )
        reservation = services.change_seats(
            reservation=reservation,
            labels=data.validated_data["labels"],
            ticket_types=data.validated_data.get("ticket_types"),
            voucher=data.validated_data.get("voucher", services.KEEP),
            actor=request.user,
            accessible=data.validated_data["accessible"],
        )
        return Response(self._fresh(reservation))

    @extend_schema(
        request=ReservationUpdateSerializer, responses={200: ReservationSerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.cancel_reservation(reservation=instance, actor=self.request.user)

    @extend_schema(
        request=PurchaseSerializer,
        responses={200: ReservationSerializer},
        parameters=[IDEMPOTENCY_PARAM],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def purchase(self, request, pk=None):
        reservation = self.get_object()
        data = PurchaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = services.purchase_reservation(
            reservation=reservation,
            payment_token=data.validated_data.get("payment_token"),
            actor=request.user,
        )
        return Response(self._fresh(reservation))

    @extend_schema(request=SwapSerializer, responses={200: ReservationSerializer})
    @action(detail=True, methods=["post"], url_path="swap-seats")
    def swap_seats(self, request, pk=None):
        """Move a purchase to other seats of the same price; new tickets."""
        reservation = self.get_object()
        data = SwapSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = services.swap_seats(
            reservation=reservation,
            from_labels=data.validated_data["from"],
            to_labels=data.validated_data["to"],
            actor=request.user,
            accessible=data.validated_data["accessible"],
        )
        return Response(self._fresh(reservation))

    @extend_schema(
        request=CancelSeatsSerializer, responses={200: ReservationSerializer}
    )
    @action(detail=True, methods=["post"], url_path="cancel-seats")
    def cancel_seats(self, request, pk=None):
        """Give back some seats of a purchase: refunded less the fee of the tier."""
        reservation = self.get_object()
        data = CancelSeatsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = services.cancel_seats(
            reservation=reservation,
            labels=data.validated_data["seats"],
            actor=request.user,
        )
        return Response(self._fresh(reservation))

    @extend_schema(request=RefundSerializer, responses={200: ReservationSerializer})
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, CanRefundInFull],
    )
    def refund(self, request, pk=None):
        """Box office and staff refund a purchase in full, at any time, audited."""
        reservation = self.get_object()
        data = RefundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = services.refund_in_full(
            reservation=reservation,
            actor=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(self._fresh(reservation))

    @extend_schema(request=CompSerializer, responses={200: ReservationSerializer})
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, CanIssueComp],
    )
    def comp(self, request, pk=None):
        """Box office gives a held reservation away: every seat free, audited."""
        reservation = self.get_object()
        data = CompSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = services.comp_reservation(
            reservation=reservation,
            actor=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(self._fresh(reservation))

    @extend_schema(responses={200: ReservationEventSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        """The reservation's audit trail, oldest first (read-only)."""
        reservation = self.get_object()
        page = self.paginate_queryset(
            selectors.list_reservation_events(reservation=reservation)
        )
        serializer = ReservationEventSerializer(
            page,
            many=True,
            context={
                "reservation_owner_id": reservation.user_id,
                "viewer_id": request.user.pk,
                "viewer_sees_all": can_see_all_reservations(request.user),
            },
        )
        return self.get_paginated_response(serializer.data)


class SeatMapView(APIView):
    """Every seat of a showtime with its category, price and live status."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: SeatMapEntrySerializer(many=True)})
    def get(self, request, pk: int):
        # Served as cached bytes (see selectors.get_seat_map_json): everyone polls
        # the seat map of a premiere. ConditionalGetMiddleware answers a matching
        # If-None-Match with 304.
        rendered = selectors.get_seat_map_json(showtime_id=pk)
        if rendered is None:
            raise Http404("No showtime with this id.")
        response = HttpResponse(rendered.body, content_type="application/json")
        response["ETag"] = rendered.etag
        response["Cache-Control"] = "no-cache"
        return response


class _SeatBlockListView(generics.ListAPIView):
    """The active seat blocks of one showtime or one screen (``owner``)."""

    permission_classes = [permissions.IsAuthenticated, CanBlockSeats]
    serializer_class = SeatBlockSerializer
    filter_backends: list = []
    owner: type[Showtime] | type[Screen]
    owner_field: str  # "showtime_id" or "screen_id"

    def get_queryset(self):
        return selectors.list_seat_blocks(**{self.owner_field: self.kwargs["pk"]})

    def get_owner(self):
        return get_object_or_404(self.owner.objects.only("pk"), pk=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        self.get_owner()  # an unknown showtime or screen is a 404, not an empty page
        return super().list(request, *args, **kwargs)


class ShowtimeBlockListView(_SeatBlockListView):
    """A showtime's active seat blocks; POST blocks seats on it."""

    owner, owner_field = Showtime, "showtime_id"

    @extend_schema(
        request=SeatBlockCreateSerializer, responses={201: SeatBlockSerializer}
    )
    def post(self, request, pk: int):
        showtime = self.get_owner()
        data = SeatBlockCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block = services.block_seats(
            showtime=showtime,
            labels=data.validated_data["seats"],
            reason=data.validated_data["reason"],
            note=data.validated_data.get("note", ""),
            actor=request.user,
        )
        fresh = self.get_queryset().get(pk=block.pk)
        return Response(SeatBlockSerializer(fresh).data, status=status.HTTP_201_CREATED)


class ScreenBlockListView(_SeatBlockListView):
    """A screen's active seat blocks; POST blocks seats on all its showtimes."""

    owner, owner_field = Screen, "screen_id"

    @extend_schema(
        request=ScreenBlockCreateSerializer,
        responses={201: ScreenBlockResultSerializer},
    )
    def post(self, request, pk: int):
        screen = self.get_owner()
        data = ScreenBlockCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.block_screen_seats(
            screen=screen,
            labels=data.validated_data["seats"],
            reason=data.validated_data["reason"],
            note=data.validated_data.get("note", ""),
            until=data.validated_data.get("until"),
            actor=request.user,
        )
        fresh = self.get_queryset().get(pk=result.block.pk)
        body = {
            **SeatBlockSerializer(fresh).data,
            "blocked": result.blocked,
            "skipped": result.skipped,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class _SeatBlockDetailView(generics.GenericAPIView):
    """DELETE puts a block's seats back on sale (the row stays as the record)."""

    permission_classes = [permissions.IsAuthenticated, CanBlockSeats]
    serializer_class = SeatBlockSerializer
    owner_field: str

    @staticmethod
    def remove(*, block, actor) -> None:
        raise NotImplementedError

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int, block_id: int):
        blocks = selectors.list_seat_blocks(**{self.owner_field: pk})
        self.remove(block=get_object_or_404(blocks, pk=block_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShowtimeBlockDetailView(_SeatBlockDetailView):
    """DELETE puts a showtime block's seats back on sale."""

    owner_field = "showtime_id"
    remove = staticmethod(services.remove_block)


class ScreenBlockDetailView(_SeatBlockDetailView):
    """DELETE puts a screen block's seats back on sale on every showtime."""

    owner_field = "screen_id"
    remove = staticmethod(services.remove_screen_block)
