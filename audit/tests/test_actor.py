"""Who is recorded as the actor of each change (spec 8): the JWT caller for the API, the
staff user for the admin (see test_admin.py), the system actor for operators' commands."""

import pytest
from simple_history.models import HistoricalRecords

from accounts.models import SYSTEM_ACTOR_EMAIL, Role, User
from customers.tests.factories import CustomerFactory
from invoices.models import Invoice, InvoiceLine
from invoices.tests.factories import InvoiceFactory, line
from payments.models import Payment

pytestmark = pytest.mark.django_db
LINE = {"description": "Consulting", "quantity": "3", "unit_price": "19.99"}

# Three hours at 19.99: a total (59.97) whose rounding the history must show exactly.
CONSULTING = line("Consulting", quantity="3", unit_price="19.99")


def test_invoice_created_edited_sent_and_paid_through_jwt_api_is_attributed_to_the_caller(
    api, user_in, organization
):
    clerk = user_in(Role.FINANCE, organization)
    client = api(clerk)
    customer = CustomerFactory(organization=organization, currency="USD")

    created = client.post("/api/v1/invoices/", {"customer": customer.pk, "lines": [LINE]})
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    edited = client.patch(f"/api/v1/invoices/{pk}/", {"reference": "PO-1"})
    assert edited.status_code == 200, edited.json()
    assert client.post(f"/api/v1/invoices/{pk}/send/", {}).status_code == 200
    paid = client.post(f"/api/v1/invoices/{pk}/pay/", {"amount": "59.97", "method": "card"})
    assert paid.status_code == 201, paid.json()

    rows = Invoice.history.filter(id=pk)
    assert rows.count() >= 4
    assert {row.history_user for row in rows} == {clerk}
    assert {row.history_user for row in InvoiceLine.history.filter(invoice_id=pk)} == {clerk}
    assert Payment.history.get(id=paid.json()["id"]).history_user == clerk

    events = client.get(f"/api/v1/invoices/{pk}/history/").json()
    assert {event["user"]["id"] for event in events} == {clerk.pk}
    send = next(event for event in events if "number" in event["changes"])
    assert send["changes"]["status"] == ["draft", "sent"]
    assert send["changes"]["number"] == [None, "INV-00001"]
    assert events[-1]["changes"]["status"] == ["sent", "paid"]


def test_a_request_never_leaks_its_user_into_later_changes(api, user_in, organization):
    """The middleware's request context ends with the request: a change made afterwards
    outside any request (a command, a job) is not attributed to the last API caller."""
    clerk = user_in(Role.FINANCE, organization)
    api(clerk).get("/api/v1/customers/")
    assert not hasattr(HistoricalRecords.context, "request")
    customer = CustomerFactory(organization=organization)
    assert customer.history.get().history_user is None


def test_domain_methods_called_by_commands_record_the_system_actor(organization, admin_user):
    """Commands pass `User.objects.system_actor()` as the actor of the model methods."""
    system = User.objects.system_actor()
    invoice = InvoiceFactory(
        organization=organization, actor=system, lines=[CONSULTING], currency="USD"
    )
    invoice.send(actor=system)
    Payment.pay(invoice, amount="1.00", method="cash", actor=system)
    assert {row.history_user for row in Invoice.history.filter(id=invoice.pk)} == {system}
    assert system.email == SYSTEM_ACTOR_EMAIL
    assert not system.is_active and not system.has_usable_password()
