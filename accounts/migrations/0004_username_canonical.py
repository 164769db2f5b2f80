"""Usernames unique ignoring case and Unicode spelling: add the canonical column
and fill it, renaming the later accounts of any name that is taken twice."""

import sys

from django.db import migrations, models

import accounts.models
import accounts.usernames
from accounts.usernames import canonical_username


def fill_canonical(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    users = list(
        # Who keeps a contested name: superusers, then staff, then the oldest account.
        User.objects.order_by("-is_superuser", "-is_staff", "pk").only("username")
    )
    unavailable = {canonical_username(u.username) for u in users}
    kept = set()
    for user in users:
        key = canonical_username(user.username)
        if key in kept:
            old = user.username
            user.username = _free_name(old, user.pk, unavailable)
            key = canonical_username(user.username)
            unavailable.add(key)
            sys.stdout.write(
                f"\n  accounts: user {user.pk} renamed from {old!r} to "
                f"{user.username!r} (the name was taken in another spelling)"
            )
        kept.add(key)
        user.username_canonical = key
        user.save(update_fields=["username", "username_canonical"])


def _free_name(username, pk, unavailable):
    for attempt in range(1, 1000):
        suffix = f"-{pk}" if attempt == 1 else f"-{pk}-{attempt}"
        candidate = username[: 150 - len(suffix)] + suffix
        if canonical_username(candidate) not in unavailable:
            return candidate
    raise RuntimeError(f"no free username for user {pk}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_cache_table")]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[("objects", accounts.models.UserManager())],
        ),
        migrations.AlterField(
            model_name="user",
            name="username",
            field=models.CharField(
                error_messages={"unique": "A user with that username already exists."},
                help_text=(
                    "Required. 150 characters or fewer. ASCII letters, digits and "
                    "@/./+/-/_ only. Unique ignoring case."
                ),
                max_length=150,
                unique=True,
                validators=[accounts.usernames.UsernameValidator()],
                verbose_name="username",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="username_canonical",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.RunPython(fill_canonical, migrations.RunPython.noop),
    ]
