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
