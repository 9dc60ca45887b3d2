"""The query budgets of the hot paths (see bench/README.md): a new query there fails here.

Counted as in production: the pay tests run without the test-case transaction
(`transaction=True`), so the request's own transactions are real ones and not savepoints
of the test's. BEGIN and COMMIT are not counted (Django does not log them on PostgreSQL;
on SQLite `BEGIN IMMEDIATE` is dropped below so both databases are held to one number).
"""

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from invoices.tests.factories import InvoiceFactory, line

# Budget of one payment: idempotency read, claim, hold and store (4), the user with its
# membership and organization (1), invoice read under lock (1), payment row and its history
# (2), sum of the payments, invoice update (which checks the version) and its history (3),
# and the `payment.created` outbox row, written already leased (1; bench/README.md).
PAY_QUERY_BUDGET = 12
# The user with its membership (1), the COUNT, the page, its lines.
LIST_QUERIES = 4
# The user with its membership (1), the figures (1); the summary also reads the credit
# notes, write-offs and recoveries of spec 14, dated on their own, in one UNION (1), and
# the credit applied to the invoices, which `amount_paid` holds but is no cash (1).
REPORT_QUERIES = {"summary": 4, "aging": 2}


@pytest.fixture
def broker(settings):
    """Production's hand-off: after the commit the event goes to the broker (Celery's
    in-memory transport here), and the consumers' work runs on a worker, not in this
    request. Without a broker (the embedded default) that work runs here after the commit:
    4 more statements (take the event, its deliveries and endpoints, mark it done)."""
    from fintrack.celery import app

    settings.CELERY_BROKER_URL = "memory://"
    previous = app.conf.broker_url
    app.conf.broker_url = "memory://"
    yield
    app.conf.broker_url = previous
    # The producer pool was made for the in-memory transport: the next user builds its own.
    app.pool.force_close_all()
    app._pool = None


def statements(captured):
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].split(" ", 1)[0].upper() not in {"BEGIN", "COMMIT"}
    ]


def counted(action):
    with CaptureQueriesContext(connection) as captured:
        response = action()
    return response, statements(captured)


def pay(client, invoice):
    return client.post(
        f"/api/v1/invoices/{invoice.pk}/pay/",
        {"amount": "1.00", "method": "bank_transfer"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )


@pytest.mark.usefixtures("broker")
@pytest.mark.django_db(transaction=True)
def test_a_payment_with_jwt_organization_and_idempotency_key_fits_the_budget(
    api, user_in, organization
):
    user = user_in(Role.FINANCE, organization)
    client = api(user, organization)
    first, second = (
        InvoiceFactory(organization=organization, sent=True, total="1000.00") for _ in range(2)
    )
    assert pay(client, first).status_code == 201  # warm: first-request caches

    response, queries = counted(lambda: pay(client, second))

    assert response.status_code == 201, response.content
    assert len(queries) <= PAY_QUERY_BUDGET, "\n".join(queries)


@pytest.mark.usefixtures("broker")
@pytest.mark.django_db(transaction=True)
def test_a_payment_reads_the_user_and_the_invoice_once_and_no_organization(
    api, user_in, organization
):
    client = api(user_in(Role.FINANCE, organization), organization)
    first, second = (
        InvoiceFactory(organization=organization, sent=True, total="1000.00") for _ in range(2)
    )
    pay(client, first)

    _, queries = counted(lambda: pay(client, second))

    def reads(table):
        return [sql for sql in queries if sql.startswith("SELECT") and f'FROM "{table}"' in sql]

    def joins(table):
        return [sql for sql in queries if sql.startswith("SELECT") and f'JOIN "{table}"' in sql]

    # Read once, joined to the membership the X-Organization header names.
    assert reads("accounts_user") == [] and len(joins("accounts_user")) == 1
    assert len(reads("invoices_invoice")) == 1  # tenant-scoped and locked in one read
    assert reads("accounts_organization") == []  # joined to the membership
    # The sum of the rows is the ledger; the answer is rendered from the new row, unread.
    assert [sql for sql in reads("payments_payment") if "SUM(" not in sql] == []


def add_invoices(organization, count):
    for index in range(count):
        InvoiceFactory(
            organization=organization,
            sent=index % 2 == 0,
            lines=[line(f"Line {n}", unit_price=f"{10 + n}.00") for n in range(1 + index % 4)],
        )


@pytest.mark.django_db
def test_the_invoice_list_costs_the_same_for_5_and_for_25_invoices(api, viewer_user, organization):
    client = api(viewer_user, organization)
    url = "/api/v1/invoices/?page_size=25"
    add_invoices(organization, 5)
    client.get(url)
    small, small_queries = counted(lambda: client.get(url))
    add_invoices(organization, 20)
    large, large_queries = counted(lambda: client.get(url))

    assert small.status_code == large.status_code == 200
    assert len(small.json()["results"]) == 5 and len(large.json()["results"]) == 25
    assert sum(len(row["lines"]) for row in large.json()["results"]) > 25
    assert len(small_queries) == len(large_queries) == LIST_QUERIES, "\n".join(large_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("report", ["summary", "aging"])
def test_the_summary_and_aging_cost_the_same_for_3_and_for_30_invoices(
    api, viewer_user, organization, report
):
    client = api(viewer_user, organization)
    url = f"/api/v1/reports/{report}/"
    issued = date.today() - timedelta(days=90)
    for index in range(3):
        InvoiceFactory(
            organization=organization, sent=True, total=f"{100 + index}.00", issue_date=issued
        )
    small, small_queries = counted(lambda: client.get(url))
    for index in range(27):
        InvoiceFactory(
            organization=organization, sent=True, total=f"{200 + index}.00", issue_date=issued
        )
    large, large_queries = counted(lambda: client.get(url))

    assert small.status_code == large.status_code == 200
    assert small.content != large.content
    assert len(small_queries) == len(large_queries) == REPORT_QUERIES[report], "\n".join(
        large_queries
    )


@pytest.mark.usefixtures("broker")
@pytest.mark.django_db(transaction=True)
def test_a_payment_counts_exactly_these_statements(api, user_in, organization):
    """The budget's itemisation, so a saving cannot silently turn into another cost."""
    client = api(user_in(Role.FINANCE, organization), organization)
    first, second = (
        InvoiceFactory(organization=organization, sent=True, total="1000.00") for _ in range(2)
    )
    pay(client, first)

    _, queries = counted(lambda: pay(client, second))

    kinds = [" ".join(sql.split()[:3]) for sql in queries]
    assert not [kind for kind in kinds if kind.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(queries) == PAY_QUERY_BUDGET, "\n".join(queries)
