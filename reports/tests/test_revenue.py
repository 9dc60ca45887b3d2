from datetime import date

import pytest

from reports.tests.factories import customer, draft, pay, refund, reverse, sent, void

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/revenue/"


@pytest.fixture
def books(organization):
    ann = customer(organization, "Ann")
    april = sent(ann, "100.00", issue=date(2025, 4, 15))
    pay(april, "100.00", date(2025, 4, 20))
    may = sent(ann, "250.00", issue=date(2025, 5, 3))
    pay(may, "200.00", date(2025, 5, 10))
    refund(april, "30.00", date(2025, 5, 25))
    bounced = pay(may, "50.00", date(2025, 6, 1))
    reverse(bounced, date(2025, 6, 15))
    void(ann, "70.00", issue=date(2025, 5, 20))
    draft(ann, "80.00", issue=date(2025, 5, 21))
    sent(customer(organization, "Ken", "JPY"), "5000", issue=date(2025, 6, 2))


def periods(body, currency="USD"):
    return next(item["periods"] for item in body["currencies"] if item["currency"] == currency)


def test_revenue_per_month_nets_reversals_and_shows_refunds_positive(viewer_api, books):
    response = viewer_api.get(URL, {"interval": "month"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["interval"] == "month"
    assert periods(body) == [
        {"period": "2025-04", "invoiced": "100.00", "collected": "100.00", "refunded": "0.00"},
        # The void and the draft of May are in no figure.
        {"period": "2025-05", "invoiced": "250.00", "collected": "200.00", "refunded": "30.00"},
        # 50 received on June 1 and reversed on June 15.
        {"period": "2025-06", "invoiced": "0.00", "collected": "0.00", "refunded": "0.00"},
    ]
    assert periods(body, "JPY") == [
        {"period": "2025-06", "invoiced": "5000", "collected": "0", "refunded": "0"}
    ]


def test_revenue_from_and_to_select_by_issue_and_received_dates(viewer_api, books):
    body = viewer_api.get(URL, {"from": "2025-05-01", "to": "2025-06-14"}).json()
    assert periods(body) == [
        {"period": "2025-05", "invoiced": "250.00", "collected": "200.00", "refunded": "30.00"},
        # The reversal of June 15 is after `to`.
        {"period": "2025-06", "invoiced": "0.00", "collected": "50.00", "refunded": "0.00"},
    ]


def test_revenue_leaves_out_other_organizations(viewer_api, organization, other_organization):
    foreign = sent(customer(other_organization, "Foreign"), "10.00", issue=date(2025, 6, 1))
    pay(foreign, "10.00", date(2025, 6, 2))
    assert viewer_api.get(URL).json()["currencies"] == []


@pytest.mark.parametrize("interval", ["week", "day", "year", "MONTH"])
def test_revenue_supports_only_the_month_interval(viewer_api, interval):
    response = viewer_api.get(URL, {"interval": interval})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "interval"


def test_revenue_from_after_to_is_400(viewer_api):
    response = viewer_api.get(URL, {"from": "2025-06-02", "to": "2025-06-01"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "to"
