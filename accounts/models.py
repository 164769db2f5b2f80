"""The custom user model (from the first migration, as Django advises)."""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models

from movie_api.permissions import role_names

from .usernames import UsernameValidator, canonical_username

USERNAME_TAKEN = "A user with that username already exists."


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username):
        """Any spelling of a username finds its account (login, createsuperuser)."""
        return self.get(username_canonical=canonical_username(str(username)))


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text=(
            "Required. 150 characters or fewer. ASCII letters, digits and @/./+/-/_ "
            "only. Unique ignoring case."
        ),
        validators=[UsernameValidator()],
        error_messages={"unique": USERNAME_TAKEN},
    )
    # canonical_username(username), kept by save(): the unique key that makes
    # "Customer" and "customer" one account. Not a varchar: NFKC and casefolding
    # can lengthen a (legacy, non-ASCII) name past 150 characters.
    username_canonical = models.TextField(editable=False)
    email = models.EmailField("email address", blank=True)

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["username_canonical"],
                name="uniq_user_username_canonical",
                violation_error_message=USERNAME_TAKEN,
            )
        ]

    def save(self, *args, **kwargs):
        self.username_canonical = canonical_username(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_canonical"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        # Forms (the admin) validate before save() fills the column and leave the
        # constraint out (the column is not a form field): check it here.
        self.username_canonical = canonical_username(self.username)
        others = type(self)._default_manager.exclude(pk=self.pk)
        if others.filter(username_canonical=self.username_canonical).exists():
            raise ValidationError({"username": USERNAME_TAKEN})

    def roles(self) -> list[str]:
        """Role names, as ``movie_api.permissions.role_names`` reads them."""
        return role_names(self)
