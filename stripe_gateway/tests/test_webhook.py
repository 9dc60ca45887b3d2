"""`POST /webhooks/stripe/<organization id>/`: signed events, each recorded once (spec 15).
Events are signed with Stripe's real scheme (t=…,v1=HMAC-SHA256) in `fakes.sign`."""

import time
from decimal import Decimal

import pytest

from accounts.models import User
from accounts.tests.factories import OrganizationFactory
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment, PaymentKind
from stripe_gateway.models import StripeEvent, StripePayment, StripeRefund
from stripe_gateway.tests.fakes import (
    charge_refunded,
    connect,
    deliver,
    event,
    intent_succeeded,
    recorded,
    session_event,
)


@pytest.fixture
def client(api):
    return api()


@pytest.fixture
def invoice(connected):
    return InvoiceFactory(organization=connected, sent=True, total="100.00")


def fresh(invoice):
    return Invoice.objects.get(pk=invoice.pk)


def test_a_payment_intent_records_one_card_payment(client, connected, invoice):
    response = deliver(client, connected, intent_succeeded(invoice, units=4000))
    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "outcome": "payment"}
    (payment,) = Payment.objects.filter(invoice=invoice)
    assert (payment.kind, payment.amount, payment.method, payment.reference) == (
        PaymentKind.PAYMENT,
        Decimal("40.00"),
        "card",
        "pi_1",
    )
    assert payment.created_by == User.objects.system_actor()
    invoice = fresh(invoice)
    assert (invoice.amount_paid, invoice.status) == (Decimal("40.00"), InvoiceStatus.PARTIALLY_PAID)
    stripe_payment = StripePayment.objects.get()
    assert (stripe_payment.payment, stripe_payment.amount, stripe_payment.credited) == (
        payment,
        Decimal("40.00"),
        Decimal("0"),
    )


def test_the_same_event_twice_records_once(client, connected, invoice):
    paid = intent_succeeded(invoice, units=4000)
    assert deliver(client, connected, paid).json()["outcome"] == "payment"
    before = recorded()
    again = deliver(client, connected, paid)
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert recorded() == before
    assert fresh(invoice).amount_paid == Decimal("40.00")


def test_the_session_and_intent_events_of_one_checkout_record_one_payment(
    client, connected, invoice
):
    completed = session_event(invoice, units=10000)
    succeeded = intent_succeeded(invoice, units=10000)
    assert deliver(client, connected, completed).json()["outcome"] == "payment"
    assert deliver(client, connected, succeeded).json()["outcome"] == "already_recorded"
    # In the other order too, on another checkout.
    other = InvoiceFactory(organization=connected, sent=True, total="30.00")
    first = intent_succeeded(other, units=3000, payment_intent="pi_2")
    second = session_event(other, units=3000, payment_intent="pi_2")
    assert deliver(client, connected, first).json()["outcome"] == "payment"
    assert deliver(client, connected, second).json()["outcome"] == "already_recorded"
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert Payment.objects.filter(invoice=other).count() == 1
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert StripeEvent.objects.count() == 4


def test_an_unpaid_session_waits_for_its_async_success(client, connected, invoice):
    pending = session_event(invoice, units=10000, paid=False)
    assert deliver(client, connected, pending).json()["outcome"] == "ignored"
    assert not Payment.objects.exists()
    succeeded = session_event(
        invoice, units=10000, type_="checkout.session.async_payment_succeeded"
    )
    assert deliver(client, connected, succeeded).json()["outcome"] == "payment"
    assert fresh(invoice).status == InvoiceStatus.PAID


