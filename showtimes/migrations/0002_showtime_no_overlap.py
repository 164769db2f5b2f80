"""PostgreSQL only: the database refuses overlapping showtimes on one screen.

An exclusion constraint over tstzrange(starts_at, ends_at, '[)') with && plus
screen with = (btree_gist), ignoring cancelled showtimes. SQLite has no equivalent;
there the service checks inside the IMMEDIATE transaction.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

ADD = """
ALTER TABLE showtimes_showtime ADD CONSTRAINT showtime_no_overlap
EXCLUDE USING gist (screen_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
WHERE (NOT is_cancelled)
"""
DROP = "ALTER TABLE showtimes_showtime DROP CONSTRAINT IF EXISTS showtime_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("showtimes", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraint, drop_constraint),
    ]
