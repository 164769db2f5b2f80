"""Create the throttle counters' cache table (settings.CACHES["throttle"]) on
databases that ran 0003 before it existed. createcachetable skips existing tables."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_username_canonical_unique")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
