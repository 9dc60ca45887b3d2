"""A payment row as the API shows it (`PaymentSerializer`), rendered without DRF for the
outbox (spec 16); `payments/tests/test_events.py` holds the two to one output."""

from django.utils import timezone

from core.money import format_plain, plain_formatter
from core.rendering import datetime_text


def payment_payload(payment, *, minor_unit):
    """The row as `PaymentSerializer` renders it; `minor_unit` is its invoice's. A row
    just recorded has no reversal yet."""
    reversible = payment.kind in ("payment", "credit")
    reversal = getattr(payment, "reversed_by", None) if reversible else None
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
        # A row recorded by pay/ carries what went to credit, as pay/'s answer does.
        **(
            {"credited_to_balance": format_plain(payment.credited_to_balance, minor_unit)}
            if hasattr(payment, "credited_to_balance")
            else {}
        ),
    }


def receipt_payload(receipt, allocation_rows):
    """The receipt as `ReceiptSerializer` renders it; `allocation_rows` are its payment
    rows in the order they were written."""
    money = plain_formatter(receipt.minor_unit)
    return {
        "id": receipt.pk,
        "customer": receipt.customer_id,
        "currency": receipt.currency,
        "amount": money(receipt.amount),
        "allocated": money(receipt.allocated),
        "unallocated": money(receipt.unallocated),
        "method": receipt.method,
        "reference": receipt.reference,
        "received_on": receipt.received_on.isoformat(),
        "allocations": allocations_payload(allocation_rows),
        "reversed_at": datetime_text(receipt.reversed_at, timezone.get_current_timezone()),
        "reversal_reason": receipt.reversal_reason,
        "notes": receipt.notes,
        "created_by": receipt.created_by_id,
        "created_at": datetime_text(receipt.created_at, timezone.get_current_timezone()),
    }


def allocations_payload(rows):
    """A receipt's allocations: its payment rows, each with its invoice's digits."""
    return [
        {
            "invoice": row.invoice_id,
            "payment": row.pk,
            "amount": format_plain(row.amount, row.invoice.minor_unit),
        }
        for row in rows
    ]
