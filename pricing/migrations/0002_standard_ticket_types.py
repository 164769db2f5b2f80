from django.db import migrations


def seed(apps, schema_editor):
    from pricing.models import ensure_standard_ticket_types

    ensure_standard_ticket_types(apps)


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
