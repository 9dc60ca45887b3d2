"""Payments API (spec 6): pay, refund, reverse, lists, roles, tenancy, immutability."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from rest_framework.renderers import JSONRenderer

from accounts.models import Role
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code, snapshot
from invoices.models import InvoiceStatus
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment
from payments.serializers import PaidPaymentSerializer, PaymentSerializer

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"


def pay_url(invoice):
    return f"/api/v1/invoices/{invoice.pk}/pay/"


def refund_url(invoice):
    return f"/api/v1/invoices/{invoice.pk}/refund/"


def reverse_url(payment_id):
    return f"{PAYMENTS}{payment_id}/reverse/"


@pytest.fixture
def invoice(organization):
    return InvoiceFactory(organization=organization, sent=True, total="100.00")


def pay(api, invoice, amount="10.00", headers=None, **fields):
    return api.post(
        pay_url(invoice), {"amount": amount, "method": "card", **fields}, **(headers or {})
    )


# --- pay ------------------------------------------------------------------------------


def test_pay_answers_201_with_the_payment_row(finance_api, finance_user, invoice, organization):
    response = pay(finance_api, invoice, "25.50", reference="TX-1", notes="first")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "id": body["id"],
        "invoice": invoice.pk,
        "kind": "payment",
        "amount": "25.50",
        "currency": "USD",
        "reference": "TX-1",
        "method": "card",
        "received_on": organization.today().isoformat(),
        "reverses": None,
        "reversed_by": None,
        "reason": "",
        "notes": "first",
        "created_by": finance_user.pk,
        "created_at": body["created_at"],
        "credited_to_balance": "0.00",
    }
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert invoice.amount_paid == Decimal("25.50")


def test_payment_actor_is_the_jwt_user_in_history(finance_api, finance_user, invoice):
    payment_id = pay(finance_api, invoice).json()["id"]
    assert Payment.objects.get(pk=payment_id).history.get().history_user == finance_user
    assert invoice.history.latest().history_user == finance_user


def test_paying_the_balance_makes_the_invoice_paid(finance_api, invoice):
    assert pay(finance_api, invoice, "40.00").status_code == 201
    assert pay(finance_api, invoice, "60.00").status_code == 201
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_at is not None


def test_overpayment_is_400_overpayment(finance_api, invoice):
    before = snapshot(invoice)
    response = pay(finance_api, invoice, "100.01")
    assert response.status_code == 400
    assert error_code(response) == "overpayment"
    assert snapshot(invoice) == before


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00", -5, 0])
def test_zero_or_negative_amount_is_400(finance_api, invoice, amount):
    before = snapshot(invoice)
    response = pay(finance_api, invoice, amount)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "amount"
    assert snapshot(invoice) == before


def test_usd_amount_with_three_decimals_is_400_not_rounded(finance_api, invoice):
    before = snapshot(invoice)
    response = pay(finance_api, invoice, "10.001")
    assert response.status_code == 400
    assert error_code(response) == "too_precise"
    assert snapshot(invoice) == before


def test_jpy_amount_with_decimals_is_400_and_jpy_renders_without_decimals(
    finance_api, organization
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="5000", currency="JPY")
    before = snapshot(invoice)
    assert pay(finance_api, invoice, "1.5").status_code == 400
    assert snapshot(invoice) == before
    response = pay(finance_api, invoice, 1500)
    assert response.status_code == 201
    assert response.json()["amount"] == "1500"
    assert response.json()["currency"] == "JPY"


@pytest.mark.parametrize(
    "amount", ["abc", "", None, True, "1e20", "NaN", "Infinity", [], {"x": 1}, "9" * 400]
)
def test_malformed_amount_is_400(finance_api, invoice, amount):
    before = snapshot(invoice)
    response = pay(finance_api, invoice, amount)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "amount"
    assert snapshot(invoice) == before


def test_method_is_required_and_must_be_a_choice(finance_api, invoice):
    before = snapshot(invoice)
    response = finance_api.post(pay_url(invoice), {"amount": "1.00"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "method"
    response = pay(finance_api, invoice, method="bitcoin")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "method"
    assert snapshot(invoice) == before


def test_malformed_json_and_oversized_fields_are_400(finance_api, invoice):
    before = snapshot(invoice)
    response = finance_api.post(pay_url(invoice), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert pay(finance_api, invoice, reference="R" * 101).status_code == 400
    assert pay(finance_api, invoice, received_on="2024-02-30").status_code == 400
    assert snapshot(invoice) == before


def test_received_on_in_the_future_is_400(finance_api, invoice, organization):
    tomorrow = organization.today() + timedelta(days=1)
    before = snapshot(invoice)
    response = pay(finance_api, invoice, received_on=tomorrow.isoformat())
    assert response.status_code == 400
    assert error_code(response) == "received_on_in_future"
    assert snapshot(invoice) == before


def test_past_received_on_is_kept(finance_api, organization):
    past = organization.today() - timedelta(days=10)
    invoice = InvoiceFactory(organization=organization, sent=True, issue_date=past)
    response = pay(finance_api, invoice, received_on=past.isoformat())
    assert response.json()["received_on"] == past.isoformat()


def test_pay_on_draft_is_409_invalid_status(finance_api, organization):
    draft = InvoiceFactory(organization=organization)
    before = snapshot(draft)
    response = pay(finance_api, draft)
    assert response.status_code == 409
    assert error_code(response) == "invalid_status"
    assert snapshot(draft) == before


def test_pay_on_void_is_409_invalid_status(finance_api, finance_user, invoice):
    invoice.void(reason="wrong customer", actor=finance_user)
    before = snapshot(invoice)
    response = pay(finance_api, invoice)
    assert response.status_code == 409
    assert error_code(response) == "invalid_status"
    assert snapshot(invoice) == before


def test_pay_on_paid_invoice_is_409_invalid_status(finance_api, invoice):
    pay(finance_api, invoice, "100.00")
    before = snapshot(invoice)
    response = pay(finance_api, invoice, "0.01")
    assert response.status_code == 409
    assert error_code(response) == "invalid_status"
    assert snapshot(invoice) == before


def test_duplicate_reference_on_same_invoice_is_409(finance_api, invoice):
    assert pay(finance_api, invoice, reference="TX-9").status_code == 201
    before = snapshot(invoice)
    response = pay(finance_api, invoice, reference="TX-9")
    assert response.status_code == 409
    assert error_code(response) == "duplicate_reference"
    assert snapshot(invoice) == before
    assert before["amount_paid"] == Decimal("10.00")


def test_same_reference_on_another_invoice_and_blank_references_are_allowed(
    finance_api, invoice, organization
):
    other = InvoiceFactory(organization=organization, sent=True)
    assert pay(finance_api, invoice, reference="TX-9").status_code == 201
    assert pay(finance_api, other, reference="TX-9").status_code == 201
    assert pay(finance_api, invoice).status_code == 201
    assert pay(finance_api, invoice).status_code == 201


def test_stale_if_match_on_pay_is_412(finance_api, invoice):
    before = snapshot(invoice)
    response = pay(finance_api, invoice, headers={"HTTP_IF_MATCH": '"999"'})
    assert response.status_code == 412
    assert error_code(response) == "precondition_failed"
    assert snapshot(invoice) == before


# --- refund ---------------------------------------------------------------------------


def test_partial_then_full_refund(finance_api, invoice):
    pay(finance_api, invoice, "100.00")
    response = finance_api.post(refund_url(invoice), {"amount": "30.00", "reason": "damaged"})
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "refund"
    assert response.json()["amount"] == "-30.00"
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.paid_at) == (
        InvoiceStatus.PARTIALLY_PAID,
        Decimal("70.00"),
        None,
    )
    assert finance_api.post(refund_url(invoice), {"amount": "70.00"}).status_code == 201
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == (
        InvoiceStatus.SENT,
        Decimal("0"),
        Decimal("100.00"),
    )


def test_refund_more_than_paid_is_400_refund_exceeds_paid(finance_api, invoice):
    pay(finance_api, invoice, "20.00")
    before = snapshot(invoice)
    response = finance_api.post(refund_url(invoice), {"amount": "20.01"})
    assert response.status_code == 400
    assert error_code(response) == "refund_exceeds_paid"
    assert snapshot(invoice) == before


def test_refund_on_unpaid_sent_invoice_is_refund_exceeds_paid(finance_api, invoice):
    before = snapshot(invoice)
    response = finance_api.post(refund_url(invoice), {"amount": "1.00"})
    assert error_code(response) == "refund_exceeds_paid"
    assert snapshot(invoice) == before


def test_refund_on_draft_or_void_is_409_invalid_status(finance_api, finance_user, organization):
    draft = InvoiceFactory(organization=organization)
    before = snapshot(draft)
    assert error_code(finance_api.post(refund_url(draft), {"amount": "1.00"})) == "invalid_status"
    assert snapshot(draft) == before
    draft.void(reason="x", actor=finance_user)
    before = snapshot(draft)
    response = finance_api.post(refund_url(draft), {"amount": "1.00"})
    assert response.status_code == 409
    assert error_code(response) == "invalid_status"
    assert snapshot(draft) == before


def test_refund_amount_must_be_positive_with_currency_digits(finance_api, invoice):
    pay(finance_api, invoice, "50.00")
    before = snapshot(invoice)
    for amount in ["0", "-1", "1.001"]:
        assert finance_api.post(refund_url(invoice), {"amount": amount}).status_code == 400
    assert snapshot(invoice) == before


# --- reverse --------------------------------------------------------------------------


def test_reverse_answers_201_and_links_both_rows(finance_api, invoice):
    payment_id = pay(finance_api, invoice, "40.00").json()["id"]
    response = finance_api.post(reverse_url(payment_id), {"reason": "bounced"})
    assert response.status_code == 201, response.json()
    reversal = response.json()
    assert (reversal["kind"], reversal["amount"], reversal["reverses"]) == (
        "reversal",
        "-40.00",
        payment_id,
    )
    assert reversal["reason"] == "bounced"
    assert finance_api.get(f"{PAYMENTS}{payment_id}/").json()["reversed_by"] == reversal["id"]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SENT


def test_second_reversal_is_409_already_reversed(finance_api, invoice):
    payment_id = pay(finance_api, invoice).json()["id"]
    assert finance_api.post(reverse_url(payment_id)).status_code == 201
    before = snapshot(invoice)
    response = finance_api.post(reverse_url(payment_id))
    assert response.status_code == 409
    assert error_code(response) == "already_reversed"
    assert snapshot(invoice) == before


def test_reversing_a_refund_or_a_reversal_is_400(finance_api, invoice):
    pay(finance_api, invoice, "50.00")
    refund_id = finance_api.post(refund_url(invoice), {"amount": "5.00"}).json()["id"]
    before = snapshot(invoice)
    response = finance_api.post(reverse_url(refund_id))
    assert response.status_code == 400
    assert error_code(response) == "not_reversible"
    assert snapshot(invoice) == before
    payment_id = pay(finance_api, invoice, "5.00").json()["id"]
    reversal_id = finance_api.post(reverse_url(payment_id)).json()["id"]
    before = snapshot(invoice)
    assert error_code(finance_api.post(reverse_url(reversal_id))) == "not_reversible"
    assert snapshot(invoice) == before


def test_reversal_beyond_amount_paid_is_409_reversal_exceeds_paid(finance_api, invoice):
    payment_id = pay(finance_api, invoice, "100.00").json()["id"]
    finance_api.post(refund_url(invoice), {"amount": "60.00"})
    before = snapshot(invoice)
    response = finance_api.post(reverse_url(payment_id))
    assert response.status_code == 409
    assert error_code(response) == "reversal_exceeds_paid"
    assert snapshot(invoice) == before
    assert before["amount_paid"] == Decimal("40.00")


# --- immutability, tenancy, roles ------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_payment_rows_cannot_be_changed_through_the_api(admin_api, invoice, method):
    payment_id = pay(admin_api, invoice).json()["id"]
    response = getattr(admin_api, method)(f"{PAYMENTS}{payment_id}/", {"amount": "1.00"})
    assert response.status_code == 405
    assert Payment.objects.get(pk=payment_id).amount == Decimal("10.00")


def test_other_organizations_invoices_and_payments_are_404(
    api, user_in, finance_api, other_organization
):
    foreign_invoice = InvoiceFactory(organization=other_organization, sent=True, total="100.00")
    foreign_admin = user_in(Role.ADMIN, other_organization)
    foreign_id = pay(api(foreign_admin), foreign_invoice).json()["id"]

    assert pay(finance_api, foreign_invoice).status_code == 404
    assert finance_api.post(refund_url(foreign_invoice), {"amount": "1"}).status_code == 404
    assert finance_api.get(f"/api/v1/invoices/{foreign_invoice.pk}/payments/").status_code == 404
    assert finance_api.get(f"{PAYMENTS}{foreign_id}/").status_code == 404
    assert finance_api.post(reverse_url(foreign_id)).status_code == 404
    assert finance_api.get(PAYMENTS).json()["count"] == 0
    assert finance_api.get(PAYMENTS, {"invoice": foreign_invoice.pk}).json()["count"] == 0
    foreign_invoice.refresh_from_db()
    assert foreign_invoice.amount_paid == Decimal("10.00")


def test_unknown_or_non_numeric_ids_are_404(finance_api):
    assert finance_api.post("/api/v1/invoices/999999/pay/", {}).status_code == 404
    assert finance_api.post("/api/v1/invoices/abc/pay/", {}).status_code == 404
    assert finance_api.get(f"{PAYMENTS}abc/").status_code == 404


def test_viewer_can_read_but_not_pay_refund_or_reverse(viewer_api, finance_api, invoice):
    payment_id = pay(finance_api, invoice, "50.00").json()["id"]
    assert pay(viewer_api, invoice).status_code == 403
    assert viewer_api.post(refund_url(invoice), {"amount": "1.00"}).status_code == 403
    assert viewer_api.post(reverse_url(payment_id)).status_code == 403
    assert viewer_api.get(PAYMENTS).status_code == 200
    assert viewer_api.get(f"{PAYMENTS}{payment_id}/").status_code == 200
    assert viewer_api.get(f"/api/v1/invoices/{invoice.pk}/payments/").status_code == 200
    assert Payment.objects.count() == 1


def test_admin_can_pay_refund_and_reverse(admin_api, invoice):
    payment_id = pay(admin_api, invoice, "50.00").json()["id"]
    assert admin_api.post(refund_url(invoice), {"amount": "10.00"}).status_code == 201
    assert pay(admin_api, invoice, "5.00").status_code == 201
    assert admin_api.post(reverse_url(payment_id)).status_code == 409  # 50 > paid 45


def test_unauthenticated_is_401(api, invoice):
    assert pay(api(), invoice).status_code == 401
    assert api().get(PAYMENTS).status_code == 401


# --- lists ----------------------------------------------------------------------------


@pytest.fixture
def ledger(finance_api, organization):
    """Two customers' invoices with a payment, a refund and a reversal, on known dates."""
    today = organization.today()
    first = InvoiceFactory(
        organization=organization, sent=True, total="100.00", issue_date=today - timedelta(days=30)
    )
    second = InvoiceFactory(organization=organization, sent=True, total="100.00")
    ids = {
        "card": pay(
            finance_api, first, "50.00", received_on=(today - timedelta(days=20)).isoformat()
        ).json()["id"],
        "cash": pay(
            finance_api, second, "30.00", method="cash", received_on=today.isoformat()
        ).json()["id"],
    }
    ids["refund"] = finance_api.post(refund_url(first), {"amount": "5.00"}).json()["id"]
    ids["reversal"] = finance_api.post(reverse_url(ids["cash"])).json()["id"]
    return first, second, ids


