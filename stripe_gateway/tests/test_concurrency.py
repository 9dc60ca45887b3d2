"""Concurrent deliveries on real PostgreSQL row locks and unique constraints (spec 15)."""

from decimal import Decimal

import pytest
from django.test import Client

from fintrack.tests.races import run_at_once
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment
from stripe_gateway.models import StripeEvent, StripePayment
from stripe_gateway.tests.fakes import deliver, intent_succeeded, session_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_five_concurrent_deliveries_of_one_event_record_one_payment(connected):
    invoice = InvoiceFactory(organization=connected, sent=True, total="100.00")
    paid = intent_succeeded(invoice, units=10000)
    responses = run_at_once(lambda _: deliver(Client(), connected, paid), range(5))
    assert [response.status_code for response in responses] == [200] * 5
    outcomes = sorted(response.json()["outcome"] for response in responses)
    assert outcomes == ["duplicate"] * 4 + ["payment"]
    assert StripeEvent.objects.count() == 1
    assert Payment.objects.filter(invoice=invoice).count() == 1
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.amount_paid, invoice.status) == (Decimal("100.00"), InvoiceStatus.PAID)


def test_the_two_events_of_one_checkout_at_once_record_one_payment(connected):
    invoice = InvoiceFactory(organization=connected, sent=True, total="100.00")
    events = [session_event(invoice, units=10000), intent_succeeded(invoice, units=10000)]
    responses = run_at_once(lambda paid: deliver(Client(), connected, paid), events)
    assert [response.status_code for response in responses] == [200, 200]
    assert sorted(r.json()["outcome"] for r in responses) == ["already_recorded", "payment"]
    assert StripePayment.objects.count() == 1
    assert Payment.objects.filter(invoice=invoice).count() == 1


def test_a_webhook_racing_a_manual_payment_both_fit(connected, user_in):
    from accounts.models import Role

    actor = user_in(Role.FINANCE, connected)
    invoice = InvoiceFactory(organization=connected, sent=True, total="100.00")
    paid = intent_succeeded(invoice, units=4000)

    def work(which):
        if which == "webhook":
            return deliver(Client(), connected, paid).status_code
        return Payment.pay(invoice, amount=Decimal("60.00"), method="cash", actor=actor)

    results = run_at_once(work, ["webhook", "manual"])
    assert results[0] == 200
    assert isinstance(results[1], Payment)
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.amount_paid, invoice.status) == (Decimal("100.00"), InvoiceStatus.PAID)
    assert Payment.objects.filter(invoice=invoice).count() == 2


def test_a_webhook_racing_a_manual_payment_credits_what_no_longer_fits(connected, user_in):
    from accounts.models import Role
    from core.errors import DomainError
    from payments.credit import credit_balances

    actor = user_in(Role.FINANCE, connected)
    invoice = InvoiceFactory(organization=connected, sent=True, total="100.00")
    paid = intent_succeeded(invoice, units=10000)

    def work(which):
        if which == "webhook":
            return deliver(Client(), connected, paid).status_code
        return Payment.pay(invoice, amount=Decimal("60.00"), method="cash", actor=actor)

    webhook, manual = run_at_once(work, ["webhook", "manual"])
    assert webhook == 200
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.amount_paid, invoice.status) == (Decimal("100.00"), InvoiceStatus.PAID)
    card = Payment.objects.get(invoice=invoice, method="card")
    credit = credit_balances(invoice.customer).get("USD", Decimal("0"))
    # The card's 100.00 is never lost: on the invoice, the rest on the customer's credit.
    assert card.amount + credit == Decimal("100.00")
    if isinstance(manual, Payment):
        assert (card.amount, credit) == (Decimal("40.00"), Decimal("60.00"))
    else:
        # The webhook came first and paid the invoice: the manual payment was refused.
        assert isinstance(manual, DomainError)
        assert manual.code in {"invalid_status", "overpayment"}
        assert (card.amount, credit) == (Decimal("100.00"), Decimal("0"))
    assert StripePayment.objects.get().credited == credit
