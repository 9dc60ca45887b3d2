"""Issue 12 item 4: every command's history row says why (`history_change_reason`), not only
who and what: the command's name, on the row it writes and on the invoice it recomputes."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from invoices.models import InvoiceLine
from invoices.tests.factories import InvoiceFactory, line
from payments.models import Payment
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    return UserFactory()


def latest(obj):
    """The newest history row of `obj`: (reason, user)."""
    row = obj.history.order_by("-history_id").first()
    return row.history_change_reason, row.history_user


def test_draft_commands_say_so_on_the_invoice_and_its_lines(organization, actor):
    invoice = InvoiceFactory(organization=organization, actor=actor)
    assert latest(invoice) == ("create_draft", actor)
    first_line = invoice.lines.get()
    invoice.update_draft(actor=actor, lines=[line(unit_price="5.00")])
    assert latest(invoice) == ("update_draft", actor)
    lines = InvoiceLine.history.filter(invoice_id=invoice.pk)
    assert lines.get(id=first_line.pk, history_type="+").history_change_reason == "create_draft"
    assert lines.get(id=first_line.pk, history_type="-").history_change_reason == "update_draft"
    assert {row.history_change_reason for row in lines.exclude(id=first_line.pk)} == {
        "update_draft"
    }
    invoice.refresh_from_db()
    invoice.delete_draft(actor=actor)
    assert invoice.history.order_by("-history_id").first().history_change_reason == ("delete_draft")


def test_send_and_void_say_so(organization, actor):
    invoice = InvoiceFactory(organization=organization)
    invoice.send(actor=actor)
    assert latest(invoice) == ("send", actor)
    invoice.void(reason="Issued by mistake", actor=actor)
    assert latest(invoice) == ("void", actor)


def test_pay_refund_and_reverse_say_so_on_the_payment_row_and_the_invoice(organization, actor):
    invoice = InvoiceFactory(organization=organization, sent=True)
    payment = PaymentFactory(invoice=invoice, amount="60.00", actor=actor)
    assert (latest(payment), latest(invoice)) == (("pay", actor), ("pay", actor))
    reversal = payment.reverse(actor=actor, reason="Bounced")
    assert (latest(reversal), latest(invoice)) == (("reverse", actor), ("reverse", actor))
    PaymentFactory(invoice=invoice, amount="30.00", actor=actor)
    refund = Payment.refund(invoice, amount=Decimal("10.00"), actor=actor, reason="Goodwill")
    assert (latest(refund), latest(invoice)) == (("refund", actor), ("refund", actor))


def test_archive_and_restore_say_so(organization, actor):
    customer = CustomerFactory(organization=organization)
    customer.archive(actor=actor)
    assert latest(customer) == ("archive", actor)
    customer.restore(actor=actor)
    assert latest(customer) == ("restore", actor)
