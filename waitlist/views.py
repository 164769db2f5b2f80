"""Waiting lists: join a showtime's list, see one's entries, leave."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from showtimes.models import Showtime

from . import selectors, services
from .models import WaitlistEntry
from .serializers import WaitlistEntrySerializer, WaitlistJoinSerializer


class ShowtimeWaitlistView(APIView):
    """Join a showtime's waiting list (any signed-in customer)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=WaitlistJoinSerializer,
        responses={201: WaitlistEntrySerializer},
        operation_id="showtimes_waitlist_join",
    )
    def post(self, request, pk: int):
        showtime = get_object_or_404(Showtime, pk=pk)
        data = WaitlistJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.join_waitlist(
            user=request.user, showtime=showtime, seats=data.validated_data["seats"]
        )
        fresh = selectors.list_entries(user=request.user).get(pk=entry.pk)
        return Response(
            WaitlistEntrySerializer(fresh).data, status=status.HTTP_201_CREATED
        )


class WaitlistEntryViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """One's own waiting-list entries (newest first); DELETE leaves the list (or
    lets an offer go)."""

    queryset = WaitlistEntry.objects.none()  # for the schema; get_queryset scopes it
    serializer_class = WaitlistEntrySerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.list_entries(user=self.request.user)

    def perform_destroy(self, instance):
        services.leave_waitlist(entry=instance, actor=self.request.user)
