"""Admin for reservations: read-only seats, tickets and audit trail; cancel through
the service."""

from django.contrib import admin, messages
from django.db.models import Count

from movie_api.admin import ReadOnlyTabularInline, ViewOnlyMixin, csv_export_action
from movie_api.exceptions import DomainError

from . import services
from .models import Reservation, ReservationEvent, ReservedSeat, SeatBlock, Ticket

EVENT_FIELDS = (
    "at",
    "action",
    "from_status",
    "to_status",
    "actor_username",
    "details",
    "request_id",
)


class ReservedSeatInline(ReadOnlyTabularInline):
    model = ReservedSeat
    fields = (
        "seat",
        "ticket_type",
        "price",
        "discount",
        "fee",
        "is_active",
        "held_until",
    )


class TicketInline(ReadOnlyTabularInline):
    model = Ticket
    fields = ("code", "seat", "is_void", "checked_in_at")


class ReservationEventInline(ViewOnlyMixin, admin.TabularInline):
    """The reservation's history, oldest first; nobody edits it."""

    model = ReservationEvent
    fields = EVENT_FIELDS
    readonly_fields = fields
    ordering = ("at", "id")
    extra = 0
    can_delete = False


@admin.register(ReservationEvent)
class ReservationEventAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The audit log: viewable by whoever may view it, never added, changed or deleted."""

    list_display = (
        "at",
        "reservation_code",
        "action",
        "from_status",
        "to_status",
        "actor_username",
        "request_id",
    )
    list_filter = ("action", "at")
    search_fields = (
        "reservation_code",
        "actor_username",
        "reservation__user__username",
        "request_id",
    )
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    fields = ("reservation", "reservation_code", "actor", *EVENT_FIELDS)
    readonly_fields = fields


@admin.register(SeatBlock)
class SeatBlockAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Seat blocks and their removals, as an audit trail: made and removed through
    the API, whose service takes the showtime locks (the admin would not)."""

    list_display = (
        "id",
        "showtime",
        "screen",
        "reason",
        "created_at",
        "created_by_username",
        "removed_at",
        "removed_by_username",
    )
    list_filter = ("reason", "created_at", ("removed_at", admin.EmptyFieldListFilter))
    list_select_related = ("showtime__movie", "showtime__screen", "screen")
    search_fields = ("note", "created_by_username", "removed_by_username")
    ordering = ("-created_at", "-id")
    fields = (
        "showtime",
        "screen",
        "seats",
        "reason",
        "note",
        "starts_from",
        "until",
        "created_at",
        "created_by_username",
        "removed_at",
        "removed_by_username",
    )
    readonly_fields = fields


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


EXPORT_COLUMNS = [
    ("code", lambda r: r.code),
    ("status", lambda r: r.status),
    ("user", lambda r: r.user.username),
    ("showtime", lambda r: r.showtime_id),
    ("movie", lambda r: r.showtime.movie.title),
    ("theater", lambda r: r.showtime.screen.theater.name),
    ("screen", lambda r: r.showtime.screen.name),
    ("starts_at", lambda r: _iso(r.showtime.starts_at)),
    ("business_date", lambda r: r.showtime.business_date.isoformat()),
    ("seats", lambda r: r.seat_count),
    ("currency", lambda r: r.showtime.screen.theater.currency),
    ("total_price", lambda r: r.total_price),
    ("discount_total", lambda r: r.discount_total),
    ("voucher", lambda r: r.voucher.code if r.voucher else None),
    ("amount_paid", lambda r: r.amount_paid),
    ("refund_amount", lambda r: r.refund_amount),
    ("payment_reference", lambda r: r.payment_reference),
    ("created_at", lambda r: _iso(r.created_at)),
    ("confirmed_at", lambda r: _iso(r.confirmed_at)),
    ("cancelled_at", lambda r: _iso(r.cancelled_at)),
]


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    """Reservations are read here and cancelled through the action; nothing is
    edited on a reservation's page (its state changes only through services)."""

    # Foreign keys and dates are never wrapped in a change-list cell, so the full
    # showtime ("<movie> @ <theater> / <screen> <start>") and created_at pushed
    # the list past the width of a 1280 px screen; the date hierarchy above the
    # list already offers created_at.
    list_display = ("code", "user", "showtime_summary", "status", "total_price")
    list_filter = ("status", "created_at", "showtime__screen__theater")
    search_fields = ("code", "user__username", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("user", "showtime", "showtime__movie")
    raw_id_fields = ("showtime", "user")
    readonly_fields = (
        "user",
        "showtime",
        "status",
        "code",
        "total_price",
        "discount_total",
        "voucher",
        "expires_at",
        "created_at",
        "confirmed_at",
        "cancelled_at",
        "refund_amount",
        "fee",
        "payment_reference",
    )
    inlines = [ReservedSeatInline, TicketInline, ReservationEventInline]
    actions = [
        "cancel_selected",
        csv_export_action(
            name="reservations",
            columns=EXPORT_COLUMNS,
            prepare=lambda queryset: (
                queryset.select_related(
                    "user", "voucher", "showtime__movie", "showtime__screen__theater"
                )
                .annotate(seat_count=Count("reserved_seats"))
                .order_by("pk")
            ),
            description="Export selected reservations as CSV",
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Per object: no form to save, so the page is view-only (no Save buttons,
        # a POST is 403). In general: the change permission still gates the action.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Deleting would skip the services: no refund, no audit event, and the
        # seats (a checked-in one included) offered for sale again. Cancel instead.
        return False

    @admin.display(description="showtime", ordering="showtime__starts_at")
    def showtime_summary(self, reservation: Reservation) -> str:
        showtime = reservation.showtime
        return f"{showtime.movie.title}, {showtime.starts_at:%Y-%m-%d %H:%M}"

    @admin.action(description="Cancel selected reservations", permissions=["change"])
    def cancel_selected(self, request, queryset):
        done = 0
        for reservation in queryset:
            try:
                services.cancel_reservation(reservation=reservation, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(
                    request, f"{reservation.code}: {exc.message}", messages.WARNING
                )
        self.message_user(request, f"Cancelled {done} reservation(s).")
