"""Payment events in the outbox (spec 16), rendered as `PaymentSerializer` does."""

import pytest

from accounts.models import User
from core.models import OutboxEvent
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment
from payments.serializers import PaidPaymentSerializer, PaymentSerializer


def payload(event_type, row):
    [event] = OutboxEvent.objects.filter(type=event_type, payload__id=row.pk)
    return event.payload


@pytest.mark.django_db
def test_payment_refund_and_reversal_each_write_their_event(organization):
    actor = User.objects.system_actor()
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")

    payment = Payment.pay(invoice, amount="60.00", method="card", reference="R1", actor=actor)
    refund = Payment.refund(invoice, amount="5.00", reason="Goodwill", actor=actor)
    other = Payment.pay(invoice, amount="20.00", method="cash", actor=actor)
    reversal = other.reverse(actor=actor, reason="Bounced")

    # A row recorded by pay/ is rendered as pay/'s answer, with what went to credit.
    assert payload("payment.created", payment) == PaidPaymentSerializer(payment).data
    assert payload("payment.created", payment)["credited_to_balance"] == "0.00"
    assert payload("payment.refunded", refund) == PaymentSerializer(refund).data
    assert payload("payment.reversed", reversal) == PaymentSerializer(reversal).data
    assert payload("payment.refunded", refund)["method"] is None
    assert payload("payment.reversed", reversal)["reverses"] == other.pk
