"""Payment links: a Stripe Checkout Session for an invoice's balance due (spec 15).

The call to Stripe goes through the official `stripe` library with the organization's own
secret key. No row is locked meanwhile: the link only offers to pay the balance as it is
now; whatever the payer pays is recorded by the webhook against the balance as it is then
(any excess goes to the customer's credit).
"""

from datetime import UTC, datetime

import stripe
from django.conf import settings

from core.errors import InvalidStatus
from core.events import log_event
from invoices.models import RECEIVABLE_STATUSES
from stripe_gateway.currencies import AmountNotChargeable, to_stripe
from stripe_gateway.exceptions import (
    StripeNotConfigured,
    StripeRejectedCredentials,
    StripeUnavailable,
)

# Retries of a POST reuse its idempotency key (the library's own retry logic).
MAX_NETWORK_RETRIES = 1
# Stripe's error codes for an amount outside what it can charge in the currency.
AMOUNT_ERROR_CODES = frozenset(
    {"amount_too_small", "amount_too_large", "invalid_charge_amount_no_decimal_compatible"}
)


def stripe_client(organization) -> stripe.StripeClient:
    """A client on the organization's own Stripe account (409 `stripe_not_configured`)."""
    secret_key = organization.stripe_secret("stripe_secret_key")
    if not secret_key:
        raise StripeNotConfigured()
    return stripe.StripeClient(secret_key, max_network_retries=MAX_NETWORK_RETRIES)


def invoice_metadata(invoice) -> dict[str, str]:
    """What the session and its PaymentIntent carry back to the webhook."""
    return {
        "invoice_id": str(invoice.pk),
        "invoice_number": invoice.number or "",
        "organization_id": str(invoice.organization_id),
    }


def create_payment_link(
    invoice, *, actor, idempotency_key=None, success_url=None, cancel_url=None
) -> dict:
    """A Checkout Session for `invoice`'s balance due: `{url, expires_at}`.

    The invoice must be sent or partially paid (409 `invalid_status`), its balance an
    amount Stripe can charge exactly (409 `amount_not_chargeable`), and its organization
    connected to Stripe (409 `stripe_not_configured`). `idempotency_key` (the request's
    Idempotency-Key) is passed on to Stripe."""
    if invoice.status not in RECEIVABLE_STATUSES:
        raise InvalidStatus("Only a sent or partially paid invoice can be paid by card.")
    units = to_stripe(invoice.balance_due, invoice.currency)
    client = stripe_client(invoice.organization)
    metadata = invoice_metadata(invoice)
    description = f"Invoice {invoice.number}"
    params = {
        "mode": "payment",
        "client_reference_id": str(invoice.pk),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": description},
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": invoice.currency.lower(),
                    "unit_amount": units,
                    "product_data": {"name": description},
                },
            }
        ],
        "success_url": success_url or settings.STRIPE_CHECKOUT_RETURN_URL,
        "cancel_url": cancel_url or settings.STRIPE_CHECKOUT_RETURN_URL,
    }
    if invoice.customer.email:
        params["customer_email"] = invoice.customer.email
    options = {"idempotency_key": idempotency_key} if idempotency_key else {}
    try:
        session = client.v1.checkout.sessions.create(params=params, options=options)
    except stripe.InvalidRequestError as error:
        if error.code in AMOUNT_ERROR_CODES:
            raise AmountNotChargeable(
                error.user_message or AmountNotChargeable.default_message
            ) from None
        raise StripeUnavailable(str(error)) from error
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        raise StripeRejectedCredentials() from error
    except stripe.StripeError as error:
        raise StripeUnavailable(str(error)) from error
    log_event(
        "stripe.payment_link_created",
        organization=invoice.organization_id,
        invoice=invoice.pk,
        session=session.id,
        actor=actor.pk,
    )
    return {"url": session.url, "expires_at": datetime.fromtimestamp(session.expires_at, tz=UTC)}
