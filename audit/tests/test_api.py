import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role, User
from accounts.tests.factories import PASSWORD, MembershipFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory, line
from payments.models import Payment

pytestmark = pytest.mark.django_db
EVENTS = "/api/v1/audit/events/"
EVENT_KEYS = {"id", "model", "object_id", "action", "changes", "user", "timestamp"}

# Three hours at 19.99: a total (59.97) whose rounding the history must show exactly.
CONSULTING = line("Consulting", quantity="3", unit_price="19.99")


def paid_by(actor, organization, amount):
    """A sent invoice of `organization` with one payment of `amount`, both by `actor`."""
    invoice = InvoiceFactory(
        organization=organization, actor=actor, lines=[CONSULTING], currency="USD", sent=True
    )
    return invoice, Payment.pay(invoice, amount=amount, method="cash", actor=actor)


def history(client, kind, pk):
    response = client.get(f"/api/v1/{kind}/{pk}/history/")
    assert response.status_code == 200, response.json()
    return response.json()


# --- per-object history -------------------------------------------------------------------


def test_customer_changes_through_jwt_api_are_attributed_to_the_caller(finance_api, finance_user):
    created = finance_api.post("/api/v1/customers/", {"name": "Globex"}).json()
    response = finance_api.patch(f"/api/v1/customers/{created['id']}/", {"name": "Globex 2"})
    assert response.status_code == 200, response.json()

    events = history(finance_api, "customers", created["id"])

    assert [event["action"] for event in events] == ["created", "updated"]
    assert all(set(event) == EVENT_KEYS for event in events)
    assert all(
        event["user"] == {"id": finance_user.pk, "email": finance_user.email} for event in events
    )
    assert events[0]["changes"]["name"] == [None, "Globex"]
    assert events[1]["changes"] == {"name": ["Globex", "Globex 2"], "version": [1, 2]}
    assert events[1]["id"].startswith("customer:")
    assert events[1]["object_id"] == created["id"]


def test_invoice_history_is_oldest_first_and_send_records_status_and_number(
    admin_api, admin_user, organization
):
    invoice = InvoiceFactory(
        organization=organization, actor=admin_user, lines=[CONSULTING], currency="USD", sent=True
    )

    events = history(admin_api, "invoices", invoice.pk)

    assert events[0]["action"] == "created"
    assert events[-1]["action"] == "updated"
    timestamps = [event["timestamp"] for event in events]
    assert timestamps == sorted(timestamps)
    send = events[-1]["changes"]
    assert send["status"] == ["draft", "sent"]
    assert send["number"] == [None, "INV-00001"]
    # Money and dates are strings, never floats.
    assert isinstance(events[0]["changes"]["total"][1], str)
    assert isinstance(send["issue_date"][1], str)


def test_paying_through_jwt_api_attributes_payment_and_invoice_rows_to_the_caller(
    api, user_in, organization
):
    owner = user_in(Role.ADMIN, organization)
    clerk = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(
        organization=organization, actor=owner, lines=[CONSULTING], currency="USD", sent=True
    )
    client = api(clerk)

    response = client.post(
        f"/api/v1/invoices/{invoice.pk}/pay/", {"amount": "10.00", "method": "cash"}
    )
    assert response.status_code == 201, response.json()

    payment_events = history(client, "payments", response.json()["id"])
    assert payment_events[0]["user"]["id"] == clerk.pk
    invoice_events = history(client, "invoices", invoice.pk)
    assert invoice_events[-1]["user"]["id"] == clerk.pk
    assert invoice_events[-1]["changes"]["status"] == ["sent", "partially_paid"]
    assert invoice_events[-1]["changes"]["amount_paid"] == ["0.0000", "10.0000"]


def test_any_member_may_read_history(viewer_api, organization, admin_user):
    customer = CustomerFactory(organization=organization)
    assert viewer_api.get(f"/api/v1/customers/{customer.pk}/history/").status_code == 200


@pytest.mark.parametrize("kind", ["invoices", "customers", "payments"])
def test_history_of_another_organizations_object_is_404(
    kind, admin_api, other_organization, user_in
):
    stranger = user_in(Role.ADMIN, other_organization)
    invoice, payment = paid_by(stranger, other_organization, "1.00")
    pk = {"invoices": invoice.pk, "customers": invoice.customer_id, "payments": payment.pk}[kind]

    response = admin_api.get(f"/api/v1/{kind}/{pk}/history/")

    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_history_of_unknown_object_is_404(admin_api):
    assert admin_api.get("/api/v1/invoices/999999/history/").status_code == 404


def test_history_requires_authentication(api, organization):
    customer = CustomerFactory(organization=organization)
    assert api().get(f"/api/v1/customers/{customer.pk}/history/").status_code == 401


