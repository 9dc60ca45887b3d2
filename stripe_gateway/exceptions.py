"""Error codes of the Stripe integration (spec 15)."""

from core.errors import ConflictError, DomainError
from stripe_gateway.currencies import AmountNotChargeable

__all__ = [
    "AmountNotChargeable",
    "CurrencyMismatch",
    "InvalidEvent",
    "InvalidSignature",
    "StripeNotConfigured",
    "StripeRejectedCredentials",
    "StripeUnavailable",
    "UnknownInvoice",
]


class StripeNotConfigured(ConflictError):
    code = "stripe_not_configured"
    default_message = (
        "This organization has not connected Stripe: an admin sets stripe_secret_key and "
        "stripe_webhook_secret with PATCH organization/."
    )


class StripeRejectedCredentials(ConflictError):
    code = "stripe_credentials_rejected"
    default_message = "Stripe refused the organization's API key; an admin must replace it."


class StripeUnavailable(Exception):
    """Stripe did not answer, or answered with an error of its own: the request may succeed
    later (the API answers 502 `payment_provider_unavailable`)."""


class InvalidSignature(DomainError):
    code = "invalid_signature"
    default_message = (
        "The Stripe-Signature header does not match this body under the organization's "
        "webhook secret, or its timestamp is more than 5 minutes old."
    )


class InvalidEvent(DomainError):
    code = "invalid_event"
    default_message = "The body is not a Stripe event FinTrack can read."


class UnknownInvoice(DomainError):
    code = "unknown_invoice"
    default_message = "The event names an invoice that is not this organization's."


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"
    default_message = "The event's currency is not its invoice's currency."
