"""The Stripe webhook: verify the signature, apply the event once."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from reservations.services.settlement import handle_payment_event

from .providers import get_provider
from .serializers import WebhookReceivedSerializer


class _RawParser(BaseParser):
    """Keep the body untouched: the signature covers its exact bytes."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {}


class StripeWebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    # Stripe posts every customer's events from a few addresses: a per-address
    # limit meant for one client would refuse them in a sell-out (429, retried
    # by Stripe hours later, the holds lapsed). The signature is the gate.
    throttle_classes: list = []
    parser_classes = [_RawParser]

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={200: WebhookReceivedSerializer},
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Stripe's signature of the body (t=...,v1=...).",
            )
        ],
    )
    def post(self, request):
        """Stripe events: payment_intent.succeeded, .payment_failed, charge.refunded.

        A missing, wrong or stale signature is 400 and changes nothing; an event id
        seen before is 200 with no second effect.
        """
        body = request.body
        event = get_provider("stripe").parse_webhook(
            payload=body, signature=request.headers.get("Stripe-Signature")
        )
        handle_payment_event(provider="stripe", event=event)
        return Response({"received": True}, status=status.HTTP_200_OK)
