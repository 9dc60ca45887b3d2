"""The list's hand-written renderer (invoices/listing.py) against the serializer.

The list renders tuples by hand for speed; the detail and every write still answer through
`InvoiceSerializer`. Both must give the same bytes for every invoice state, so a field
added to or changed in the serializer and not in the renderer fails here.
"""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from accounts.models import User
from credits.models import CreditNote, WriteOff
from customers.tests.factories import CustomerFactory
from invoices.listing import (
    UNFILTERED_PAGE,
    UnfilteredRows,
    invoice_rows,
    organization_invoices,
    render_invoices,
)
from invoices.models import Invoice, InvoiceStatus
from invoices.serializers import InvoiceSerializer
from invoices.tests.factories import InvoiceFactory, line
from invoices.views import InvoiceViewSet
from payments.models import Payment
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def mixed_lines():
    """A plain line, one with a discount, one with tax, one with both and odd figures."""
    return [
        line("Plain", quantity="2", unit_price="10.00"),
        line("Discounted", quantity="1.5", unit_price="33.3333", discount_percent="12.5"),
        line("Taxed", quantity="3", unit_price="0.10", tax_rate="8.5"),
        line(
            "Both",
            quantity="0.0001",
            unit_price="999999.9999",
            discount_percent="5",
            tax_rate="20",
        ),
    ]


@pytest.fixture
def book(organization):
    """One invoice of every state and currency shape the list can show."""
    actor = User.objects.system_actor()
    today = organization.today()
    past = {"issue_date": today - timedelta(days=60), "due_date": today - timedelta(days=30)}
    invoices = {
        "draft": InvoiceFactory(organization=organization, lines=mixed_lines()),
        "draft_without_lines": InvoiceFactory(organization=organization, lines=[]),
        "draft_with_text": InvoiceFactory(
            organization=organization,
            reference='PO-7 «ünïcode» "quoted"',
            notes="Line one\nline two\t✓",
            lines=mixed_lines(),
        ),
        "sent": InvoiceFactory(organization=organization, sent=True, lines=mixed_lines()),
        "overdue": InvoiceFactory(organization=organization, sent=True, **past),
        "paid": InvoiceFactory(organization=organization, paid=True, lines=mixed_lines()),
        "void": InvoiceFactory(organization=organization, sent=True),
        "voided_draft": InvoiceFactory(organization=organization),
        "jpy": InvoiceFactory(
            organization=organization,
            currency="JPY",
            sent=True,
            lines=[line("Yen", quantity="3", unit_price="1050", tax_rate="10")],
        ),
        "kwd": InvoiceFactory(
            organization=organization,
            currency="KWD",
            sent=True,
            lines=[line("Fils", quantity="1.25", unit_price="10.125", discount_percent="3")],
        ),
    }
    partly = InvoiceFactory(organization=organization, sent=True, total="100.00", **past)
    PaymentFactory(invoice=partly, amount="40.00")
    invoices["partially_paid_overdue"] = partly
    refunded = InvoiceFactory(organization=organization, paid=True, total="80.00")
    Payment.refund(refunded, amount=Decimal("30.00"), actor=actor, reason="Returned goods")
    invoices["paid_then_refunded"] = refunded
    jpy_partly = InvoiceFactory(organization=organization, currency="JPY", sent=True)
    PaymentFactory(invoice=jpy_partly, amount="1")
    invoices["jpy_partially_paid"] = jpy_partly
    kwd_paid = InvoiceFactory(organization=organization, currency="KWD", paid=True)
    invoices["kwd_paid"] = kwd_paid
    written_off = InvoiceFactory(organization=organization, sent=True, total="90.00", **past)
    PaymentFactory(invoice=written_off, amount="15.00")
    WriteOff.write_off(written_off, reason="Customer insolvent", actor=actor)
    invoices["uncollectible"] = written_off
    credited = InvoiceFactory(organization=organization, sent=True, total="60.00")
    CreditNote.issue(
        credited, lines=[line("Too much", unit_price="20.00")], reason="Overbilled", actor=actor
    )
    invoices["credited"] = credited
    invoices["void"].void(reason="Sent by mistake", actor=actor)
    invoices["voided_draft"].void(reason="", actor=actor)
    return invoices


def listed(organization):
    """The list's queryset, as the viewset builds it."""
    return (
        Invoice.objects.filter(organization=organization)
        .select_related("customer")
        .prefetch_related("lines")
        .with_is_overdue(organization.today())
    )


