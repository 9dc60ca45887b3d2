from datetime import date, timedelta
from decimal import Decimal

import pytest

from invoices.models import BOOKED_STATUSES, Invoice
from reports.services.aging import BUCKETS
from reports.tests.conftest import TODAY
from reports.tests.factories import customer, draft, pay, refund, reverse, sent, void

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/aging/"
ISSUED = date(2025, 1, 1)


def test_aging_buckets_by_days_past_due_at_each_boundary(viewer_api, organization):
    ann = customer(organization, "Ann")
    # Days past due -> amount; each amount a distinct power of two, so sums identify them.
    for days, amount in [(-5, 1), (0, 2), (1, 4), (30, 8), (31, 16), (60, 32), (61, 64)]:
        sent(ann, f"{amount}.00", issue=ISSUED, due=TODAY - timedelta(days=days))
    for days, amount in [(90, 128), (91, 256)]:
        sent(ann, f"{amount}.00", issue=ISSUED, due=TODAY - timedelta(days=days))
    response = viewer_api.get(URL)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["as_of"] == "2025-06-30"
    [usd] = body["currencies"]
    expected = {
        "current": "3.00",  # -5 and 0 days
        "1_30": "12.00",  # 1 and 30
        "31_60": "48.00",  # 31 and 60
        "61_90": "192.00",  # 61 and 90
        "over_90": "256.00",  # 91
        "total": "511.00",
    }
    assert usd["customers"] == [{"customer": ann.pk, "customer_name": "Ann", **expected}]
    assert usd["totals"] == expected


def test_aging_leaves_out_customers_owing_nothing_drafts_and_voids(viewer_api, organization):
    settled = customer(organization, "Settled")
    invoice = sent(settled, "10.00", issue=date(2025, 6, 1))
    pay(invoice, "10.00", date(2025, 6, 2))
    quiet = customer(organization, "Quiet")
    draft(quiet, "50.00")
    void(quiet, "70.00", issue=date(2025, 6, 1))
    owing = customer(organization, "Owing")
    sent(owing, "5.00", issue=date(2025, 6, 1), due=date(2025, 7, 1))
    [usd] = viewer_api.get(URL).json()["currencies"]
    assert [row["customer_name"] for row in usd["customers"]] == ["Owing"]
    assert usd["totals"]["current"] == "5.00"


@pytest.fixture
def paid_late(organization):
    """100.00 due 2025-03-31: 40 paid on 04-10, 60 on 05-20, 30 refunded today (06-30)."""
    late = customer(organization, "Late")
    invoice = sent(late, "100.00", issue=date(2025, 3, 1), due=date(2025, 3, 31))
    pay(invoice, "40.00", date(2025, 4, 10))
    pay(invoice, "60.00", date(2025, 5, 20))
    refund(invoice, "30.00", TODAY)
    sent(late, "25.00", issue=date(2025, 5, 1), due=date(2025, 5, 1))
    return late


def test_aging_as_of_a_past_date_ignores_later_payments_and_invoices(viewer_api, paid_late):
    [usd] = viewer_api.get(URL, {"as_of": "2025-04-30"}).json()["currencies"]
    # 100 - 40 received by then, 30 days past due; the May invoice did not exist yet.
    assert usd["customers"][0]["1_30"] == "60.00"
    assert usd["customers"][0]["total"] == "60.00"


def test_aging_as_of_counts_refunds_received_by_then(viewer_api, paid_late):
    [usd] = viewer_api.get(URL, {"as_of": "2025-05-31"}).json()["currencies"]
    assert usd["totals"]["total"] == "25.00"  # only the May invoice (30 days past due)
    assert usd["totals"]["1_30"] == "25.00"
    [usd] = viewer_api.get(URL, {"as_of": "2025-06-30"}).json()["currencies"]
    assert usd["totals"]["over_90"] == "30.00"  # refunded today, 91 days past due
    assert usd["totals"]["31_60"] == "25.00"


