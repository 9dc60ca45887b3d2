"""A credit note as the API shows it (`CreditNoteSerializer`), rendered without DRF for the
outbox (spec 16); `credits/tests/test_events.py` holds the two to one output."""

from django.utils import timezone

from core.money import MONEY_STEP, format_plain, plain_formatter
from core.rendering import date_text, datetime_text
from invoices.payloads import line_payload

NOTE_MONEY = (
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "credited_to_invoice",
    "credited_to_balance",
    "refunded",
)


def tax_breakdown(note, lines):
    """`[{tax_rate, net, tax, total}]` by rate, rates shown like the lines' (4 places)."""
    # Imported here: `credits.models` imports this module.
    from credits.models import charged_by_rate

    return [
        {
            "tax_rate": f"{rate.quantize(MONEY_STEP):f}",
            "net": format_plain(net, note.minor_unit),
            "tax": format_plain(tax, note.minor_unit),
            "total": format_plain(net + tax, note.minor_unit),
        }
        for rate, (net, tax) in sorted(charged_by_rate(lines).items())
    ]


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
    data["tax_breakdown"] = tax_breakdown(note, lines)
    for key in NOTE_MONEY[4:]:
        data[key] = money(getattr(note, key))
    data["reason"] = note.reason
    data["issued_on"] = date_text(note.issued_on)
    data["created_by"] = note.created_by_id
    data["created_at"] = datetime_text(note.created_at, timezone.get_current_timezone())
    return data