def test_unknown_event_types_are_answered_and_ignored(client, connected, invoice):
    response = deliver(client, connected, event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert not Payment.objects.exists()


def test_a_payment_not_made_through_fintrack_is_ignored(client, connected, invoice):
    paid = intent_succeeded(invoice, units=4000)
    paid["data"]["object"]["metadata"] = {}
    assert deliver(client, connected, paid).json()["outcome"] == "ignored"
    assert not Payment.objects.exists()


# --- refused deliveries: 400, nothing written -----------------------------------------------


def assert_refused(response, before, code="invalid_signature"):
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["code"] == code
    assert recorded() == before


def test_a_stale_timestamp_is_refused(client, connected, invoice):
    before = recorded()
    stale = int(time.time()) - 301
    assert_refused(
        deliver(client, connected, intent_succeeded(invoice, units=4000), timestamp=stale), before
    )


def test_a_wrong_secret_is_refused(client, connected, invoice):
    before = recorded()
    paid = intent_succeeded(invoice, units=4000)
    assert_refused(deliver(client, connected, paid, secret="whsec_wrong"), before)


def test_another_organizations_secret_is_refused(client, connected, invoice):
    other = connect(OrganizationFactory(), webhook_secret="whsec_otherOrganization")
    before = recorded()
    paid = intent_succeeded(invoice, units=4000)
    # Signed with the other organization's secret, sent to this organization's endpoint.
    assert_refused(deliver(client, connected, paid, secret="whsec_otherOrganization"), before)
    assert other.pk != connected.pk


def test_a_body_changed_after_signing_is_refused(client, connected, invoice):
    import json

    before = recorded()
    paid = intent_succeeded(invoice, units=4000)
    changed = json.dumps(paid).replace("4000", "9000")
    assert_refused(deliver(client, connected, paid, body=changed), before)


def test_a_missing_signature_or_unconnected_organization_is_refused(
    client, connected, invoice, encryption_key
):
    before = recorded()
    response = client.post(
        f"/webhooks/stripe/{connected.pk}/", data="{}", content_type="application/json"
    )
    assert_refused(response, before)
    unconnected = OrganizationFactory()
    assert_refused(deliver(client, unconnected, intent_succeeded(invoice, units=1)), before)
    assert_refused(deliver(client, type("Gone", (), {"pk": 999999})(), {}), before)


def test_an_event_for_another_organizations_invoice_is_refused(client, connected, encryption_key):
    other = connect(OrganizationFactory(), webhook_secret="whsec_otherOrganization")
    theirs = InvoiceFactory(organization=other, sent=True, total="100.00")
    before = recorded()
    paid = intent_succeeded(theirs, units=4000)
    assert_refused(deliver(client, connected, paid), before, code="unknown_invoice")
    assert fresh(theirs).amount_paid == 0


def test_an_event_in_another_currency_is_refused(client, connected, invoice):
    before = recorded()
    paid = intent_succeeded(invoice, units=4000, currency="EUR")
    assert_refused(deliver(client, connected, paid), before, code="currency_mismatch")


def test_a_signed_body_that_is_not_an_event_is_refused(client, connected):
    before = recorded()
    response = deliver(client, connected, {"hello": "world"})
    assert_refused(response, before, code="invalid_event")


@pytest.mark.parametrize("created", [10**20, -(10**20), True, "1700000000"])
def test_a_signed_event_whose_time_names_no_day_is_refused(client, connected, invoice, created):
    before = recorded()
    response = deliver(client, connected, intent_succeeded(invoice, units=4000, created=created))
    assert_refused(response, before, code="invalid_event")


def test_a_signed_event_whose_id_holds_a_nul_is_refused(client, connected, invoice):
    before = recorded()
    response = deliver(
        client, connected, intent_succeeded(invoice, units=4000, event_id="evt_\x00")
    )
    assert_refused(response, before, code="invalid_event")


# --- currencies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "currency, total, units, amount",
    [("JPY", "5000", 5000, "5000"), ("KWD", "12.340", 12340, "12.340")],
)
def test_amounts_from_stripe_use_its_exponents(client, connected, currency, total, units, amount):
    invoice = InvoiceFactory(organization=connected, sent=True, total=total, currency=currency)
    assert deliver(client, connected, intent_succeeded(invoice, units=units)).status_code == 200
    invoice = fresh(invoice)
    assert invoice.amount_paid == Decimal(amount)
    assert invoice.status == InvoiceStatus.PAID


# --- refunds --------------------------------------------------------------------------------


def test_a_partial_then_a_full_refund_record_one_row_per_refund_id(client, connected, invoice):
    deliver(client, connected, intent_succeeded(invoice, units=10000))
    partial = charge_refunded(invoice, refunds=[("re_1", 3000)], units=10000)
    assert deliver(client, connected, partial).json()["outcome"] == "refund"
    assert fresh(invoice).amount_paid == Decimal("70.00")
    # The charge now lists both refunds; only the new one is recorded (never from the
    # cumulative amount_refunded).
    full = charge_refunded(invoice, refunds=[("re_1", 3000), ("re_2", 7000)], units=10000)
    assert deliver(client, connected, full).json()["outcome"] == "refund"
    refunds = Payment.objects.filter(invoice=invoice, kind=PaymentKind.REFUND).order_by("id")
    assert [(r.amount, r.reference) for r in refunds] == [
        (Decimal("-30.00"), "re_1"),
        (Decimal("-70.00"), "re_2"),
    ]
    assert StripeRefund.objects.count() == 2
    invoice = fresh(invoice)
    assert (invoice.amount_paid, invoice.status) == (Decimal("0.00"), InvoiceStatus.SENT)
    # A replay of the same charge with nothing new records nothing.
    before = recorded()
    again = charge_refunded(invoice, refunds=[("re_1", 3000), ("re_2", 7000)], units=10000)
    assert deliver(client, connected, again).json()["outcome"] == "ignored"
    assert recorded()["payments"] == before["payments"]


