"""Customer credit and receipts over HTTP (spec 14): answers, refusals changing nothing,
roles and tenancy."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import OutboxEvent
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_attrs, error_code, snapshot
from invoices.tests.factories import InvoiceFactory
from payments.credit import CreditEntry, credit_balances, credit_customer
from payments.models import Payment
from payments.receipts import Receipt

pytestmark = pytest.mark.django_db
RECEIPTS = "/api/v1/receipts/"


def give_credit(customer, amount, actor, currency="USD"):
    return credit_customer(customer, currency=currency, amount=amount, kind="receipt", actor=actor)


def credit_url(customer):
    return f"/api/v1/customers/{customer.pk}/credit/"


def receipt_body(customer, amount, allocations, **extra):
    return {
        "customer": customer.pk,
        "currency": "USD",
        "amount": amount,
        "method": "bank_transfer",
        "allocations": [{"invoice": inv.pk, "amount": share} for inv, share in allocations],
        **extra,
    }


def test_customer_credit_lists_balances_and_entries(viewer_api, customer, finance_user):
    give_credit(customer, "30.00", finance_user)
    give_credit(customer, "500", finance_user, currency="JPY")
    response = viewer_api.get(credit_url(customer))
    assert response.status_code == 200
    body = response.json()
    assert sorted(body["balances"], key=lambda b: b["currency"]) == [
        {"currency": "JPY", "amount": "500"},
        {"currency": "USD", "amount": "30.00"},
    ]
    first = body["entries"][0]
    assert set(first) == {
        "id", "customer", "currency", "amount", "kind", "invoice", "credit_note", "receipt",
        "payment", "method", "reference", "reason", "booked_on", "created_by", "created_at",
    }  # fmt: skip
    assert (first["kind"], first["amount"], first["created_by"]) == (
        "receipt",
        "30.00",
        finance_user.pk,
    )


def test_another_organizations_customer_is_404(finance_api, other_organization):
    stranger = CustomerFactory(organization=other_organization)
    assert finance_api.get(credit_url(stranger)).status_code == 404
    response = finance_api.post(
        f"{credit_url(stranger)}refund/",
        {"currency": "USD", "amount": "1.00", "method": "cash"},
        format="json",
    )
    assert response.status_code == 404


def test_refund_credit_answers_201_with_the_entry(finance_api, customer, finance_user):
    give_credit(customer, "30.00", finance_user)
    response = finance_api.post(
        f"{credit_url(customer)}refund/",
        {"currency": "USD", "amount": "12.50", "method": "cheque", "reference": "CHQ-1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["amount"], body["method"], body["reference"]) == (
        "refunded",
        "-12.50",
        "cheque",
        "CHQ-1",
    )
    assert credit_balances(customer) == {"USD": Decimal("17.50")}


@pytest.mark.parametrize(
    ("amount", "code"),
    [("30.01", "insufficient_credit"), ("0", "invalid_amount"), ("1.001", "too_precise")],
)
def test_refund_credit_refusals(finance_api, customer, finance_user, amount, code):
    give_credit(customer, "30.00", finance_user)
    response = finance_api.post(
        f"{credit_url(customer)}refund/",
        {"currency": "USD", "amount": amount, "method": "cash"},
        format="json",
    )
    assert (response.status_code, error_code(response)) == (400, code)
    assert CreditEntry.objects.count() == 1
    assert credit_balances(customer) == {"USD": Decimal("30.00")}


def test_viewers_may_not_refund_credit(viewer_api, customer, finance_user):
    give_credit(customer, "30.00", finance_user)
    response = viewer_api.post(
        f"{credit_url(customer)}refund/",
        {"currency": "USD", "amount": "1.00", "method": "cash"},
        format="json",
    )
    assert response.status_code == 403
    assert CreditEntry.objects.count() == 1
    assert credit_balances(customer) == {"USD": Decimal("30.00")}


def test_apply_credit_answers_200_with_the_invoice(finance_api, invoices, customer, finance_user):
    give_credit(customer, "70.00", finance_user)
    invoice = invoices[0]
    response = finance_api.post(
        f"/api/v1/invoices/{invoice.pk}/apply-credit/", {"amount": "60.00"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["amount_paid"], body["balance_due"], body["status"]) == (
        invoice.pk,
        "60.00",
        "40.00",
        "partially_paid",
    )
    row = Payment.objects.get(invoice=invoice)
    assert row.kind == "credit"
    payments = finance_api.get(f"/api/v1/invoices/{invoice.pk}/payments/").json()["results"]
    assert payments[0]["kind"] == "credit"


@pytest.mark.parametrize(
    ("amount", "code"), [("70.01", "insufficient_credit"), ("100.01", "overpayment")]
)
def test_apply_credit_refusals_change_nothing(
    finance_api, invoices, customer, finance_user, amount, code
):
    give_credit(customer, "70.00", finance_user)
    if code == "overpayment":
        give_credit(customer, "100.00", finance_user)
    invoice = invoices[0]
    before = snapshot(invoice)
    response = finance_api.post(
        f"/api/v1/invoices/{invoice.pk}/apply-credit/", {"amount": amount}, format="json"
    )
    assert (response.status_code, error_code(response)) == (400, code)
    assert snapshot(invoice) == before
    credit = Decimal("170.00") if code == "overpayment" else Decimal("70.00")
    assert credit_balances(customer) == {"USD": credit}
    assert not CreditEntry.objects.filter(kind="applied").exists()


def test_reversing_a_credit_row_returns_it_to_credit(finance_api, invoices, customer, finance_user):
    give_credit(customer, "60.00", finance_user)
    row = Payment.apply_credit(invoices[0], amount="60.00", actor=finance_user)
    response = finance_api.post(f"/api/v1/payments/{row.pk}/reverse/", {}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "-60.00"
    assert credit_balances(customer) == {"USD": Decimal("60.00")}
    kinds = [e["kind"] for e in finance_api.get(credit_url(customer)).json()["entries"]]
    assert kinds == ["receipt", "applied", "reversed"]


def test_pay_with_excess_to_credit(finance_api, invoices, customer):
    invoice = invoices[1]
    url = f"/api/v1/invoices/{invoice.pk}/pay/"
    before = snapshot(invoice)
    refused = finance_api.post(url, {"amount": "80.00", "method": "card"}, format="json")
    assert (refused.status_code, error_code(refused)) == (400, "overpayment")
    assert snapshot(invoice) == before
    assert not CreditEntry.objects.exists()
    response = finance_api.post(
        url, {"amount": "80.00", "method": "card", "excess": "credit"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["credited_to_balance"]) == ("50.00", "30.00")
    assert credit_balances(customer) == {"USD": Decimal("30.00")}
    plain = finance_api.post(
        f"/api/v1/invoices/{invoices[0].pk}/pay/",
        {"amount": "10.00", "method": "card"},
        format="json",
    )
    assert plain.json()["credited_to_balance"] == "0.00"
    before = snapshot(invoices[0])
    bad = finance_api.post(
        f"/api/v1/invoices/{invoices[0].pk}/pay/",
        {"amount": "10.00", "method": "card", "excess": "refund"},
        format="json",
    )
    assert (bad.status_code, error_code(bad), error_attrs(bad)) == (
        400,
        "invalid_choice",
        {"excess"},
    )
    assert snapshot(invoices[0]) == before


def test_a_receipt_over_two_invoices_with_the_rest_to_credit(finance_api, invoices, customer):
    first, second = invoices
    response = finance_api.post(
        RECEIPTS,
        receipt_body(customer, "180.00", [(first, "100.00"), (second, "50.00")], reference="T1"),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["allocated"], body["unallocated"]) == (
        "180.00",
        "150.00",
        "30.00",
    )
    assert [(a["invoice"], a["amount"]) for a in body["allocations"]] == [
        (first.pk, "100.00"),
        (second.pk, "50.00"),
    ]
    assert all(a["payment"] for a in body["allocations"])
    assert credit_balances(customer) == {"USD": Decimal("30.00")}
    shown = finance_api.get(f"{RECEIPTS}{body['id']}/").json()
    assert shown == body
    event = OutboxEvent.objects.get(type="receipt.created")
    assert event.payload == body
    listed = finance_api.get(RECEIPTS, {"customer": customer.pk}).json()["results"]
    assert [r["id"] for r in listed] == [body["id"]]


def test_allocations_over_the_receipt_are_400(finance_api, invoices, customer):
    before = snapshot(invoices[0])
    response = finance_api.post(
        RECEIPTS, receipt_body(customer, "99.00", [(invoices[0], "100.00")]), format="json"
    )
    assert (response.status_code, error_code(response)) == (400, "allocation_exceeds_receipt")
    assert snapshot(invoices[0]) == before
    assert not Receipt.objects.exists()


def test_one_bad_allocation_refuses_the_whole_receipt(finance_api, invoices, customer):
    first, second = invoices
    before = snapshot(first)
    response = finance_api.post(
        RECEIPTS,
        receipt_body(customer, "200.00", [(first, "100.00"), (second, "50.01")]),
        format="json",
    )
    assert (response.status_code, error_code(response)) == (400, "overpayment")
    assert error_attrs(response) == {"allocations.1.amount"}
    assert snapshot(first) == before
    assert not (Receipt.objects.exists() or CreditEntry.objects.exists())


def test_an_allocation_repeating_an_invoices_reference_is_409(
    finance_api, invoices, customer, finance_user
):
    first, second = invoices
    Payment.pay(second, amount="10.00", method="cash", reference="TRF-1", actor=finance_user)
    before = [snapshot(first), snapshot(second)]
    response = finance_api.post(
        RECEIPTS,
        receipt_body(customer, "60.00", [(first, "50.00"), (second, "10.00")], reference="TRF-1"),
        format="json",
    )
    assert (response.status_code, error_code(response)) == (409, "duplicate_reference")
    assert error_attrs(response) == {"allocations.1.invoice"}
    assert [snapshot(first), snapshot(second)] == before
    assert Payment.objects.count() == 1
    assert not (Receipt.objects.exists() or CreditEntry.objects.exists())


def test_an_allocation_to_an_invoice_that_cannot_be_paid_is_409(
    finance_api, organization, customer
):
    draft = InvoiceFactory(organization=organization, customer=customer)
    before = snapshot(draft)
    response = finance_api.post(
        RECEIPTS, receipt_body(customer, "30.00", [(draft, "10.00")]), format="json"
    )
    # The invoice's state refuses it, as pay/ does: a conflict, naming the allocation.
    assert (response.status_code, error_code(response)) == (409, "invalid_status")
    assert error_attrs(response) == {"allocations.0.invoice"}
    assert snapshot(draft) == before
    assert not (Receipt.objects.exists() or CreditEntry.objects.exists())


def test_another_organizations_invoice_in_an_allocation_is_400(
    finance_api, customer, other_organization
):
    foreign = InvoiceFactory(organization=other_organization, sent=True)
    response = finance_api.post(
        RECEIPTS, receipt_body(customer, "10.00", [(foreign, "10.00")]), format="json"
    )
    assert (response.status_code, error_code(response)) == (400, "invalid_allocation")
    stranger = CustomerFactory(organization=other_organization)
    response = finance_api.post(RECEIPTS, receipt_body(stranger, "10.00", []), format="json")
    assert response.status_code == 400
    assert not Receipt.objects.exists()


def test_receipt_input_refusals(finance_api, customer):
    for extra, code in (
        ({"amount": "-1"}, "invalid_amount"),
        ({"amount": "1.001"}, "too_precise"),
        ({"currency": "XAU"}, "unsupported_currency"),
        ({"method": "gold"}, "invalid_choice"),
        ({"received_on": "2300-01-01"}, "date_out_of_range"),
        # An invoice id beyond any primary key is refused, never looked up (a 500 on SQLite).
        ({"allocations": [{"invoice": 2**63, "amount": "1.00"}]}, "max_value"),
        ({"allocations": [{"invoice": 1.5, "amount": "1.00"}]}, "invalid"),
    ):
        body = {**receipt_body(customer, "10.00", []), **extra}
        response = finance_api.post(RECEIPTS, body, format="json")
        assert (response.status_code, error_code(response)) == (400, code), extra
    assert not Receipt.objects.exists()


def test_viewers_may_read_but_not_record_receipts(viewer_api, customer):
    assert viewer_api.get(RECEIPTS).status_code == 200
    response = viewer_api.post(RECEIPTS, receipt_body(customer, "10.00", []), format="json")
    assert response.status_code == 403


def test_an_allocation_is_reversed_through_its_receipt(finance_api, invoices, customer):
    created = finance_api.post(
        RECEIPTS,
        receipt_body(customer, "130.00", [(invoices[0], "100.00")]),
        format="json",
    ).json()
    payment = created["allocations"][0]["payment"]
    before = snapshot(invoices[0])
    refused = finance_api.post(f"/api/v1/payments/{payment}/reverse/", {}, format="json")
    assert (refused.status_code, error_code(refused)) == (409, "part_of_receipt")
    assert snapshot(invoices[0]) == before
    response = finance_api.post(
        f"{RECEIPTS}{created['id']}/reverse/", {"reason": "bounced"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["reversed_at"] is not None
    assert response.json()["reversal_reason"] == "bounced"
    invoices[0].refresh_from_db()
    assert invoices[0].amount_paid == 0
    assert credit_balances(customer) == {"USD": Decimal("0.00")}
    before = snapshot(invoices[0])
    again = finance_api.post(f"{RECEIPTS}{created['id']}/reverse/", {}, format="json")
    assert (again.status_code, error_code(again)) == (409, "already_reversed")
    assert snapshot(invoices[0]) == before
    assert CreditEntry.objects.count() == 2
    assert credit_balances(customer) == {"USD": Decimal("0.00")}


def test_credit_already_used_is_409(finance_api, invoices, customer, finance_user):
    created = finance_api.post(RECEIPTS, receipt_body(customer, "30.00", []), format="json").json()
    Payment.apply_credit(invoices[0], amount="0.01", actor=finance_user)
    before = snapshot(invoices[0])
    response = finance_api.post(f"{RECEIPTS}{created['id']}/reverse/", {}, format="json")
    assert (response.status_code, error_code(response)) == (409, "credit_already_used")
    assert Receipt.objects.get().reversed_at is None
    assert snapshot(invoices[0]) == before
    assert not CreditEntry.objects.filter(kind="reversed").exists()
    assert credit_balances(customer) == {"USD": Decimal("29.99")}


def test_receipts_and_credit_entries_are_in_the_audit_trail(
    admin_api, admin_user, customer, invoices
):
    created = admin_api.post(
        RECEIPTS, receipt_body(customer, "120.00", [(invoices[0], "100.00")]), format="json"
    ).json()
    history = admin_api.get(f"{RECEIPTS}{created['id']}/history/").json()
    assert [(e["model"], e["action"], e["user"]["id"]) for e in history] == [
        ("receipt", "created", admin_user.pk)
    ]
    log = admin_api.get("/api/v1/audit/events/", {"model": "creditentry"}).json()["results"]
    assert [(e["action"], e["changes"]["kind"][1]) for e in log] == [("created", "receipt")]


def test_receipts_and_credit_read_in_constant_queries(finance_api, organization, customer):
    """The receipt list (allocations prefetched with their invoices) and a customer's credit
    (entries with their credit notes) never read one more query per row."""

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert finance_api.get(url).status_code == 200
        return len(captured)

    def receive():
        invoice = InvoiceFactory(organization=organization, customer=customer, sent=True)
        body = receipt_body(customer, str(invoice.total + 5), [(invoice, str(invoice.total))])
        assert finance_api.post(RECEIPTS, body, format="json").status_code == 201

    receive()
    few = [queries(RECEIPTS), queries(credit_url(customer))]
    for _ in range(5):
        receive()
    assert [queries(RECEIPTS), queries(credit_url(customer))] == few
