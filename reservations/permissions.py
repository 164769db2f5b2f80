"""Who may change a reservation they are allowed to see."""

from rest_framework import permissions

from movie_api.permissions import (
    can_block_seats,
    can_issue_comp,
    can_refund_in_full,
    can_see_all_reservations,
    may_change_others_reservations,
)


class IsReservationOwnerOrStaff(permissions.BasePermission):
    """Reading follows the queryset's scope; changing is for the owner or staff.

    Box office users see every reservation (their role holds only view
    permissions), so without this check they could re-seat, buy or cancel a
    customer's booking. The one change they may make is cancelling a reservation
    whose showtime was cancelled (a full refund at the desk). Customers never get
    here for someone else's reservation: the queryset already answered 404.
    """

    message = "Only the reservation's owner or staff may change it."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        if obj.user_id == user.pk or may_change_others_reservations(user):
            return True
        return (
            request.method == "DELETE"
            and can_see_all_reservations(user)
            and obj.showtime.is_cancelled
        )


class CanIssueComp(permissions.BasePermission):
    """Box office and staff may comp a held reservation (any customer's)."""

    message = "Only box office and staff may comp a reservation."

    def has_permission(self, request, view) -> bool:
        return can_issue_comp(request.user)


class CanRefundInFull(permissions.BasePermission):
    """Box office and staff may refund any customer's purchase in full."""

    message = "Only box office and staff may refund a purchase in full."

    def has_permission(self, request, view) -> bool:
        return can_refund_in_full(request.user)


class CanBlockSeats(permissions.BasePermission):
    """Catalogue managers, box office and staff may see and change seat blocks."""

    message = "Only catalogue managers, box office and staff may block seats."

    def has_permission(self, request, view) -> bool:
        return can_block_seats(request.user)
