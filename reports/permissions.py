"""Who may read the reports."""

from rest_framework.permissions import BasePermission

from movie_api.permissions import can_view_sales_reports


class IsReportReader(BasePermission):
    """Anonymous callers get 401 (through IsAuthenticated first); customers and box
    office 403."""

    message = "Only catalogue managers and staff may read sales reports."

    def has_permission(self, request, view) -> bool:
        return can_view_sales_reports(request.user)