def test_invoice_history_holds_only_the_invoices_own_rows(admin_api, admin_user, organization):
    invoice = InvoiceFactory(
        organization=organization, actor=admin_user, lines=[CONSULTING], currency="USD", sent=True
    )
    events = history(admin_api, "invoices", invoice.pk)
    assert {event["model"] for event in events} == {"invoice"}
    lines = admin_api.get(EVENTS, {"model": "invoiceline"}).json()["results"]
    assert lines and all(event["model"] == "invoiceline" for event in lines)


# --- the organization's audit log ---------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FINANCE, Role.VIEWER])
def test_audit_log_is_admin_only(role, api, user_in, organization):
    response = api(user_in(role, organization)).get(EVENTS)
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"


def test_audit_log_is_newest_first_and_paginated(admin_api, admin_user, organization):
    for name in ("A", "B", "C"):
        CustomerFactory(organization=organization, name=name)

    body = admin_api.get(EVENTS, {"model": "customer", "page_size": 2}).json()

    assert body["count"] == 3
    assert body["next"] is not None
    names = [event["changes"]["name"][1] for event in body["results"]]
    assert names == ["C", "B"]
    timestamps = [event["timestamp"] for event in body["results"]]
    assert timestamps == sorted(timestamps, reverse=True)


def test_audit_log_covers_every_tracked_model_of_the_organization(
    admin_api, admin_user, organization
):
    invoice = InvoiceFactory(
        organization=organization, actor=admin_user, lines=[CONSULTING], currency="USD", sent=True
    )
    Payment.pay(invoice, amount="5.00", method="cash", actor=admin_user)
    organization.name = "Acme Renamed"
    organization._history_user = admin_user
    organization.save()

    body = admin_api.get(EVENTS, {"page_size": 100}).json()

    models = {event["model"] for event in body["results"]}
    assert models == {
        "invoice",
        "invoiceline",
        "payment",
        "customer",
        "membership",
        "organization",
    }
    ids = [event["id"] for event in body["results"]]
    assert len(ids) == len(set(ids))
    renamed = next(e for e in body["results"] if e["model"] == "organization")
    assert renamed["changes"]["name"] == ["Acme Ltd", "Acme Renamed"]


def test_audit_log_never_shows_another_organizations_events(
    admin_api, admin_user, organization, other_organization, user_in
):
    stranger = user_in(Role.ADMIN, other_organization)
    invoice, _ = paid_by(stranger, other_organization, "5.00")
    other_organization.name = "Renamed"
    other_organization.save()
    CustomerFactory(organization=organization)

    body = admin_api.get(EVENTS, {"page_size": 100}).json()

    foreign_ids = {
        ("organization", other_organization.pk),
        ("invoice", invoice.pk),
        ("customer", invoice.customer_id),
        ("membership", stranger.memberships.get().pk),
    }
    seen = {(event["model"], event["object_id"]) for event in body["results"]}
    assert not seen & foreign_ids
    assert not any(event["model"] in {"payment", "invoiceline"} for event in body["results"])
    assert not any(e["user"] and e["user"]["id"] == stranger.pk for e in body["results"])


def test_audit_log_filters_by_model_object_user_and_action(
    api, admin_api, admin_user, user_in, organization
):
    clerk = user_in(Role.FINANCE, organization)
    first = CustomerFactory(organization=organization)
    second = CustomerFactory(organization=organization)
    second.archive(actor=clerk)

    def results(**params):
        response = admin_api.get(EVENTS, params)
        assert response.status_code == 200, response.json()
        return response.json()["results"]

    assert {e["model"] for e in results(model="membership")} == {"membership"}
    assert {
        (e["model"], e["object_id"]) for e in results(model="customer", object_id=first.pk)
    } == {("customer", first.pk)}
    by_clerk = results(user=clerk.pk)
    assert [(e["object_id"], e["action"]) for e in by_clerk] == [(second.pk, "updated")]
    assert by_clerk[0]["changes"]["archived_at"][0] is None
    assert {e["action"] for e in results(action="updated")} == {"updated"}
    assert all(e["action"] == "created" for e in results(action="created"))


def test_audit_log_filters_deleted_events(admin_api, admin_user, organization):
    invoice = InvoiceFactory(
        organization=organization, actor=admin_user, lines=[CONSULTING], currency="USD"
    )
    invoice.delete_draft(actor=admin_user)

    deleted = admin_api.get(EVENTS, {"action": "deleted"}).json()["results"]

    assert {(e["model"], e["object_id"]) for e in deleted} >= {("invoice", invoice.pk)}
    assert all(e["action"] == "deleted" and e["changes"] == {} for e in deleted)


def test_audit_log_filters_by_since_and_until_dates_and_datetimes(
    admin_api, admin_user, organization
):
    old = CustomerFactory(organization=organization)
    Customer.history.filter(id=old.pk).update(history_date=timezone.now() - timedelta(days=10))
    new = CustomerFactory(organization=organization)
    today = timezone.now().date()

    def ids(**params):
        response = admin_api.get(EVENTS, {"model": "customer", **params})
        assert response.status_code == 200, response.json()
        return {event["object_id"] for event in response.json()["results"]}

    assert ids(since=today.isoformat()) == {new.pk}
    assert ids(until=(today - timedelta(days=1)).isoformat()) == {old.pk}
    assert ids(until=(today - timedelta(days=10)).isoformat()) == {old.pk}
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(since=since) == {new.pk}
    assert ids(since=(today - timedelta(days=11)).isoformat(), until=today.isoformat()) == {
        old.pk,
        new.pk,
    }