def listed(api, **params):
    response = api.get(PAYMENTS, params)
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def test_list_filters_each_filter(finance_api, organization, ledger):
    first, second, ids = ledger
    today = organization.today()
    assert listed(finance_api, invoice=first.pk) == {ids["card"], ids["refund"]}
    assert listed(finance_api, customer=second.customer_id) == {ids["cash"], ids["reversal"]}
    assert listed(finance_api, kind="refund") == {ids["refund"]}
    assert listed(finance_api, kind="refund,reversal") == {ids["refund"], ids["reversal"]}
    assert listed(finance_api, method="cash") == {ids["cash"], ids["reversal"]}
    assert listed(finance_api, received_to=(today - timedelta(days=1)).isoformat()) == {ids["card"]}
    assert listed(finance_api, received_from=today.isoformat()) == {
        ids["cash"],
        ids["refund"],
        ids["reversal"],
    }


@pytest.mark.parametrize(
    "params",
    [
        {"invoice": "abc"},
        {"invoice": "1.5"},
        {"customer": "x"},
        {"invoice": "9" * 30},
        {"kind": "gift"},
        {"method": "bitcoin"},
        {"received_from": "2024-13-01"},
        {"received_to": "yesterday"},
        {"ordering": "password"},
    ],
)
def test_invalid_filter_values_are_400(finance_api, params):
    response = finance_api.get(PAYMENTS, params)
    assert response.status_code == 400


