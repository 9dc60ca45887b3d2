"""Stripe as the tests see it: signed webhook deliveries (Stripe's real signing scheme,
computed here), the events Stripe sends, and counts of what a delivery may write."""

import hashlib
import hmac
import json
import time

from stripe_gateway.models import StripeEvent, StripePayment, StripeRefund

SECRET_KEY = "sk_test_51FinTrackTestKey"
WEBHOOK_SECRET = "whsec_fintrackTestSecret"
SESSIONS_URL = "https://api.stripe.com/v1/checkout/sessions"


def connect(organization, *, secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET):
    fields = organization.set_stripe_secrets(
        stripe_secret_key=secret_key, stripe_webhook_secret=webhook_secret
    )
    organization.save(update_fields=fields)
    return organization


def sign(payload: str, secret=WEBHOOK_SECRET, timestamp=None) -> str:
    """Stripe's signing scheme: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(client, organization, event, *, secret=WEBHOOK_SECRET, timestamp=None, body=None):
    """POST `event` to the organization's webhook as Stripe does; `body` replaces the signed
    payload (a body changed after signing)."""
    payload = json.dumps(event)
    return client.post(
        f"/webhooks/stripe/{organization.pk}/",
        data=payload if body is None else body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret, timestamp),
    )


_counter = iter(range(1, 10**9))


def event(type_, obj, *, event_id=None, created=None):
    return {
        "id": event_id or f"evt_{next(_counter)}",
        "object": "event",
        "type": type_,
        "created": int(time.time()) if created is None else created,
        "livemode": False,
        "api_version": "2026-10-28.endive",
        "data": {"object": obj},
    }


def intent_succeeded(invoice, *, units, payment_intent="pi_1", currency=None, **fields):
    return event(
        "payment_intent.succeeded",
        {
            "id": payment_intent,
            "object": "payment_intent",
            "amount": units,
            "amount_received": units,
            "currency": (currency or invoice.currency).lower(),
            "status": "succeeded",
            "metadata": {"invoice_id": str(invoice.pk)},
        },
        **fields,
    )


def session_event(
    invoice, *, units, payment_intent="pi_1", type_="checkout.session.completed", paid=True,
    **fields,
):  # fmt: skip
    return event(
        type_,
        {
            "id": "cs_test_1",
            "object": "checkout.session",
            "mode": "payment",
            "amount_total": units,
            "currency": invoice.currency.lower(),
            "client_reference_id": str(invoice.pk),
            "metadata": {"invoice_id": str(invoice.pk)},
            "payment_intent": payment_intent,
            "payment_status": "paid" if paid else "unpaid",
            "status": "complete",
        },
        **fields,
    )


def charge_refunded(invoice, *, refunds, payment_intent="pi_1", units=None, **fields):
    """`refunds`: [(refund id, units), ...], every one listed in the charge."""
    listed = [
        {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": invoice.currency.lower(),
            "status": "succeeded",
            "created": 1_700_000_000 + index,
        }
        for index, (refund_id, amount) in enumerate(refunds)
    ]
    return event(
        "charge.refunded",
        {
            "id": "ch_1",
            "object": "charge",
            "amount": units or sum(amount for _, amount in refunds),
            "amount_refunded": sum(amount for _, amount in refunds),
            "currency": invoice.currency.lower(),
            "payment_intent": payment_intent,
            "refunded": True,
            "refunds": {"object": "list", "data": listed, "has_more": False},
        },
        **fields,
    )


def recorded():
    """Every table a delivery may write, re-read, to prove a refusal wrote nothing: the
    records' counts, and the invoices' and customers' credit money as stored."""
    from invoices.models import Invoice
    from payments.credit import CreditEntry, CustomerCredit
    from payments.models import Payment

    return {
        "events": StripeEvent.objects.count(),
        "stripe_payments": StripePayment.objects.count(),
        "stripe_refunds": StripeRefund.objects.count(),
        "payments": Payment.objects.count(),
        "credit_entries": CreditEntry.objects.count(),
        "credit_balances": sorted(
            CustomerCredit.objects.values_list("customer_id", "currency", "amount")
        ),
        "invoices": sorted(
            Invoice.objects.values_list("pk", "amount_paid", "balance_due", "status", "version")
        ),
    }
