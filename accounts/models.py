"""The custom user model (from the first migration, as Django advises)."""

from django.contrib.auth.models import AbstractUser
from django.db import models

CATALOGUE_MANAGERS = "Catalogue managers"
BOX_OFFICE = "Box office"


class User(AbstractUser):
    email = models.EmailField("email address", blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def roles(self) -> list[str]:
        """Role names: every user is a customer; groups and flags add the rest."""
        names = ["customer"]
        group_names = {g.name for g in self.groups.all()}
        if CATALOGUE_MANAGERS in group_names:
            names.append("catalogue_manager")
        if BOX_OFFICE in group_names:
            names.append("box_office")
        if self.is_staff:
            names.append("staff")
        if self.is_superuser:
            names.append("superuser")
        return names