def test_the_book_covers_every_status(book):
    statuses = {invoice.status for invoice in Invoice.objects.all()}
    assert statuses == set(InvoiceStatus.values)
    assert Invoice.objects.filter(minor_unit=0).exists()
    assert Invoice.objects.filter(minor_unit=3).exists()
    overdue = listed(book["overdue"].organization).filter(is_overdue=True)
    assert set(overdue) == {book["overdue"], book["partially_paid_overdue"]}


def test_the_renderer_writes_the_serializers_bytes_for_every_state(book, organization):
    queryset = listed(organization)
    expected = JSONRenderer().render(InvoiceSerializer(queryset, many=True).data)

    rendered = JSONRenderer().render(render_invoices(invoice_rows(queryset)))

    assert rendered == expected


@pytest.mark.parametrize("name", ["draft", "overdue", "paid", "void", "jpy", "kwd"])
def test_each_invoice_renders_alone_as_the_serializer_renders_it(book, organization, name):
    queryset = listed(organization).filter(pk=book[name].pk)

    rendered = render_invoices(invoice_rows(queryset))

    assert rendered == InvoiceSerializer(queryset, many=True).data


def test_the_renderer_shows_every_serializer_field_in_order(book, organization):
    (rendered,) = render_invoices(invoice_rows(listed(organization).filter(pk=book["draft"].pk)))
    serializer = InvoiceSerializer()
    assert list(rendered) == list(serializer.fields)
    assert list(rendered["lines"][0]) == list(serializer.fields["lines"].child.fields)


def test_the_list_endpoint_answers_the_serializers_json(admin_api, book, organization):
    response = admin_api.get("/api/v1/invoices/", {"page_size": 100})

    assert response.status_code == 200
    expected = JSONRenderer().render(InvoiceSerializer(listed(organization), many=True).data)
    assert response.content.endswith(b'"results":' + expected + b"}")


def test_the_page_costs_the_same_queries_for_few_and_many_rows(admin_api, organization):
    customer = CustomerFactory(organization=organization)
    InvoiceFactory(organization=organization, customer=customer, lines=mixed_lines())
    admin_api.get("/api/v1/invoices/")  # first-request caches
    with CaptureQueriesContext(connection) as few:
        assert admin_api.get("/api/v1/invoices/").status_code == 200
    for _ in range(6):
        InvoiceFactory(organization=organization, customer=customer, lines=mixed_lines())
    with CaptureQueriesContext(connection) as many:
        assert admin_api.get("/api/v1/invoices/", {"page_size": 5}).status_code == 200

    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    "query", [{}, {"overdue": "true"}, {"search": "Customer"}, {"status": "paid,void"}]
)
def test_the_count_is_the_number_of_listed_invoices(admin_api, book, organization, query):
    # The count reads the invoices without the rows' customer join (listing.CountedRows).
    stranger = CustomerFactory()  # another organization's customer and invoice
    other = InvoiceFactory(organization=stranger.organization, customer=stranger)
    everything = admin_api.get("/api/v1/invoices/", {**query, "page_size": 100}).json()
    first = admin_api.get("/api/v1/invoices/", {**query, "page_size": 1}).json()

    assert everything["count"] == len(everything["results"]) == first["count"] > 0
    assert other.pk not in {row["id"] for row in everything["results"]}


def test_the_unfiltered_page_is_the_statement_the_orm_compiles_for_the_view(organization):
    # The compiled page must not drift from the view: same SQL, same parameters.
    view = InvoiceViewSet(action="list", format_kwarg=None)
    view.request = SimpleNamespace(organization=organization, query_params=QueryDict())
    today = organization.today()

    expected = invoice_rows(view.get_queryset()).query.sql_with_params()

    sql, params = UNFILTERED_PAGE.statement(organization=organization.pk, today=today)
    assert (sql, tuple(params)) == (expected[0], tuple(expected[1]))


def test_unfiltered_pages_are_the_orm_rows_cut_in_order(book, organization):
    expected = list(invoice_rows(organization_invoices(organization, organization.today())))
    rows = UnfilteredRows(organization, organization.today())

    pages = [rows[start : start + 4] for start in range(0, len(expected), 4)]

    assert rows.count() == len(expected) > 8
    assert [row for page in pages for row in page] == expected
    assert rows[len(expected) : len(expected) + 4] == []
