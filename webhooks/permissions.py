"""Who may manage webhooks."""

from rest_framework.permissions import BasePermission

from movie_api.permissions import can_manage_webhooks


class IsWebhookManager(BasePermission):
    """Anonymous callers get 401 (through IsAuthenticated first); everyone but staff 403."""

    message = "Only staff may manage webhooks."

    def has_permission(self, request, view) -> bool:
        return can_manage_webhooks(request.user)
