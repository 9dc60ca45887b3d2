"""Credit-note and write-off events in the outbox (spec 16), with the API's view as
payload; a refused command writes none."""

import pytest

from core.models import OutboxEvent
from credits.exceptions import CreditExceedsInvoice
from credits.serializers import CreditNoteSerializer
from credits.tests.factories import credit, write_off
from invoices.models import Invoice
from invoices.serializers import InvoiceSerializer
from invoices.tests.factories import InvoiceFactory, line
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def payloads(event_type):
    return [e.payload for e in OutboxEvent.objects.filter(type=event_type).order_by("pk")]


def test_a_credit_note_writes_credit_note_created_as_the_api_shows_it(organization):
    invoice = InvoiceFactory(
        organization=organization,
        sent=True,
        lines=[line(unit_price="100.00", tax_rate="10"), line(unit_price="50.00", tax_rate="0")],
    )
    PaymentFactory(invoice=invoice, amount="150.00")
    note = credit(invoice, "30.00", tax_rate="10", refund=True)

    [payload] = payloads("credit_note.created")
    assert payload == CreditNoteSerializer(note).data
    assert payload["number"] == note.number
    assert payload["tax_breakdown"] == [
        {"category": "S", "rate": "10.0000", "taxable": "30.00", "tax": "3.00"}
    ]
    # Its refund is a payment row with its own event.
    assert len(payloads("payment.refunded")) == 1


def test_a_write_off_writes_invoice_written_off_as_the_api_shows_it(organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    write_off(invoice)

    [payload] = payloads("invoice.written_off")
    shown = Invoice.objects.with_is_overdue(organization.today()).get(pk=invoice.pk)
    assert payload == InvoiceSerializer(shown).data
    assert payload["status"] == "uncollectible"
    assert payload["written_off_total"] == "100.00"


def test_a_refused_credit_note_writes_no_event(organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    PaymentFactory(invoice=invoice, amount="80.00")
    before = OutboxEvent.objects.count()
    with pytest.raises(CreditExceedsInvoice):
        credit(invoice, "100.01")
    assert OutboxEvent.objects.count() == before
    assert payloads("credit_note.created") == []
