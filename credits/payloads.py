"""A credit note as the API shows it (`CreditNoteSerializer`), rendered without DRF for the
outbox (spec 16); `credits/tests/test_events.py` holds the two to one output."""

from django.utils import timezone

from core.money import plain_formatter
from core.rendering import date_text, datetime_text
from invoices.payloads import line_payload
from invoices.tax import tax_breakdown

NOTE_MONEY = (
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "credited_to_invoice",
    "credited_to_balance",
    "refunded",
)


def credit_note_payload(note, *, lines):
    """`CreditNoteSerializer(note).data`; `lines` are the note's saved lines."""
    money = plain_formatter(note.minor_unit)
    data = {
        "id": note.pk,
        "number": note.number,
        "invoice": note.invoice_id,
        "customer": note.customer_id,
        "currency": note.currency,
        "lines": [line_payload(line, money) for line in lines],
    }
    for key in NOTE_MONEY[:4]:
        data[key] = money(getattr(note, key))
    data["tax_breakdown"] = tax_breakdown(lines, note.minor_unit)
    for key in NOTE_MONEY[4:]:
        data[key] = money(getattr(note, key))
    data["reason"] = note.reason
    data["issued_on"] = date_text(note.issued_on)
    data["created_by"] = note.created_by_id
    data["created_at"] = datetime_text(note.created_at, timezone.get_current_timezone())
    return data
