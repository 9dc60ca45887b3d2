"""Concurrent sends and edits (spec 5.3) with real threads and row locks (PostgreSQL).

`transaction=True`: a wrapping test transaction would hide a missing atomic() and make the
threads' connections unable to see the test's rows.
"""

import threading
from decimal import Decimal
from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Role
from accounts.tests.factories import OrganizationFactory, UserFactory
from core.errors import ConcurrentModification, DomainError, InvalidStatus
from customers.tests.factories import CustomerFactory
from fintrack.tests.races import raised, run_at_once
from invoices.exceptions import InvoiceNotEditable
from invoices.models import Invoice, InvoiceLine, InvoiceStatus
from invoices.serializers import OrganizationCustomerField
from invoices.tests.factories import InvoiceFactory, line
from invoices.views import InvoiceViewSet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_sends_get_twenty_consecutive_numbers():
    organization = OrganizationFactory()
    actor = UserFactory()
    drafts = [InvoiceFactory(organization=organization).pk for _ in range(20)]

    errors = raised(run_at_once(lambda pk: Invoice.objects.get(pk=pk).send(actor=actor), drafts))

    assert errors == []
    numbers = sorted(Invoice.objects.filter(pk__in=drafts).values_list("number", flat=True))
    assert numbers == [f"INV-{n:05d}" for n in range(1, 21)]
    assert organization.invoice_sequence.last_number == 20


def test_concurrent_sends_of_one_draft_number_it_once():
    organization = OrganizationFactory()
    actor = UserFactory()
    draft = InvoiceFactory(organization=organization)

    errors = raised(
        run_at_once(lambda _: Invoice.objects.get(pk=draft.pk).send(actor=actor), range(5))
    )

    # The losers wait on the row lock, then see a sent invoice.
    assert len(errors) == 4
    assert all(isinstance(error, InvalidStatus) for error in errors)
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (InvoiceStatus.SENT, "INV-00001")
    organization.refresh_from_db()
    assert organization.invoice_sequence.last_number == 1


def test_concurrent_edits_of_one_draft_never_lose_an_update():
    organization = OrganizationFactory()
    actor = UserFactory()
    draft = InvoiceFactory(organization=organization)
    stale_copies = [Invoice.objects.get(pk=draft.pk) for _ in range(5)]

    errors = raised(
        run_at_once(
            lambda copy: copy.update_draft(actor=actor, notes=f"edit {id(copy)}"), stale_copies
        )
    )

    # All five read version 1: exactly one write wins, the others are refused, not lost.
    assert len(errors) == 4
    assert all(isinstance(error, ConcurrentModification) for error in errors)
    draft.refresh_from_db()
    assert draft.version == 2


URL = "/api/v1/invoices/"


def assert_ledger_ok():
    """verify_ledger raises CommandError (non-zero exit) on any violated invariant."""
    call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())


def call_api(request):
    """The response of `request()`, or "500" when the view raised (the test client re-raises
    what the server would have answered with a 500)."""
    try:
        return request()
    except Exception as error:  # any exception escaping a view is a 500
        return f"500: {error!r}"


def test_send_racing_an_update_never_changes_a_sent_invoices_lines():
    organization = OrganizationFactory()
    actor = UserFactory()
    for _ in range(6):
        draft = InvoiceFactory(organization=organization, lines=[line(unit_price="100.00")])
        copies = [Invoice.objects.get(pk=draft.pk) for _ in range(2)]

        def send_or_edit(index, copies=copies):
            if index == 0:
                copies[0].send(actor=actor)
            else:
                copies[1].update_draft(actor=actor, lines=[line(unit_price="300.00")])

        errors = raised(run_at_once(send_or_edit, [0, 1]))

        invoice = Invoice.objects.get(pk=draft.pk)
        assert invoice.status == InvoiceStatus.SENT
        prices = list(invoice.lines.values_list("unit_price", flat=True))
        if errors:
            # The send won: the edit is refused and the sent lines are the original ones.
            assert len(errors) == 1
            assert isinstance(errors[0], (InvoiceNotEditable, ConcurrentModification))
            assert prices == [Decimal("100.00")]
            assert invoice.total == Decimal("100.00")
        else:
            # The edit won: the invoice went out with the new lines and matching totals.
            assert prices == [Decimal("300.00")]
            assert invoice.total == Decimal("300.00")
        # No line row was written after the invoice was sent.
        assert not InvoiceLine.history.filter(
            invoice_id=draft.pk, history_date__gt=invoice.sent_at
        ).exists()
    assert_ledger_ok()


def both_read_then(first_action, monkeypatch):
    """Patch `InvoiceViewSet.get_object` so both racing requests read the invoice, then the
    `first_action` request runs to completion before the other one goes on (the
    interleaving a real race produces when the first commits while the second is between
    its read and its lock)."""
    read = threading.Barrier(2, timeout=10)
    first_done = threading.Event()
    original_get_object = InvoiceViewSet.get_object

    def get_object(self):
        obj = original_get_object(self)
        read.wait()
        if self.action != first_action:
            assert first_done.wait(timeout=10)
        return obj

    monkeypatch.setattr(InvoiceViewSet, "get_object", get_object)
    return first_done