def test_a_refund_of_a_charge_fintrack_never_recorded_is_ignored(client, connected, invoice):
    refund = charge_refunded(invoice, refunds=[("re_9", 100)], payment_intent="pi_elsewhere")
    assert deliver(client, connected, refund).json()["outcome"] == "ignored"
    assert not Payment.objects.exists()


def test_failed_and_canceled_refunds_listed_in_a_charge_are_not_recorded(
    client, connected, invoice
):
    deliver(client, connected, intent_succeeded(invoice, units=10000))
    refund = charge_refunded(
        invoice, refunds=[("re_1", 1000), ("re_2", 2000), ("re_3", 3000)], units=10000
    )
    listed = refund["data"]["object"]["refunds"]["data"]
    listed[1]["status"], listed[2]["status"] = "failed", "canceled"
    assert deliver(client, connected, refund).json()["outcome"] == "refund"
    (row,) = Payment.objects.filter(invoice=invoice, kind=PaymentKind.REFUND)
    assert (row.amount, row.reference) == (Decimal("-10.00"), "re_1")
    assert list(StripeRefund.objects.values_list("stripe_refund_id", flat=True)) == ["re_1"]
    assert fresh(invoice).amount_paid == Decimal("90.00")


def test_a_refund_list_holding_something_else_than_refunds_records_the_refunds(
    client, connected, invoice
):
    deliver(client, connected, intent_succeeded(invoice, units=10000))
    refund = charge_refunded(invoice, refunds=[("re_1", 1000)], units=10000)
    refund["data"]["object"]["refunds"]["data"][:0] = ["re_0", 7, None]
    response = deliver(client, connected, refund)
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "refund"
    assert list(StripeRefund.objects.values_list("stripe_refund_id", flat=True)) == ["re_1"]


def test_a_session_with_malformed_metadata_is_paid_by_its_client_reference(
    client, connected, invoice
):
    paid = session_event(invoice, units=4000)
    paid["data"]["object"]["metadata"] = 5
    response = deliver(client, connected, paid)
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "payment"
    assert fresh(invoice).amount_paid == Decimal("40.00")


# --- money the invoice cannot take goes to the customer's credit ----------------------------


def credit_of(invoice):
    from payments.credit import credit_balances

    return credit_balances(invoice.customer).get(invoice.currency, Decimal("0"))


def overpayment_entries(invoice):
    from payments.credit import CreditEntry, CreditKind

    return list(CreditEntry.objects.filter(customer=invoice.customer, kind=CreditKind.OVERPAYMENT))


def test_an_amount_above_the_balance_pays_it_and_credits_the_rest(client, connected, invoice):
    response = deliver(client, connected, intent_succeeded(invoice, units=12550))
    assert response.status_code == 200, response.content
    (payment,) = Payment.objects.filter(invoice=invoice)
    assert payment.amount == Decimal("100.00")
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert credit_of(invoice) == Decimal("25.50")
    (entry,) = overpayment_entries(invoice)
    assert (entry.amount, entry.reference, entry.payment, entry.method) == (
        Decimal("25.50"),
        "pi_1",
        payment,
        "card",
    )
    record = StripePayment.objects.get()
    assert (record.amount, record.credited) == (Decimal("125.50"), Decimal("25.50"))


@pytest.mark.parametrize("state", ["paid", "void"])
def test_money_for_a_paid_or_void_invoice_all_goes_to_credit(client, connected, state):
    invoice = InvoiceFactory(organization=connected, sent=True, paid=state == "paid")
    if state == "void":
        invoice.void(reason="", actor=User.objects.system_actor())
    payments_before = Payment.objects.filter(invoice=invoice).count()
    response = deliver(client, connected, intent_succeeded(invoice, units=5000))
    assert response.status_code == 200, response.content
    assert Payment.objects.filter(invoice=invoice).count() == payments_before
    assert credit_of(invoice) == Decimal("50.00")
    (entry,) = overpayment_entries(invoice)
    assert (entry.reference, entry.invoice_id, entry.payment) == ("pi_1", invoice.pk, None)
    record = StripePayment.objects.get()
    assert (record.payment, record.credited) == (None, Decimal("50.00"))
    # The other event of the same checkout does not credit it twice.
    again = session_event(invoice, units=5000)
    assert deliver(client, connected, again).json()["outcome"] == "already_recorded"
    assert credit_of(invoice) == Decimal("50.00")


