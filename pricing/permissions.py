"""Who may read and write pricing policy (price cards, vouchers)."""

from rest_framework.permissions import DjangoModelPermissions

from movie_api.permissions import is_staff_member


class IsPricingManager(DjangoModelPermissions):
    """Catalogue managers (the model permissions, reading included) and staff.

    Pricing policy is not public: anonymous callers get 401, customers and box
    office 403, even to read.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if is_staff_member(request.user):
            return True
        return super().has_permission(request, view)
