"""How payments, refunds and a started payment look in answers."""

from rest_framework import serializers

from .models import Payment, Refund


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "provider_id", "status", "reason", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "provider",
            "provider_id",
            "amount",
            "currency",
            "status",
            "failure_code",
            "created_at",
            "refunds",
        ]
        read_only_fields = fields


class PaymentPendingSerializer(serializers.Serializer):
    """202 from a purchase the customer completes with Stripe.js."""

    status = serializers.ChoiceField(choices=["payment_pending"])
    client_secret = serializers.CharField(allow_null=True)
    payment_intent = serializers.CharField()


class WebhookReceivedSerializer(serializers.Serializer):
    received = serializers.BooleanField()