@pytest.mark.parametrize("first", ["send", "destroy"])
def test_send_racing_a_delete_is_never_a_500(api, organization, user_in, monkeypatch, first):
    user = user_in(Role.FINANCE, organization)
    draft = InvoiceFactory(organization=organization)
    first_done = both_read_then(first, monkeypatch)
    responses = {}

    def request(name):
        client = api(user)
        try:
            if name == "send":
                responses[name] = call_api(lambda: client.post(f"{URL}{draft.pk}/send/", {}))
            else:
                responses[name] = call_api(lambda: client.delete(f"{URL}{draft.pk}/"))
        finally:
            if name == first:
                first_done.set()

    run_at_once(request, ["send", "destroy"])

    send, delete = responses["send"], responses["destroy"]
    assert not isinstance(send, str), send
    assert not isinstance(delete, str), delete
    if first == "send":
        assert (send.status_code, delete.status_code) == (200, 409)
        assert delete.json()["errors"][0]["code"] == "invoice_not_editable"
        assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.SENT
    else:
        # The draft is gone: the send lost the race and says so, as any lost write does.
        assert delete.status_code == 204
        assert send.status_code in {404, 409}
        assert not Invoice.objects.filter(pk=draft.pk).exists()
        organization.refresh_from_db()
        assert not hasattr(organization, "invoice_sequence")


def test_twenty_first_ever_sends_through_the_api_get_consecutive_numbers(
    api, organization, user_in
):
    """The organization has no InvoiceSequence row yet: 20 sends race to create it."""
    user = user_in(Role.FINANCE, organization)
    drafts = [InvoiceFactory(organization=organization).pk for _ in range(20)]
    responses = []

    def send(pk):
        responses.append(call_api(lambda: api(user).post(f"{URL}{pk}/send/", {})))

    run_at_once(send, drafts)

    assert not [r for r in responses if isinstance(r, str)], responses
    assert sorted(r.status_code for r in responses) == [200] * 20
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"INV-{n:05d}" for n in range(1, 21)]
    organization.refresh_from_db()
    assert organization.invoice_sequence.last_number == 20
    assert_ledger_ok()


def test_archiving_a_customer_while_an_invoice_is_created_for_it_refuses_the_invoice(
    api, organization, user_in, monkeypatch
):
    user = user_in(Role.FINANCE, organization)
    customer = CustomerFactory(organization=organization, currency="USD")
    archived = threading.Event()
    original_read = OrganizationCustomerField.to_internal_value

    def read_customer_then_wait_for_the_archive(self, data):
        value = original_read(self, data)  # the customer is read while still active
        assert archived.wait(timeout=10)
        return value

    monkeypatch.setattr(
        OrganizationCustomerField, "to_internal_value", read_customer_then_wait_for_the_archive
    )
    responses = {}

    def request(name):
        client = api(user)
        try:
            if name == "create":
                body = {
                    "customer": customer.pk,
                    "lines": [{"description": "X", "quantity": "1", "unit_price": "10.00"}],
                }
                responses[name] = call_api(lambda: client.post(URL, body))
            else:
                responses[name] = call_api(
                    lambda: client.delete(f"/api/v1/customers/{customer.pk}/")
                )
        finally:
            if name == "archive":
                archived.set()

    run_at_once(request, ["create", "archive"])

    assert responses["archive"].status_code == 204
    create = responses["create"]
    assert not isinstance(create, str), create
    assert create.status_code == 400, create.json()
    assert create.json()["errors"][0]["code"] == "customer_archived"
    assert not Invoice.objects.filter(customer=customer).exists()


def test_moving_a_draft_to_a_customer_archived_meanwhile_is_refused(organization):
    actor = UserFactory()
    draft = InvoiceFactory(organization=organization)
    target = CustomerFactory(organization=organization, currency=draft.currency)
    stale_target = type(target).objects.get(pk=target.pk)
    archived = threading.Event()
    results = {}

    def work(name):
        if name == "archive":
            target.archive(actor=actor)
            archived.set()
            return
        assert archived.wait(timeout=10)
        try:
            Invoice.objects.get(pk=draft.pk).update_draft(actor=actor, customer=stale_target)
        except DomainError as error:
            results["update"] = error

    assert raised(run_at_once(work, ["archive", "update"])) == []
    assert results["update"].code == "customer_archived"
    draft.refresh_from_db()
    assert draft.customer_id != target.pk


@pytest.mark.parametrize("rounds", range(4))
def test_writes_with_the_same_if_match_let_exactly_one_through(api, organization, user_in, rounds):
    """Both clients saw version 1: whichever writes first wins, the other gets 412 — the
    precondition is checked on the locked row, so a send cannot act on an edit it never saw
    (and an edit cannot slip in after a send was checked)."""
    user = user_in(Role.FINANCE, organization)
    draft = InvoiceFactory(organization=organization)
    responses = {}

    def write(name):
        client = api(user)
        url = f"{URL}{draft.pk}/"
        if name == "send":
            send = partial(client.post, f"{url}send/", {}, HTTP_IF_MATCH='"1"')
            responses[name] = call_api(send)
        else:
            edit = partial(client.patch, url, {"notes": name}, HTTP_IF_MATCH='"1"')
            responses[name] = call_api(edit)

    run_at_once(write, ["send", "edit"])

    statuses = sorted(response.status_code for response in responses.values())
    assert statuses == [200, 412], responses
    invoice = Invoice.objects.get(pk=draft.pk)
    # The winner is the only write: either sent with the original notes, or edited draft.
    if responses["send"].status_code == 200:
        assert (invoice.status, invoice.notes, invoice.version) == ("sent", draft.notes, 2)
    else:
        assert (invoice.status, invoice.notes, invoice.version) == ("draft", "edit", 2)
