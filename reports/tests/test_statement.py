from datetime import date

import pytest

from reports.tests.conftest import TODAY
from reports.tests.factories import customer, draft, pay, refund, reverse, sent, void

pytestmark = pytest.mark.django_db


def url(client):
    return f"/api/v1/customers/{client.pk}/statement/"


@pytest.fixture
def carol(organization):
    carol = customer(organization, "Carol")
    march = sent(carol, "100.00", issue=date(2025, 3, 1))  # INV-00001
    pay(march, "40.00", date(2025, 3, 15))
    april = sent(carol, "250.00", issue=date(2025, 4, 5), due=date(2025, 5, 5), reference="PO-7")
    pay(march, "60.00", date(2025, 4, 5))
    pay(april, "200.00", date(2025, 4, 20), reference="WIRE-1")
    refund(april, "50.00", date(2025, 4, 25))
    bounced = pay(april, "100.00", date(2025, 4, 26))
    reverse(bounced, date(2025, 4, 28))
    sent(carol, "999.00", currency="EUR", issue=date(2025, 4, 10))
    void(carol, "70.00", issue=date(2025, 4, 11))
    draft(carol, "80.00", issue=date(2025, 4, 12))
    return carol


def test_statement_has_opening_balance_running_balance_and_closing_balance(viewer_api, carol):
    response = viewer_api.get(url(carol), {"from": "2025-04-01", "to": "2025-04-30"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["customer"], body["currency"]) == (carol.pk, "USD")
    assert (body["from"], body["to"]) == ("2025-04-01", "2025-04-30")
    assert body["opening_balance"] == "60.00"  # 100 invoiced - 40 paid in March
    assert [
        tuple(line[key] for key in ("date", "type", "number", "reference", "amount", "balance"))
        for line in body["lines"]
    ] == [
        ("2025-04-05", "invoice", "INV-00002", "PO-7", "250.00", "310.00"),
        ("2025-04-05", "payment", "INV-00001", "", "-60.00", "250.00"),
        ("2025-04-20", "payment", "INV-00002", "WIRE-1", "-200.00", "50.00"),
        ("2025-04-25", "refund", "INV-00002", "", "50.00", "100.00"),
        ("2025-04-26", "payment", "INV-00002", "", "-100.00", "0.00"),
        ("2025-04-28", "reversal", "INV-00002", "", "100.00", "100.00"),
    ]
    assert body["closing_balance"] == "100.00"


def test_statement_defaults_to_the_customers_currency_all_history_up_to_today(viewer_api, carol):
    body = viewer_api.get(url(carol)).json()
    assert (body["currency"], body["from"], body["to"]) == ("USD", None, TODAY.isoformat())
    assert body["opening_balance"] == "0.00"
    assert body["lines"][0]["type"] == "invoice"
    assert body["closing_balance"] == "100.00"


def test_statement_in_another_currency_lists_only_that_currency(viewer_api, carol):
    body = viewer_api.get(url(carol), {"currency": "EUR"}).json()
    assert [(line["type"], line["amount"]) for line in body["lines"]] == [("invoice", "999.00")]
    assert body["closing_balance"] == "999.00"


def test_statement_of_another_organizations_customer_is_404(viewer_api, other_organization):
    foreign = customer(other_organization, "Foreign")
    sent(foreign, "10.00", issue=date(2025, 6, 1))
    response = viewer_api.get(url(foreign))
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_statement_of_an_unknown_customer_is_404(viewer_api):
    assert viewer_api.get("/api/v1/customers/999999/statement/").status_code == 404


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"currency": "ZZZ"}, "currency"),
        ({"from": "2025-04-31"}, "from"),
        ({"from": "2025-05-01", "to": "2025-04-01"}, "to"),
    ],
)
def test_statement_bad_query_is_400(viewer_api, carol, params, attr):
    response = viewer_api.get(url(carol), params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr
