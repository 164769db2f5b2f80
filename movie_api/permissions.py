"""Permission classes shared by the catalogue apps."""

from rest_framework.permissions import (
    SAFE_METHODS,
    DjangoModelPermissionsOrAnonReadOnly,
)


class CatalogueModelPermissions(DjangoModelPermissionsOrAnonReadOnly):
    """Anyone reads; writes need the model permission (the Catalogue managers role).

    The same decisions as DRF's class, which grants every safe method to everyone
    too, but without building the view's queryset just to learn its model on every
    read (a second list query construction per request in the profile).
    """

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().has_permission(request, view)


# --- Role checks ---------------------------------------------------------------------
# The one place that says what a role may do. A role is a Group holding permissions
# (accounts.roles); staff are the users with the admin's ``is_staff`` flag, and
# superusers hold every permission. Apps ask these functions, never group names or
# flags.


def is_staff_member(user) -> bool:
    """Staff: the admin's ``is_staff`` flag, or a superuser."""
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


def can_see_all_reservations(user) -> bool:
    """Box office and staff see every reservation; customers only their own."""
    return is_staff_member(user) or bool(
        user
        and user.is_authenticated
        and user.has_perm("reservations.view_all_reservations")
    )


def can_check_in(user) -> bool:
    """Box office and staff let tickets in at the door."""
    return is_staff_member(user) or bool(
        user and user.is_authenticated and user.has_perm("reservations.check_in_ticket")
    )


def can_issue_comp(user) -> bool:
    """Box office and staff give a held reservation away (a comp)."""
    return is_staff_member(user) or bool(
        user and user.is_authenticated and user.has_perm("reservations.issue_comp")
    )


def can_refund_in_full(user) -> bool:
    """Box office and staff refund a purchase in full at any time, with a reason."""
    return is_staff_member(user) or bool(
        user and user.is_authenticated and user.has_perm("reservations.refund_in_full")
    )


def can_book_groups(user) -> bool:
    """Box office and staff hold seats for a named group, beyond a customer's limits."""
    return is_staff_member(user) or bool(
        user and user.is_authenticated and user.has_perm("reservations.book_groups")
    )


def can_block_seats(user) -> bool:
    """Catalogue managers, box office and staff withdraw seats from sale (blocks)."""
    return is_staff_member(user) or bool(
        user and user.is_authenticated and user.has_perm("reservations.block_seats")
    )


def can_view_sales_reports(user) -> bool:
    """Catalogue managers and staff read sales and occupancy reports."""
    return is_staff_member(user) or bool(
        user and user.is_authenticated and user.has_perm("reports.view_sales_report")
    )


def role_names(user) -> list[str]:
    """What ``/api/auth/me/`` lists: every user is a customer; the permissions a
    role's group grants, and the staff and superuser flags, add the rest. A
    superuser holds every permission, so only the flag names that role."""
    names = ["customer"]
    if not user.is_superuser:
        if user.has_perm("showtimes.change_showtime"):
            names.append("catalogue_manager")
        if user.has_perm("reservations.view_all_reservations"):
            names.append("box_office")
    if user.is_staff:
        names.append("staff")
    if user.is_superuser:
        names.append("superuser")
    return names


def may_change_others_reservations(user) -> bool:
    """Staff may re-seat, buy or cancel a reservation that is not theirs."""
    return is_staff_member(user)


def may_cancel_after_cutoff(user) -> bool:
    """Staff may cancel a purchase after the owner's cancellation cutoff."""
    return is_staff_member(user)