@pytest.mark.parametrize(
    "params",
    [
        {"model": "user"},
        {"model": "Invoice"},
        {"action": "changed"},
        {"object_id": "abc"},
        {"user": "me"},
        {"since": "yesterday"},
        {"since": "2024-13-01"},
        {"until": "2024-02-30T10:00:00"},
        {"until": "x" * 10_000},
    ],
)
def test_invalid_audit_log_filters_are_400(params, admin_api, admin_user):
    response = admin_api.get(EVENTS, params)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_audit_log_page_costs_constant_queries(
    admin_api, admin_user, organization, django_assert_max_num_queries
):
    invoice = InvoiceFactory(
        organization=organization, actor=admin_user, lines=[CONSULTING], currency="USD", sent=True
    )
    Payment.pay(invoice, amount="1.00", method="cash", actor=admin_user)
    # auth user + membership + count + page keys + 2 per model on the page (6 models).
    with django_assert_max_num_queries(16):
        few = admin_api.get(EVENTS, {"page_size": 100}).json()
    for number in range(30):
        other = InvoiceFactory(
            organization=organization,
            actor=admin_user,
            lines=[CONSULTING],
            currency="USD",
            sent=True,
        )
        Payment.pay(other, amount=f"{number + 1}.00", method="cash", actor=admin_user)
    with django_assert_max_num_queries(16):
        many = admin_api.get(EVENTS, {"page_size": 100}).json()
    assert len(many["results"]) == 100 > len(few["results"])


def test_object_history_costs_constant_queries(
    admin_api, admin_user, organization, django_assert_max_num_queries
):
    customer = CustomerFactory(organization=organization)
    for number in range(20):
        customer.name = f"Name {number}"
        customer.save()
    with django_assert_max_num_queries(5):
        events = history(admin_api, "customers", customer.pk)
    assert len(events) == 21


# --- no secrets in history ----------------------------------------------------------------


def test_no_history_row_or_event_contains_a_password_or_its_hash(
    admin_api, admin_user, organization
):
    assert "password" not in {field.name for field in User.history.model._meta.get_fields()}
    admin_user.set_password("another-secret-Passw0rd")
    admin_user.save()
    MembershipFactory(organization=organization, role=Role.VIEWER)
    InvoiceFactory(
        organization=organization, actor=admin_user, lines=[CONSULTING], currency="USD", sent=True
    )

    body = admin_api.get(EVENTS, {"page_size": 100}).json()

    text = json.dumps(body)
    assert "password" not in text
    assert admin_user.password not in text
    assert PASSWORD not in text
    for row in User.history.all():
        assert not hasattr(row, "password")


def test_invoice_lines_and_payment_events_are_scoped_by_their_organization(
    admin_api, admin_user, organization
):
    invoice = InvoiceFactory(
        organization=organization, actor=admin_user, lines=[CONSULTING], currency="USD", sent=True
    )
    line = invoice.lines.get()
    events = admin_api.get(EVENTS, {"model": "invoiceline", "object_id": line.pk}).json()
    assert events["count"] == 1
    assert events["results"][0]["changes"]["total"] == [None, "59.9700"]
    assert Invoice.objects.get(pk=invoice.pk).status == "sent"


@pytest.mark.parametrize(
    "params, expected",
    [
        # The edges of the accepted calendar (1970-01-01 to 2199-12-31, spec 3) with extreme
        # offsets: a bound, never an error (found by schemathesis at year 1 and 9999).
        ({"until": "2199-12-31"}, {"old", "new"}),
        ({"until": "2199-12-31T23:59:59.999999+00:00"}, {"old", "new"}),
        ({"until": "2199-12-31T23:59:59-23:00"}, {"old", "new"}),
        ({"since": "1970-01-01T00:00:00+14:00"}, {"old", "new"}),
        ({"since": "2199-12-31T23:59:59-23:59"}, set()),
        # PostgreSQL refuses UTC offsets beyond ±15:59; Python accepts up to ±23:59.
        ({"since": "2000-12-19T15:53:25+17:41"}, {"old", "new"}),
        ({"since": "1970-01-01T00:00:00-23:59"}, {"old", "new"}),
    ],
)
def test_audit_log_bounds_at_the_edges_of_time_are_not_a_500(
    params, expected, admin_api, admin_user, organization
):
    old = CustomerFactory(organization=organization)
    new = CustomerFactory(organization=organization)
    names = {old.pk: "old", new.pk: "new"}

    response = admin_api.get(EVENTS, {"model": "customer", **params})

    assert response.status_code == 200, response.json()
    assert {names[event["object_id"]] for event in response.json()["results"]} == expected
