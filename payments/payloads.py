"""A payment row as the API shows it (`PaymentSerializer`), rendered without DRF for the
outbox (spec 16); `payments/tests/test_events.py` holds the two to one output."""

from django.utils import timezone

from core.money import format_plain
from core.rendering import datetime_text


def payment_payload(payment, *, minor_unit):
    """The row as `PaymentSerializer` renders it; `minor_unit` is its invoice's. A row
    just recorded has no reversal yet."""
    reversal = getattr(payment, "reversed_by", None) if payment.kind == "payment" else None
    return {
        "id": payment.pk,
        "invoice": payment.invoice_id,
        "kind": payment.kind,
        "amount": format_plain(payment.amount, minor_unit),
        "currency": payment.currency,
        "reference": payment.reference,
        "method": payment.method or None,
        "received_on": payment.received_on.isoformat(),
        "reverses": payment.reverses_id,
        "reversed_by": reversal.pk if reversal is not None else None,
        "reason": payment.reason,
        "notes": payment.notes,
        "created_by": payment.created_by_id,
        "created_at": datetime_text(payment.created_at, timezone.get_current_timezone()),
    }