def test_an_uncollectible_invoice_recovers_up_to_its_write_off_then_credits(client, connected):
    from credits.models import WriteOff

    invoice = InvoiceFactory(organization=connected, sent=True, total="100.00")
    Payment.pay(invoice, amount=Decimal("30.00"), method="cash", actor=User.objects.system_actor())
    WriteOff.write_off(invoice, reason="gone", actor=User.objects.system_actor())
    # 70.00 written off; 90.00 arrives: 70.00 recovered, 20.00 to credit.
    response = deliver(client, connected, intent_succeeded(invoice, units=9000))
    assert response.status_code == 200, response.content
    card = Payment.objects.get(invoice=invoice, method="card")
    assert (card.amount, card.recovery) == (Decimal("70.00"), True)
    invoice = fresh(invoice)
    assert (invoice.written_off_total, invoice.status) == (Decimal("0.00"), InvoiceStatus.PAID)
    assert credit_of(invoice) == Decimal("20.00")


def test_money_received_before_the_invoice_was_issued_goes_to_credit(client, connected, invoice):
    yesterday = int(time.time()) - 2 * 86400
    paid = intent_succeeded(invoice, units=4000, created=yesterday)
    # Signed now (Stripe signs each delivery), about money taken before the issue date.
    assert deliver(client, connected, paid).status_code == 200
    assert not Payment.objects.filter(invoice=invoice).exists()
    assert credit_of(invoice) == Decimal("40.00")


def test_a_stripe_refund_of_credited_money_comes_out_of_the_credit(client, connected, invoice):
    deliver(client, connected, intent_succeeded(invoice, units=12000))
    assert credit_of(invoice) == Decimal("20.00")
    # 110.00 of 120.00 refunded: 100.00 off the invoice, 10.00 out of the credit.
    refund = charge_refunded(invoice, refunds=[("re_1", 11000)], units=12000)
    assert deliver(client, connected, refund).json()["outcome"] == "refund"
    row = Payment.objects.get(invoice=invoice, kind=PaymentKind.REFUND)
    assert row.amount == Decimal("-100.00")
    assert credit_of(invoice) == Decimal("10.00")
    record = StripeRefund.objects.get()
    assert (record.amount, record.from_credit) == (Decimal("110.00"), Decimal("10.00"))


def test_a_refund_of_credit_already_used_is_refused_and_retried(client, connected, invoice):
    deliver(client, connected, intent_succeeded(invoice, units=12000))
    other = InvoiceFactory(organization=connected, customer=invoice.customer, sent=True)
    Payment.apply_credit(other, amount=Decimal("20.00"), actor=User.objects.system_actor())
    before = recorded()
    refund = charge_refunded(invoice, refunds=[("re_1", 12000)], units=12000)
    response = deliver(client, connected, refund)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "insufficient_credit"
    assert recorded() == before
    assert fresh(invoice).amount_paid == Decimal("100.00")


def test_the_ledger_check_passes_after_stripe_money(client, connected, invoice):
    from io import StringIO

    from django.core.management import call_command

    deliver(client, connected, intent_succeeded(invoice, units=12550))
    deliver(client, connected, charge_refunded(invoice, refunds=[("re_1", 500)], units=12550))
    out = StringIO()
    call_command("verify_ledger", stdout=out, stderr=StringIO())
    assert "Ledger OK" in out.getvalue()


def test_the_ledger_check_reports_a_stripe_record_that_does_not_add_up(client, connected, invoice):
    from io import StringIO

    from django.core.management import CommandError, call_command

    deliver(client, connected, intent_succeeded(invoice, units=4000))
    # Bypassing the model on purpose: a record whose money no longer matches its row.
    StripePayment.objects.update(amount=Decimal("41.00"))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)
    assert "stripe_payment_split" in err.getvalue()


def test_stripe_needs_no_csrf_token_nor_login(connected, invoice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert deliver(strict, connected, intent_succeeded(invoice, units=100)).status_code == 200
