"""Spec 3 and 6 (amended): the money grammar, JSON numbers, the calendar and
`received_before_issue` on pay and refund. Every refusal leaves the invoice as it was."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from fintrack.tests.helpers import error_code, snapshot
from invoices.tests.factories import InvoiceFactory
from payments.exceptions import ReceivedBeforeIssue
from payments.models import Payment

pytestmark = pytest.mark.django_db

# The defects found from outside (Python's Decimal() takes them all), and what the spec
# names besides: sign, exponent, spaces.
NOT_AMOUNTS = [
    "1_000.00",
    "１０",  # full-width digits  # noqa: RUF001
    "٣",  # Arabic-Indic three
    "𝟓𝟎",  # mathematical bold digits  # noqa: RUF001
    "+5",
    "-1",
    "1e3",
    " 5",
    "5 ",
    "5.",
    ".5",
    "1,000.00",
    "0x10",
]


def pay_url(invoice):
    return f"/api/v1/invoices/{invoice.pk}/pay/"


def refund_url(invoice):
    return f"/api/v1/invoices/{invoice.pk}/refund/"


def post_json(client, url, raw):
    """POST a body written by hand, so JSON numbers arrive exactly as a client types them."""
    return client.post(url, raw, content_type="application/json")


def state(invoice):
    """What a refusal must leave untouched: the invoice's `snapshot`, and no payment history
    written for any invoice."""
    return {**snapshot(invoice), "all_payment_history": Payment.history.count()}


@pytest.fixture
def invoice(organization):
    return InvoiceFactory(organization=organization, sent=True, total="5000.00")


@pytest.mark.parametrize("amount", NOT_AMOUNTS)
def test_pay_with_an_amount_outside_the_grammar_is_invalid_amount_and_records_nothing(
    finance_api, invoice, amount
):
    before = state(invoice)
    response = finance_api.post(pay_url(invoice), {"amount": amount, "method": "card"})
    assert response.status_code == 400
    assert error_code(response) == "invalid_amount"
    assert response.json()["errors"][0]["attr"] == "amount"
    assert state(invoice) == before


@pytest.mark.parametrize("amount", ["1_000.00", "１０", "٣", "𝟓𝟎", "+5", "1e3", " 5"])  # noqa: RUF001
def test_refund_with_an_amount_outside_the_grammar_is_invalid_amount_and_records_nothing(
    finance_api, finance_user, invoice, amount
):
    Payment.pay(invoice, amount=Decimal("3000.00"), method="card", actor=finance_user)
    before = state(invoice)
    response = finance_api.post(refund_url(invoice), {"amount": amount})
    assert response.status_code == 400
    assert error_code(response) == "invalid_amount"
    assert state(invoice) == before


@pytest.mark.parametrize("amount", ["0", "0.00", 0])
def test_a_zero_amount_is_invalid_amount(finance_api, invoice, amount):
    response = finance_api.post(pay_url(invoice), {"amount": amount, "method": "card"})
    assert (response.status_code, error_code(response)) == (400, "invalid_amount")


def test_the_model_refuses_what_the_api_refuses(finance_user, invoice):
    before = state(invoice)
    for amount in ("1_000.00", "１０", "٣", "𝟓𝟎", "1e3", Decimal("1E+3"), Decimal("-5")):  # noqa: RUF001
        with pytest.raises(Exception, match="greater than zero") as raised:
            Payment.pay(invoice, amount=amount, method="card", actor=finance_user)
        assert raised.value.code == "invalid_amount"
    assert state(invoice) == before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [('"amount": 10.50', "10.50"), ('"amount": 7', "7.00"), ('"amount": 0.1', "0.10")],
)
def test_a_json_number_is_read_from_the_digits_the_client_wrote(
    finance_api, invoice, raw, expected
):
    response = post_json(finance_api, pay_url(invoice), f'{{{raw}, "method": "card"}}')
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == expected
    assert Payment.objects.get().amount == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('"amount": 1e3', "invalid_amount"),
        ('"amount": 1E2', "invalid_amount"),
        ('"amount": 1.5e1', "invalid_amount"),
        ('"amount": -5', "invalid_amount"),
        ('"amount": -0.5', "invalid_amount"),
        ('"amount": 10.005', "too_precise"),
        # 0.1 + 0.2 as a binary float is 0.30000000000000004: read as written, it is exact.
        ('"amount": 0.30000000000000004', "too_precise"),
    ],
)
def test_a_json_number_outside_the_grammar_or_too_precise_is_refused(
    finance_api, invoice, raw, code
):
    before = state(invoice)
    response = post_json(finance_api, pay_url(invoice), f'{{{raw}, "method": "card"}}')
    assert (response.status_code, error_code(response)) == (400, code)
    assert state(invoice) == before


def test_zero_digits_beyond_the_minor_unit_are_accepted_others_are_too_precise(
    finance_api, organization
):
    jpy = InvoiceFactory(organization=organization, sent=True, total="5000", currency="JPY")
    before = state(jpy)
    response = finance_api.post(pay_url(jpy), {"amount": "10.5", "method": "card"})
    assert (response.status_code, error_code(response)) == (400, "too_precise")
    assert state(jpy) == before
    response = finance_api.post(pay_url(jpy), {"amount": "10.0", "method": "card"})
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "10"
    response = post_json(finance_api, pay_url(jpy), '{"amount": 20.00, "method": "card"}')
    assert response.json()["amount"] == "20"


@pytest.mark.parametrize("received_on", ["0001-01-01", "1969-12-31", "2200-01-01", "9999-12-31"])
def test_received_on_outside_1970_2199_is_date_out_of_range(finance_api, invoice, received_on):
    before = state(invoice)
    response = finance_api.post(
        pay_url(invoice), {"amount": "10.00", "method": "card", "received_on": received_on}
    )
    assert (response.status_code, error_code(response)) == (400, "date_out_of_range")
    assert response.json()["errors"][0]["attr"] == "received_on"
    assert state(invoice) == before


def test_received_before_the_issue_date_is_refused_and_nothing_changes(finance_api, organization):
    issued = organization.today() - timedelta(days=5)
    invoice = InvoiceFactory(organization=organization, sent=True, issue_date=issued)
    before = state(invoice)
    response = finance_api.post(
        pay_url(invoice),
        {"amount": "10.00", "method": "card", "received_on": str(issued - timedelta(days=1))},
    )
    assert (response.status_code, error_code(response)) == (400, "received_before_issue")
    assert response.json()["errors"][0]["attr"] == "received_on"
    assert state(invoice) == before
    # On the issue date itself the money is a payment.
    response = finance_api.post(
        pay_url(invoice), {"amount": "10.00", "method": "card", "received_on": str(issued)}
    )
    assert response.status_code == 201, response.json()


def test_received_before_issue_lives_in_the_model(finance_user, organization):
    invoice = InvoiceFactory(organization=organization, sent=True, issue_date=date(2025, 3, 1))
    before = state(invoice)
    with pytest.raises(ReceivedBeforeIssue):
        Payment.pay(
            invoice,
            amount=Decimal("1.00"),
            method="cash",
            received_on=date(2025, 2, 28),
            actor=finance_user,
        )
    assert state(invoice) == before


@pytest.mark.parametrize(
    "params",
    [
        {"received_from": "0001-01-01"},
        {"received_to": "2200-01-01"},
        {"received_from": "1969-12-31"},
    ],
)
def test_payment_date_filters_outside_1970_2199_are_date_out_of_range(finance_api, params):
    response = finance_api.get("/api/v1/payments/", params)
    assert (response.status_code, error_code(response)) == (400, "date_out_of_range")


def test_payment_date_filters_at_the_edges_of_the_range_are_fine(finance_api):
    params = {"received_from": "1970-01-01", "received_to": "2199-12-31"}
    assert finance_api.get("/api/v1/payments/", params).status_code == 200
