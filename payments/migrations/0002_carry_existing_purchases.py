"""Carry purchases made before payments had rows of their own forward.

Every confirmed reservation that was paid (``amount_paid``) gets a succeeded
``Payment`` of the ``test`` provider (the only one that existed) with its
``payment_reference``, so its refunds go through the same path as new ones. A
cancelled purchase also gets its refund as a succeeded ``Refund``. The quote is the
reservation's seats as they stand.
"""

from django.db import migrations


def forward(apps, schema_editor):
    Reservation = apps.get_model("reservations", "Reservation")
    Payment = apps.get_model("payments", "Payment")
    Refund = apps.get_model("payments", "Refund")
    paid = (
        Reservation.objects.filter(
            status__in=["confirmed", "cancelled"], amount_paid__isnull=False
        )
        .select_related("showtime__screen__theater")
        .order_by("pk")
    )
    for reservation in paid.iterator():
        reference = reservation.payment_reference or f"legacy_{reservation.code}"
        seats = [
            [seat_id, ticket_type_id, str(price), str(discount)]
            for seat_id, ticket_type_id, price, discount in (
                reservation.reserved_seats.filter(is_active=True)
                .order_by("seat_id")
                .values_list("seat_id", "ticket_type_id", "price", "discount")
            )
        ]
        payment, _ = Payment.objects.get_or_create(
            provider="test",
            provider_id=reference,
            defaults={
                "reservation": reservation,
                "reservation_code": reservation.code,
                "amount": reservation.amount_paid,
                "currency": reservation.showtime.screen.theater.currency,
                "status": "succeeded",
                "quote": {
                    "seats": seats,
                    "total": str(reservation.amount_paid),
                    "voucher": reservation.voucher_id,
                },
            },
        )
        if reservation.payment_reference != reference:
            Reservation.objects.filter(pk=reservation.pk).update(
                payment_reference=reference
            )
        refunded = reservation.refund_amount
        if reservation.status == "cancelled" and refunded and refunded > 0:
            Refund.objects.get_or_create(
                idempotency_key=f"refund-test-{reference}-1",
                defaults={
                    "payment": payment,
                    "amount": min(refunded, payment.amount),
                    "provider_id": f"legacy_re_{reservation.code}",
                    "status": "succeeded",
                    "reason": "cancelled",
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("reservations", "0011_reservation_refunded"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
