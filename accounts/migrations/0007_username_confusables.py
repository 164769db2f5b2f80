"""Fold ASCII confusables (0/o, 1/l/I, rn/m, vv/w, cl/d) into the canonical username:
recompute every account's canonical form, renaming later holders of a name that
is now taken twice (as 0004 did). The unique constraint is lifted here and put
back by 0008, so that the schema change does not follow these updates in one
PostgreSQL transaction."""

import importlib

from django.db import migrations

_0004 = importlib.import_module("accounts.migrations.0004_username_canonical")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_throttle_cache_table")]

    operations = [
        migrations.RemoveConstraint(
            model_name="user", name="uniq_user_username_canonical"
        ),
        migrations.RunPython(_0004.fill_canonical, migrations.RunPython.noop),
    ]
