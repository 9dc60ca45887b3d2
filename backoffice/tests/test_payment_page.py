"""A payment's page: read-only, linked to its invoice and customer, with a Reverse button
while the payment can still be reversed."""

from decimal import Decimal

import pytest

from accounts.models import Role
from backoffice.tests.builders import change_url, command_url, overdue_invoice, staff
from fintrack.tests.helpers import snapshot
from payments.models import Payment, PaymentKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization):
    return staff(organization, Role.FINANCE)


@pytest.fixture
def payment(organization, finance):
    invoice = overdue_invoice(organization, total="100.00")
    return Payment.pay(invoice, amount=Decimal("60.00"), method="cash", actor=finance)


def has_reverse_button(response):
    return 'data-command="reverse"' in response.content.decode()


def test_payment_page_links_its_invoice_and_customer(client, finance, payment):
    client.force_login(finance)
    page = client.get(change_url(payment)).content.decode()
    assert f'href="{change_url(payment.invoice)}"' in page
    assert f'href="{change_url(payment.invoice.customer)}"' in page
    assert "$60.00" in page


def test_reverse_button_reverses_through_the_model(client, finance, payment):
    client.force_login(finance)
    assert has_reverse_button(client.get(change_url(payment)))
    client.post(command_url(payment, "reverse"), {"reason": "bounced"})
    reversal = Payment.objects.get(reverses=payment)
    assert reversal.kind == PaymentKind.REVERSAL
    assert reversal.created_by == finance
    # Reversed once: no button any more, and a second try changes nothing.
    assert not has_reverse_button(client.get(change_url(payment)))
    before = snapshot(payment.invoice)
    client.post(command_url(payment, "reverse"), {"reason": "again"})
    assert snapshot(payment.invoice) == before


def test_a_reversal_row_offers_no_reverse(client, finance, payment):
    reversal = payment.reverse(actor=finance)
    client.force_login(finance)
    assert not has_reverse_button(client.get(change_url(reversal)))


def test_viewer_gets_no_reverse_button(client, organization, payment):
    client.force_login(staff(organization, Role.VIEWER))
    assert not has_reverse_button(client.get(change_url(payment)))
    before = snapshot(payment.invoice)
    assert client.post(command_url(payment, "reverse"), {}).status_code == 403
    assert snapshot(payment.invoice) == before
