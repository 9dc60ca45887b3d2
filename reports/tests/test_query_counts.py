"""Every report and export runs the same number of queries for 3 and for 300 invoices."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rates.models import ExchangeRate
from reports.tests.factories import customer, draft, pay, refund, reverse, sent, void

pytestmark = pytest.mark.django_db


def add_invoices(customers, start, count):
    """A mix of every status, currency and payment kind, one invoice at a time."""
    for index in range(start, start + count):
        client = customers[index % len(customers)]
        issued = date(2025, 1, 1) + timedelta(days=index % 170)
        kind = index % 5
        if kind == 0:
            draft(client, "10.00")
            continue
        if kind == 1:
            void(client, "12.00", issue=issued)
            continue
        invoice = sent(client, f"{100 + index}.00", issue=issued, due=issued + timedelta(days=20))
        if kind >= 3:
            payment = pay(invoice, "30.00", issued + timedelta(days=3))
            pay(invoice, "20.00", issued + timedelta(days=4))
        if kind == 4:
            refund(invoice, "5.00", issued + timedelta(days=5))
            reverse(payment, issued + timedelta(days=6))


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


def test_reports_and_exports_run_a_constant_number_of_queries(viewer_api, organization):
    ExchangeRate.objects.create(
        base="EUR", quote="USD", rate=Decimal("1.1"), effective_date=date(2024, 1, 1)
    )
    customers = [customer(organization, f"C{n}", currency) for n, currency in
                 enumerate(["USD", "EUR", "USD"])]  # fmt: skip
    statement = f"/api/v1/customers/{customers[0].pk}/statement/?from=2025-03-01"
    urls = [
        "/api/v1/reports/summary/",
        "/api/v1/reports/summary/?convert_to=USD",
        "/api/v1/reports/aging/",
        "/api/v1/reports/aging/?as_of=2025-04-01&convert_to=USD&format=xlsx",
        "/api/v1/reports/revenue/",
        "/api/v1/reports/revenue/?convert_to=USD&format=csv",
        statement,
        statement + "&format=xlsx",
        "/api/v1/invoices/?format=csv",
        "/api/v1/invoices/?format=xlsx",
        "/api/v1/payments/?format=csv",
    ]
    add_invoices(customers, 0, 3)
    with_three = {url: queries(viewer_api, url) for url in urls}
    add_invoices(customers, 3, 297)
    with_three_hundred = {url: queries(viewer_api, url) for url in urls}
    assert with_three_hundred == with_three
