from decimal import Decimal

from django.db import migrations, models


def fill_amount_paid(apps, schema_editor):
    """Carry what each purchase charged into the new column.

    The ``purchased`` audit event records the amount the gateway charged; it is the
    truth where total_price was changed by a racing seat change (the defect this
    column fixes). Paid reservations without such an event fall back to total_price.
    """
    Reservation = apps.get_model("reservations", "Reservation")
    ReservationEvent = apps.get_model("reservations", "ReservationEvent")
    charged = {}
    for reservation_id, details in (
        ReservationEvent.objects.filter(action="purchased", reservation__isnull=False)
        .order_by("at", "id")
        .values_list("reservation_id", "details")
        .iterator()
    ):
        amount = (details or {}).get("amount")
        if amount is not None:
            charged[reservation_id] = Decimal(str(amount))
    paid = Reservation.objects.filter(confirmed_at__isnull=False, amount_paid=None)
    for reservation in paid.only("pk", "total_price").iterator():
        reservation.amount_paid = charged.get(reservation.pk, reservation.total_price)
        reservation.save(update_fields=["amount_paid"])


class Migration(migrations.Migration):
    dependencies = [
        ("reservations", "0003_delete_history_with_showtime"),
    ]

    operations = [
        migrations.AddField(
            model_name="reservation",
            name="amount_paid",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="What the purchase charged; refunds are computed from it, never from total_price.",
                max_digits=10,
                null=True,
            ),
        ),
        migrations.RunPython(fill_amount_paid, migrations.RunPython.noop),
    ]
