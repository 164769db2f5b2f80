"""Errors of the payment providers, as the API shows them."""

from rest_framework import status

from movie_api.exceptions import DomainError


class PaymentProviderUnavailable(DomainError):
    """The provider could not be reached or did not answer in time."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "payment_provider_unavailable"
    message = (
        "The payment provider did not answer; nothing was charged or changed. "
        "Try again shortly."
    )
    retry_after = 5


class InvalidWebhook(DomainError):
    """A webhook whose signature is missing, wrong or stale, or whose body is bad."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_webhook"
    message = "The webhook's signature or body could not be verified."


class RefundRefused(Exception):
    """The provider refused a refund as asked (e.g. more than is left unrefunded,
    because some was refunded at the provider meanwhile). Internal: never shown."""
