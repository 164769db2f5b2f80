"""Store each showtime's business date, computed for the rows that exist.

A show belongs to the business day of its theater's local time, which starts at
BUSINESS_DAY_STARTS_AT: 00:30 local on a Saturday is Friday's programme. The rule
is written out here, not imported, so this migration keeps doing what it did when
the app's helpers change.
"""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models


def business_date(starts_at, timezone_name, day_starts_at):
    local = starts_at.astimezone(ZoneInfo(timezone_name))
    if local.time() >= day_starts_at or local.date() == date.min:
        return local.date()
    return local.date() - timedelta(days=1)


def fill_business_dates(apps, schema_editor):
    Showtime = apps.get_model("showtimes", "Showtime")
    day_starts_at = settings.BUSINESS_DAY_STARTS_AT
    rows = Showtime.objects.select_related("screen__theater").only(
        "pk", "starts_at", "screen__theater__timezone"
    )
    batch = []
    for showtime in rows.order_by("pk").iterator(chunk_size=2000):
        showtime.business_date = business_date(
            showtime.starts_at, showtime.screen.theater.timezone, day_starts_at
        )
        batch.append(showtime)
        if len(batch) == 2000:
            Showtime.objects.bulk_update(batch, ["business_date"])
            batch = []
    Showtime.objects.bulk_update(batch, ["business_date"])


class Migration(migrations.Migration):
    dependencies = [
        ("showtimes", "0003_showtime_seats_version"),
        ("theaters", "0003_theater_timezone_currency"),
    ]

    operations = [
        migrations.AddField(
            model_name="showtime",
            name="business_date",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunPython(fill_business_dates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="showtime",
            name="business_date",
            field=models.DateField(
                editable=False,
                help_text="The theater's business day this show belongs to (derived "
                "from starts_at, the theater's time zone and BUSINESS_DAY_STARTS_AT).",
            ),
        ),
        migrations.AddIndex(
            model_name="showtime",
            index=models.Index(
                fields=["business_date", "starts_at", "id"],
                name="showtime_business_date_idx",
            ),
        ),
    ]