def test_aging_default_as_of_is_today_in_the_organizations_time_zone(viewer_api, paid_late):
    assert viewer_api.get(URL).json()["as_of"] == TODAY.isoformat()


def test_aging_before_anything_was_issued_is_empty(viewer_api, paid_late):
    assert viewer_api.get(URL, {"as_of": "2024-12-31"}).json()["currencies"] == []


def test_aging_leaves_out_other_organizations(viewer_api, other_organization, organization):
    sent(customer(other_organization, "Foreign"), "9.00", issue=date(2025, 6, 1))
    assert viewer_api.get(URL).json()["currencies"] == []


@pytest.mark.parametrize("as_of", ["2025-02-30", "soon", "-1"])
def test_aging_bad_as_of_is_400(viewer_api, as_of):
    response = viewer_api.get(URL, {"as_of": as_of})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "as_of"


@pytest.mark.parametrize("as_of", ["1970-01-01", "2199-12-31"])
def test_aging_at_the_ends_of_the_calendar_is_not_an_error(viewer_api, paid_late, as_of):
    response = viewer_api.get(URL, {"as_of": as_of})
    assert response.status_code == 200


def aging_from_payment_rows(organization, as_of):
    """The aging computed the long way, from its definition: each booked invoice issued by
    `as_of`, its total less each of its payment rows received by then, by days past due."""
    owed = {}
    invoices = Invoice.objects.filter(
        organization=organization, status__in=BOOKED_STATUSES, issue_date__lte=as_of
    )
    for invoice in invoices.prefetch_related("payments"):
        received = sum(
            (row.amount for row in invoice.payments.all() if row.received_on <= as_of),
            Decimal(0),
        )
        late = (as_of - invoice.due_date).days
        bucket = BUCKETS[sum(late > edge for edge in (0, 30, 60, 90))]
        buckets = owed.setdefault(
            (invoice.currency, invoice.customer_id), dict.fromkeys(BUCKETS, Decimal(0))
        )
        buckets[bucket] += invoice.total - received
    return {
        key: (*buckets.values(), sum(buckets.values()))
        for key, buckets in owed.items()
        if sum(buckets.values()) > 0
    }


def test_aging_at_every_date_is_the_totals_less_the_payment_rows_received_by_then(
    viewer_api, organization, paid_late
):
    """The report reads each invoice's balance plus what it received after `as_of`; this
    holds it to the definition, on dates around every payment, refund and reversal."""
    kenji = customer(organization, "Kenji", "JPY")
    yen = sent(kenji, "5000", issue=date(2025, 2, 10), due=date(2025, 3, 12))
    pay(yen, "1200", date(2025, 3, 20))
    bounced = pay(yen, "800", date(2025, 4, 2))
    reverse(bounced, date(2025, 5, 5))
    settled = customer(organization, "Settled")
    twice = sent(settled, "80.00", issue=date(2025, 1, 15), due=date(2025, 2, 14))
    pay(twice, "30.00", date(2025, 2, 1))
    pay(twice, "50.00", date(2025, 6, 12))
    movements = {row.received_on for row in paid_late.organization.payments.all()}
    dates = {day + timedelta(days=shift) for day in movements for shift in (-1, 0, 1)}
    dates |= {date(2025, 1, 1) + timedelta(days=n) for n in range(0, 200, 9)}
    compared = 0
    for as_of in sorted(dates):
        body = viewer_api.get(URL, {"as_of": as_of.isoformat()}).json()
        reported = {
            (entry["currency"], row["customer"]): tuple(
                Decimal(row[column]) for column in (*BUCKETS, "total")
            )
            for entry in body["currencies"]
            for row in entry["customers"]
        }
        assert reported == aging_from_payment_rows(organization, as_of), as_of
        compared += len(reported)
    assert compared > 50  # the dates cover months where all three customers owe
