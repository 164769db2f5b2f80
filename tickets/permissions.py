"""Permission classes for the box-office side of tickets."""

from rest_framework.permissions import BasePermission

from accounts.models import BOX_OFFICE


def is_box_office(user) -> bool:
    """Box office staff: members of the "Box office" group, staff and superusers."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return user.groups.filter(name=BOX_OFFICE).exists()


class IsBoxOffice(BasePermission):
    """Anonymous callers get 401 (through IsAuthenticated first), customers 403."""

    message = "Only box office staff may check tickets in."

    def has_permission(self, request, view) -> bool:
        return is_box_office(request.user)
