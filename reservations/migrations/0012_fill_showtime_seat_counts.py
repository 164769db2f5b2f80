"""Fill the showtimes' denormalised seat counts from the existing claims (the same
recount as ``reservations.services.audit.seat_counts``, for every showtime at once)."""

from datetime import UTC, datetime

from django.db import migrations
from django.db.models import Count

STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"  # showtimes.models.deadline_stamp


def fill(apps, schema_editor):
    ReservedSeat = apps.get_model("reservations", "ReservedSeat")
    Showtime = apps.get_model("showtimes", "Showtime")
    counts: dict[int, dict] = {}
    for showtime_id in (
        ReservedSeat.objects.order_by().values_list("showtime_id", flat=True).distinct()
    ):
        counts[showtime_id] = {"claimed": 0, "deadlines": []}
    for showtime_id, held_until, seats in (
        ReservedSeat.objects.filter(is_active=True)
        .order_by()
        .values("showtime_id", "held_until")
        .annotate(seats=Count("pk"))
        .values_list("showtime_id", "held_until", "seats")
    ):
        entry = counts[showtime_id]
        entry["claimed"] += seats
        if held_until is not None:
            entry["deadlines"].append([held_until.astimezone(UTC).strftime(STAMP), seats])
    ids = sorted(counts)
    for start in range(0, len(ids), 500):
        batch = list(Showtime.objects.filter(pk__in=ids[start : start + 500]))
        for showtime in batch:
            entry = counts[showtime.pk]
            deadlines = sorted(entry["deadlines"])
            showtime.has_claims = True
            showtime.seats_claimed = entry["claimed"]
            showtime.hold_deadlines = deadlines
            showtime.holds_lapse_at = None
            if deadlines:
                showtime.holds_lapse_at = datetime.strptime(
                    deadlines[0][0], STAMP
                ).replace(tzinfo=UTC)
        Showtime.objects.bulk_update(
            batch, ["has_claims", "seats_claimed", "hold_deadlines", "holds_lapse_at"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reservations", "0011_reservation_refunded"),
        ("showtimes", "0007_showtime_seat_counts"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
