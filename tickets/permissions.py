"""Permission classes for the box-office side of tickets."""

from rest_framework.permissions import BasePermission

from movie_api.permissions import can_check_in


class IsBoxOffice(BasePermission):
    """Anonymous callers get 401 (through IsAuthenticated first), customers 403."""

    message = "Only box office staff may check tickets in."

    def has_permission(self, request, view) -> bool:
        return can_check_in(request.user)
