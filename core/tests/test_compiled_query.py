"""`CompiledQuery`: the ORM's statement compiled once, run again with other values."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.sql import UpdateQuery
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import KEY_OF_LEASE, IdempotencyKey
from core.compiled_query import CompiledQuery, CompiledUpdate
from customers.tests.factories import CustomerFactory
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

ORGANIZATION = Invoice._meta.get_field("organization")
DUE_DATE = Invoice._meta.get_field("due_date")


def due_before(organization, day):
    return (
        Invoice.objects.filter(organization=organization, due_date__lt=day)
        .order_by("due_date", "id")
        .values_list("id", "total", "due_date", "customer__name")
    )


def test_rows_and_count_are_the_orms_for_each_set_of_values(organization):
    query = CompiledQuery(Invoice, due_before, organization=ORGANIZATION, day=DUE_DATE)
    stranger = CustomerFactory()
    today = organization.today()
    for offset in (-3, -2, 1):
        InvoiceFactory(organization=organization, due_date=today + timedelta(days=offset))
        InvoiceFactory(organization=stranger.organization, customer=stranger)

    for org, day in [(organization, today), (organization, today - timedelta(days=2))]:
        expected = list(due_before(org.pk, day))
        rows = query.rows(organization=org.pk, day=day)
        assert rows == expected
        # Converted as the ORM converts them (Decimal, date), on every database.
        assert [list(map(type, row)) for row in rows] == [list(map(type, row)) for row in expected]
        assert query.count(organization=org.pk, day=day) == len(expected)
        assert query.rows(limit=1, offset=1, organization=org.pk, day=day) == expected[1:2]
    other = stranger.organization.pk
    assert query.rows(organization=other, day=today) == list(due_before(other, today))


def test_the_statement_is_compiled_once_and_run_as_one_query(organization):
    query = CompiledQuery(Invoice, due_before, organization=ORGANIZATION, day=DUE_DATE)
    query.rows(organization=organization.pk, day=organization.today())

    with CaptureQueriesContext(connection) as captured:
        query.rows(organization=organization.pk, day=organization.today())

    assert len(captured.captured_queries) == 1
    assert len(query._plans) == 1


@pytest.mark.postgres
def test_a_read_with_a_limit_is_planned_once_on_postgresql():
    """With LIMIT and OFFSET as parameters PostgreSQL prices the generic plan above a
    custom one (it cannot know the row count): such a read, the idempotency key's on every
    keyed POST, was planned again on every run."""
    # Past psycopg's threshold (5 runs unprepared), then PostgreSQL's 5 custom plans.
    for number in range(20):
        IdempotencyKey.claim(scope="user:1", key=f"key-{number}", fingerprint="f")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ['SELECT %FROM "fintrack_idempotencykey"%LIMIT%'],
        )
        [(generic, custom)] = cursor.fetchall()
    assert custom <= 5 < generic


def test_a_builder_that_drops_a_parameter_is_refused(organization):
    query = CompiledQuery(
        Invoice,
        lambda organization, day: Invoice.objects.filter(organization=organization).values_list(
            "id"
        ),
        organization=ORGANIZATION,
        day=DUE_DATE,
    )

    with pytest.raises(ValueError, match="does not use"):
        query.rows(organization=organization.pk, day=organization.today())


def test_a_parameter_without_a_stand_in_is_refused(organization):
    query = CompiledQuery(
        Invoice,
        lambda total: Invoice.objects.filter(total=total).values_list("id"),
        total=Invoice._meta.get_field("total"),
    )

    with pytest.raises(TypeError, match="no stand-in"):
        query.rows(total=1)


def test_objects_are_the_instances_the_orm_reads(organization):
    query = CompiledQuery(
        Invoice,
        lambda organization: Invoice.objects.filter(organization=organization).order_by("id"),
        organization=ORGANIZATION,
    )
    InvoiceFactory(organization=organization)
    InvoiceFactory(organization=organization)
    expected = list(Invoice.objects.filter(organization=organization).order_by("id"))

    objects = query.objects(organization=organization.pk)

    assert objects == expected
    assert [vars(o) | {"_state": None} for o in objects] == [
        vars(o) | {"_state": None} for o in expected
    ]
    assert all(not o._state.adding and o._state.db == "default" for o in objects)
    assert query.objects(limit=1, offset=1, organization=organization.pk) == expected[1:]


@pytest.mark.parametrize(
    "shape",
    [
        lambda invoices: invoices.values_list("id", "total"),
        lambda invoices: invoices.select_related("customer"),
        lambda invoices: invoices.with_is_overdue(date(2026, 1, 1)),
    ],
)
def test_objects_of_rows_that_are_not_plain_instances_are_refused(organization, shape):
    query = CompiledQuery(
        Invoice,
        lambda organization: shape(Invoice.objects.filter(organization=organization)),
        organization=ORGANIZATION,
    )
    InvoiceFactory(organization=organization)

    assert len(query.rows(organization=organization.pk)) == 1
    with pytest.raises(TypeError, match="one model's instances"):
        query.objects(organization=organization.pk)


# --- CompiledUpdate ---------------------------------------------------------------------


def invoice_at(pk, version):
    return Invoice.objects.filter(pk=pk, version=version)


INVOICE_AT = {"pk": Invoice._meta.pk, "version": Invoice._meta.get_field("version")}


def comparable(params):
    # Each parameter as its type and value; a binary value as its bytes (psycopg wraps
    # them in a `Binary` holding `obj`, SQLite's are memoryviews).
    def value(param):
        param = getattr(param, "obj", param)
        return bytes(param) if isinstance(param, memoryview | bytes) else param

    return [(type(param), value(param)) for param in params]


def orm_update_statement(queryset, values):
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    return query.get_compiler(using="default").as_sql()


@pytest.mark.parametrize(
    "values",
    [
        {"notes": "Paid by wire", "paid_at": None, "version": 7},  # a NULL in the SQL
        {"notes": "", "paid_at": "now", "version": 8},
        {"customer": "a customer", "due_date": date(2031, 1, 2)},  # an instance for a key
    ],
    ids=["null", "values", "instance"],
)
def test_an_update_is_the_statement_the_orm_compiles(organization, values):
    invoice = InvoiceFactory(organization=organization)
    update = CompiledUpdate(Invoice, invoice_at, **INVOICE_AT)
    values = {
        name: {"now": timezone.now(), "a customer": invoice.customer}.get(value, value)
        if isinstance(value, str)
        else value
        for name, value in values.items()
    }

    expected_sql, expected_params = orm_update_statement(invoice_at(invoice.pk, 1), values)
    sql, params = update.statement({"pk": invoice.pk, "version": 1}, values)

    assert sql == expected_sql
    assert comparable(params) == comparable(expected_params)


def test_an_update_changes_the_rows_the_orm_would_and_counts_them(organization):
    invoice = InvoiceFactory(organization=organization, notes="before")
    other = InvoiceFactory(organization=organization, notes="untouched")
    update = CompiledUpdate(Invoice, invoice_at, **INVOICE_AT)
    paid_at = timezone.now()

    assert update.update({"pk": invoice.pk, "version": 2}, {"notes": "stale"}) == 0
    changed = update.update(
        {"pk": invoice.pk, "version": 1}, {"notes": "after", "paid_at": paid_at, "version": 2}
    )
    assert changed == 1
    assert update.update({"pk": invoice.pk, "version": 2}, {"paid_at": None}) == 1

    invoice.refresh_from_db()
    other.refresh_from_db()
    assert (invoice.notes, invoice.paid_at, invoice.version) == ("after", None, 2)
    assert (other.notes, other.version) == ("untouched", 1)
    assert len(update._plans) == 3  # one per shape: the columns, and which are NULL


def test_an_update_of_one_shape_is_compiled_once_and_run_as_one_query(organization):
    invoice = InvoiceFactory(organization=organization)
    update = CompiledUpdate(Invoice, invoice_at, **INVOICE_AT)
    update.update({"pk": invoice.pk, "version": 1}, {"notes": "first"})

    with CaptureQueriesContext(connection) as captured:
        update.update({"pk": invoice.pk, "version": 1}, {"notes": "second"})

    assert len(captured.captured_queries) == 1
    assert len(update._plans) == 1
    assert Invoice.objects.get(pk=invoice.pk).notes == "second"


def test_an_expression_goes_through_the_orm(organization):
    invoice = InvoiceFactory(organization=organization)
    update = CompiledUpdate(Invoice, invoice_at, **INVOICE_AT)

    assert update.update({"pk": invoice.pk, "version": 1}, {"version": F("version") + 4}) == 1

    assert Invoice.objects.get(pk=invoice.pk).version == 5
    assert update._plans == {}


def test_an_update_whose_builder_drops_a_parameter_is_refused(organization):
    invoice = InvoiceFactory(organization=organization)
    update = CompiledUpdate(
        Invoice, lambda pk, version: Invoice.objects.filter(pk=pk), **INVOICE_AT
    )

    with pytest.raises(ValueError, match="version"):
        update.update({"pk": invoice.pk, "version": 1}, {"notes": "x"})


def test_a_field_with_a_placeholder_of_its_own_is_compiled_as_the_orm_writes_it():
    # BinaryField asks the backend for its placeholder: the idempotency key's stored answer.
    key = IdempotencyKey.objects.create(
        scope="user:1|org:1", key="k", fingerprint="f", created_at=timezone.now(), lease_token="t"
    )
    update = CompiledUpdate(IdempotencyKey, IdempotencyKey.leased_to, **KEY_OF_LEASE.parameters)
    answer = {"status": "completed", "response_status": 201, "response_body": b"{}\x00\xff"}

    sql, params = update.statement({"pk": key.pk, "token": "t"}, answer)
    expected = orm_update_statement(IdempotencyKey.leased_to(key.pk, "t"), answer)

    assert (sql, comparable(params)) == (expected[0], comparable(expected[1]))
    assert update.update({"pk": key.pk, "token": "t"}, answer) == 1
    assert len(update._plans) == 1  # compiled, not left to the ORM
    key.refresh_from_db()
    assert (key.status, bytes(key.response_body)) == ("completed", b"{}\x00\xff")