def test_invoice_payments_lists_only_that_invoice(finance_api, ledger):
    first, _second, ids = ledger
    response = finance_api.get(f"/api/v1/invoices/{first.pk}/payments/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {ids["card"], ids["refund"]}


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_invoice_payments_export_like_the_payment_list(finance_api, ledger, export_format):
    first, _second, _ids = ledger
    url = f"/api/v1/invoices/{first.pk}/payments/?format={export_format}"
    response = finance_api.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="payments-')
    if export_format == "csv":
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert lines[0].startswith("id,invoice,kind,amount,currency,")
        assert len(lines) == 3  # header + the payment and the refund of this invoice


def test_lists_run_in_constant_queries(
    finance_api, finance_user, organization, django_assert_max_num_queries
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="1000.00")
    for _ in range(12):
        payment = Payment.pay(invoice, amount=Decimal("10.00"), method="card", actor=finance_user)
        payment.reverse(actor=finance_user)
    # Auth user + membership + count + page: never one query per row.
    with django_assert_max_num_queries(5):
        assert len(finance_api.get(PAYMENTS, {"page_size": 100}).json()["results"]) == 24
    with django_assert_max_num_queries(6):
        response = finance_api.get(f"/api/v1/invoices/{invoice.pk}/payments/?page_size=100")
        assert len(response.json()["results"]) == 24


def test_payments_of_other_customers_currency_render_with_their_digits(finance_api, organization):
    customer = CustomerFactory(organization=organization, currency="KWD")
    invoice = InvoiceFactory(
        organization=organization, sent=True, total="10.000", customer=customer, currency="KWD"
    )
    assert pay(finance_api, invoice, "1.250").json()["amount"] == "1.250"
    assert pay(finance_api, invoice, "1.2505").status_code == 400


def test_pay_and_refund_answer_byte_for_byte_what_the_serializer_renders(finance_api, invoice):
    # The answers are rendered without the serializer (payments.views.created).
    with override_settings(TIME_ZONE="Asia/Kolkata"):
        paid = pay(finance_api, invoice, "30.00", reference="TX-9", notes='é "q"')
        refunded = finance_api.post(refund_url(invoice), {"amount": "5.00", "reason": "Partial"})
        excess = pay(finance_api, invoice, "80.00", excess="credit")
        for response, serializer in (
            (paid, PaidPaymentSerializer),
            (excess, PaidPaymentSerializer),
            (refunded, PaymentSerializer),
        ):
            assert response.status_code == 201, response.json()
            row = Payment.objects.select_related("invoice").get(pk=response.json()["id"])
            if serializer is PaidPaymentSerializer:
                row.credited_to_balance = Decimal("5.00" if response is excess else "0.00")
            assert response.content == JSONRenderer().render(serializer(row).data)
