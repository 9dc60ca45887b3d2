"""Invoice events in the outbox (spec 16): one per lifecycle step, the API's view as payload."""

from datetime import timedelta

import pytest
import time_machine

from accounts.models import User
from core.models import OutboxEvent
from invoices.models import Invoice
from invoices.serializers import InvoiceSerializer
from invoices.tests.factories import InvoiceFactory, line
from payments.models import Payment


def payloads(event_type):
    return [e.payload for e in OutboxEvent.objects.filter(type=event_type).order_by("created_at")]


def as_api_shows(invoice):
    invoice = Invoice.objects.with_is_overdue(invoice.organization.today()).get(pk=invoice.pk)
    return InvoiceSerializer(invoice).data


@pytest.mark.django_db
def test_each_lifecycle_step_writes_its_event_with_the_invoice_as_the_api_shows_it(
    organization,
):
    actor = User.objects.system_actor()
    invoice = InvoiceFactory(
        organization=organization, lines=[line(unit_price="12.50", quantity="2", tax_rate="10")]
    )
    assert payloads("invoice.created") == [as_api_shows(invoice)]

    invoice.send(actor=actor)
    assert payloads("invoice.sent") == [as_api_shows(invoice)]

    Payment.pay(invoice, amount="10.00", method="cash", actor=actor)
    assert payloads("invoice.paid") == []  # partly paid is not paid
    Payment.pay(invoice, amount="17.50", method="cash", actor=actor)
    assert payloads("invoice.paid") == [as_api_shows(invoice)]

    draft = InvoiceFactory(organization=organization)
    draft.void(reason="Duplicate", actor=actor)
    assert payloads("invoice.voided") == [as_api_shows(draft)]


@pytest.mark.django_db
def test_overdue_is_announced_once_on_the_day_the_invoice_becomes_overdue(organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="30.00")
    due = invoice.due_date

    assert Invoice.emit_overdue_events(organization, today=due) == 0  # due today: not yet
    assert Invoice.emit_overdue_events(organization, today=due + timedelta(days=1)) == 1
    assert Invoice.emit_overdue_events(organization, today=due + timedelta(days=2)) == 0

    [payload] = payloads("invoice.overdue")
    assert payload["id"] == invoice.pk and payload["number"] == invoice.number


@pytest.mark.django_db
def test_paid_and_long_overdue_invoices_are_not_announced(organization):
    paid = InvoiceFactory(organization=organization, paid=True, total="30.00")
    assert Invoice.emit_overdue_events(organization, today=paid.due_date + timedelta(days=1)) == 0

    old = InvoiceFactory(organization=organization, sent=True, total="30.00")
    assert Invoice.emit_overdue_events(organization, today=old.due_date + timedelta(days=30)) == 0
    assert payloads("invoice.overdue") == []


@pytest.mark.django_db
def test_the_payload_is_the_invoice_at_the_time_of_the_change_not_later(organization):
    actor = User.objects.system_actor()
    with time_machine.travel("2026-03-02 10:00:00Z", tick=False):
        invoice = InvoiceFactory(organization=organization, total="40.00")
        invoice.send(actor=actor)
    Payment.pay(invoice, amount="40.00", method="cash", actor=actor)

    [sent] = payloads("invoice.sent")
    assert sent["status"] == "sent" and sent["amount_paid"] == "0.00"
    assert sent["sent_at"] == "2026-03-02T10:00:00Z"
