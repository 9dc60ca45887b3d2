"""The router against a real PostgreSQL streaming replica (`.ci/replica` starts one).

These tests use the configured databases themselves, not a test database: DATABASE_URL
names a database on the primary and DATABASE_REPLICA_URL the same database on the
replica, which receives every committed write through streaming replication. To show
which server answered, a test pauses the replica's replay: the primary then holds rows
the replica does not, and a report that misses them was read from the replica.
"""

import secrets
import time
from datetime import date

import pytest
from django.db import DatabaseError, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from customers.models import Customer
from reports.tests.factories import customer, sent

pytestmark = pytest.mark.replica
ISSUED = date(2025, 1, 10)
CATCH_UP_SECONDS = 30


@pytest.fixture
def live(django_db_blocker):
    with django_db_blocker.unblock():
        yield


def primary_lsn():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        return cursor.fetchone()[0]


def wait_for_replica():
    """Until the replica has replayed everything the primary has committed so far."""
    target = primary_lsn()
    deadline = time.monotonic() + CATCH_UP_SECONDS
    with connections["replica"].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"the replica did not replay up to {target} in {CATCH_UP_SECONDS}s")
            time.sleep(0.1)


@pytest.fixture
def replay_paused(live):
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture
def books(live):
    """An organization with one sent invoice and a viewer and a finance member, on the
    replica too."""
    organization = OrganizationFactory(name=f"Replica {secrets.token_hex(4)}")
    users = {}
    for role in (Role.VIEWER, Role.FINANCE):
        email = f"{role}-{secrets.token_hex(4)}@example.com"
        users[role] = MembershipFactory(
            role=role, organization=organization, user=UserFactory(email=email)
        ).user
    client = customer(organization, "Ann", "USD")
    invoice = sent(client, "100.00", issue=ISSUED, due=ISSUED)
    wait_for_replica()
    return organization, client, invoice, users


def api_as(user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return api


def invoiced(response):
    assert response.status_code == 200, response.content
    return [item["invoiced"] for item in response.json()["currencies"]]


def test_the_replica_is_a_streaming_replica_that_refuses_writes(live):
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    with (
        pytest.raises(DatabaseError, match="read-only"),
        connections["replica"].cursor() as cursor,
    ):
        cursor.execute("UPDATE customers_customer SET name = 'changed on the replica'")


def test_a_write_on_the_primary_becomes_visible_on_the_replica(books):
    organization, *_ = books
    new = customer(organization, "Bea", "USD")
    wait_for_replica()
    assert Customer.objects.using("replica").filter(pk=new.pk, name="Bea").exists()


def test_a_report_is_served_by_the_replica(books, replay_paused):
    _, client, _, users = books
    viewer = api_as(users[Role.VIEWER])
    assert invoiced(viewer.get("/api/v1/reports/summary/")) == ["100.00"]
    # Committed on the primary, not yet replayed on the paused replica.
    sent(client, "50.00", issue=ISSUED, due=ISSUED)
    assert invoiced(viewer.get("/api/v1/reports/summary/")) == ["100.00"]
    connections["replica"].cursor().execute("SELECT pg_wal_replay_resume()")
    wait_for_replica()
    assert invoiced(viewer.get("/api/v1/reports/summary/")) == ["150.00"]


def test_an_export_is_served_by_the_replica(books, replay_paused):
    _, client, _, users = books
    viewer = api_as(users[Role.VIEWER])
    sent(client, "50.00", issue=ISSUED, due=ISSUED)
    response = viewer.get("/api/v1/invoices/?format=csv")
    assert response.status_code == 200
    rows = b"".join(response.streaming_content).decode().splitlines()
    assert len(rows) == 2  # header and the invoice the replica has; the new one is missing
    # The JSON list reads the primary: both invoices.
    assert viewer.get("/api/v1/invoices/").json()["count"] == 2


def test_a_money_transaction_never_touches_the_replica(books, replay_paused):
    _, _, invoice, users = books
    finance = api_as(users[Role.FINANCE])
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        # Paid twice while the replica lags: each payment sees the primary's balance.
        for amount in ("60.00", "40.00"):
            response = finance.post(
                f"/api/v1/invoices/{invoice.pk}/pay/",
                {"amount": amount, "method": "bank_transfer", "received_on": "2025-01-11"},
            )
            assert response.status_code == 201, response.json()
    assert on_replica.captured_queries == []
    invoice.refresh_from_db()
    assert invoice.status == "paid"
