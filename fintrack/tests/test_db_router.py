"""The replica router (core/db_router.py) on Django's test mirror.

In the suite the `replica` alias is a second connection to the test database, so which
connection ran a query shows where the router sent it. Tests that must see the replica
answer use committed data (`transaction=True`): a mirror, like a real replica, cannot see
another connection's open transaction.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import OperationalError, connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.db_router import ReplicaRouter, report_database, report_reads
from invoices.models import Invoice
from payments.models import Payment
from reports.tests.factories import customer, pay, sent

BOTH = ["default", "replica"]
ISSUED = date(2025, 1, 10)


def tables_read(queries):
    return " ".join(query["sql"] for query in queries)


@pytest.fixture
def invoice(organization):
    return sent(customer(organization, "Ann", "USD"), "100.00", issue=ISSUED, due=ISSUED)


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_reads_stay_on_the_primary_unless_a_report_asks():
    assert Invoice.objects.all().db == "default"


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_report_reads_go_to_the_replica_outside_a_transaction():
    with report_reads():
        assert Invoice.objects.all().db == "replica"
        assert report_database() == "replica"


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_report_reads_inside_a_transaction_stay_on_the_primary():
    with report_reads(), transaction.atomic():
        assert Invoice.objects.all().db == "default"


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_writes_go_to_the_primary_even_inside_report_reads():
    with report_reads():
        assert ReplicaRouter().db_for_write(Invoice) == "default"
        assert ReplicaRouter().db_for_write(Invoice, instance=Invoice(pk=1)) == "default"


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_without_a_replica_alias_reports_read_the_primary(settings):
    settings.REPLICA_DATABASE = "not-configured"
    with report_reads():
        assert Invoice.objects.all().db == "default"
        assert report_database() == "default"


def test_the_replica_is_never_migrated():
    router = ReplicaRouter()
    assert router.allow_migrate("replica", "invoices") is False
    assert router.allow_migrate("default", "invoices") is True


@pytest.mark.django_db(databases=BOTH, transaction=True)
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/reports/summary/",
        "/api/v1/reports/aging/",
        "/api/v1/reports/revenue/",
        "/api/v1/reports/summary/?format=csv",
        "/api/v1/reports/aging/?format=xlsx",
    ],
)
def test_a_report_reads_its_figures_from_the_replica(viewer_api, invoice, url):
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = viewer_api.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    assert "invoices_invoice" in tables_read(on_replica)
    # The primary only authenticated the caller.
    assert "invoices_invoice" not in tables_read(on_primary)


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_a_customer_statement_reads_from_the_replica(viewer_api, invoice):
    url = f"/api/v1/customers/{invoice.customer_id}/statement/"
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert viewer_api.get(url).status_code == 200
    assert "invoices_invoice" in tables_read(on_replica)


@pytest.mark.django_db(databases=BOTH, transaction=True)
@pytest.mark.parametrize("url", ["/api/v1/invoices/?format=csv", "/api/v1/payments/?format=csv"])
def test_a_list_export_streams_from_the_replica(viewer_api, invoice, url):
    pay(invoice, "10.00", ISSUED)
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = viewer_api.get(url)
        assert response.status_code == 200
        content = b"".join(response.streaming_content).decode()
    assert len(content.splitlines()) == 2  # header and the one row
    table = "invoices_invoice" if "invoices" in url else "payments_payment"
    assert table in tables_read(on_replica)
    assert table not in tables_read(on_primary)


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_the_json_list_reads_from_the_primary(viewer_api, invoice):
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert viewer_api.get("/api/v1/invoices/").status_code == 200
    assert on_replica.captured_queries == []


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_a_money_transaction_never_touches_the_replica(finance_api, invoice):
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = finance_api.post(
            f"/api/v1/invoices/{invoice.pk}/pay/",
            {"amount": "40.00", "method": "bank_transfer", "received_on": "2025-01-11"},
        )
        # Even a report's context cannot pull the locked reads of a payment away.
        actor = User.objects.system_actor()
        with report_reads():
            Payment.pay(
                invoice, amount=Decimal("10.00"), method="cash", received_on=ISSUED, actor=actor
            )
    assert response.status_code == 201, response.json()
    assert on_replica.captured_queries == []


@pytest.mark.django_db(databases=BOTH, transaction=True)
@pytest.mark.parametrize("url", ["/api/v1/reports/summary/", "/api/v1/invoices/?format=csv"])
def test_an_unreachable_replica_is_a_503_before_any_byte_is_sent(
    viewer_api, invoice, url, monkeypatch
):
    def refuse():
        raise OperationalError("connection to the replica refused")

    monkeypatch.setattr(connections["replica"], "ensure_connection", refuse)
    # The error is answered (and reported, which the test client would re-raise).
    viewer_api.raise_request_exception = False
    response = viewer_api.get(url)
    assert response.status_code == 503
    assert not response.streaming
