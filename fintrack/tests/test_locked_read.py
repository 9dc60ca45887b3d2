"""A lock action's object read by a statement compiled once (`api.tenancy.locked_row`):
the ORM's own read for the view, and the same answers as DRF's `get_object`."""

import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import get_resolver

from api.tenancy import OrganizationScopedMixin, locked_row
from core.transactions import request_wide_transaction
from credits.models import CreditNote
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment

pytestmark = pytest.mark.django_db


def compiled_lock_views():
    views = set()
    for pattern in get_resolver().url_patterns:
        for inner in getattr(pattern, "url_patterns", [pattern]):
            for leaf in getattr(inner, "url_patterns", [inner]):
                view = getattr(getattr(leaf, "callback", None), "cls", None)
                if view and issubclass(view, OrganizationScopedMixin) and view.compiled_lock_read:
                    views.add(view)
    return sorted(views, key=lambda view: view.__name__)


def test_the_views_that_read_by_the_compiled_statement_are_the_invoice_commands():
    names = {view.__name__ for view in compiled_lock_views()}
    assert names == {"InvoicePaymentViewSet", "InvoiceCreditViewSet"}


@pytest.mark.parametrize("view_class", compiled_lock_views(), ids=lambda view: view.__name__)
def test_the_compiled_read_is_the_statement_the_orm_compiles_for_the_view(view_class, organization):
    # Same SQL, same parameters, for every lock action: a view that changes its queryset
    # (a filter, a join) fails here instead of reading another row set.
    invoice = InvoiceFactory(organization=organization)
    statement = locked_row(view_class.queryset.model, view_class.organization_field)
    for action in sorted(view_class.lock_object_actions):
        view = view_class(action=action, format_kwarg=None, kwargs={"pk": str(invoice.pk)})
        view.request = SimpleNamespace(organization=organization, query_params=QueryDict())
        view._lock_object = True
        with request_wide_transaction():
            queryset = view.filter_queryset(view.get_queryset()).filter(pk=invoice.pk)
            expected = queryset.order_by().query.sql_with_params()
            sql, params = statement.statement(organization=organization.pk, pk=invoice.pk)
            assert ("FOR UPDATE" in sql) is connection.features.has_select_for_update
            assert (sql, tuple(params)) == (expected[0], tuple(expected[1])), action
            assert statement.objects(organization=organization.pk, pk=invoice.pk) == [invoice]


def written():
    """What a lock action could have written: payment rows, credit notes, invoice rows."""
    invoices = list(Invoice.objects.order_by("pk").values_list("pk", "version", "amount_paid"))
    return Payment.objects.count(), CreditNote.objects.count(), invoices


@pytest.mark.parametrize("action", ["pay", "refund", "credit-notes", "write-off"])
@pytest.mark.parametrize("address", ["another organization's", "abc", "9" * 30, "-1"])
def test_a_keyed_lock_action_on_no_invoice_of_the_organization_is_404_and_writes_nothing(
    admin_api, organization, other_organization, action, address
):
    other = InvoiceFactory(organization=other_organization, sent=True, total="100.00")
    pk = other.pk if address == "another organization's" else address
    before = written()

    response = admin_api.post(
        f"/api/v1/invoices/{pk}/{action}/",
        {"amount": "1.00", "method": "cash"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )

    assert response.status_code == 404, response.content
    assert response.json()["errors"][0]["code"] == "not_found"
    assert written() == before


def test_a_keyed_payment_reads_its_invoice_locked_and_pays_it(admin_api, organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")

    response = admin_api.post(
        f"/api/v1/invoices/{invoice.pk}/pay/",
        {"amount": "40.00", "method": "cash"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )

    assert response.status_code == 201, response.content
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status) == (Decimal("40.00"), "partially_paid")
