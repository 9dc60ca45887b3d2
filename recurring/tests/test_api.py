"""`recurring-invoices/` (spec 16): shape, bad input, pause/resume, roles and tenancy."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from customers.tests.factories import CustomerFactory
from invoices.models import Invoice
from recurring.models import RecurringInvoice, RecurringRun, RecurringStatus
from recurring.tests.factories import recurring_invoice

pytestmark = pytest.mark.django_db

URL = "/api/v1/recurring-invoices/"


def body(customer, **fields):
    return {
        "customer": customer.pk,
        "interval": "month",
        "interval_count": 1,
        "start_date": "2026-01-31",
        "lines": [{"description": "Retainer", "quantity": "1", "unit_price": "250.00"}],
        **fields,
    }


@pytest.fixture
def customer(organization):
    return CustomerFactory(organization=organization, email="ap@globex.test", payment_terms_days=21)


def codes(response):
    return {(error["attr"], error["code"]) for error in response.json()["errors"]}


def test_create_answers_the_contracts_fields(finance_api, customer):
    response = finance_api.post(
        URL, body(customer, end_date="2026-12-31", auto_send=True, auto_email=True), format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert {
        key: data[key]
        for key in (
            "customer",
            "currency",
            "interval",
            "interval_count",
            "start_date",
            "end_date",
            "days_until_due",
            "auto_send",
            "auto_email",
            "status",
            "next_run_on",
            "last_invoice",
            "total",
        )
    } == {
        "customer": customer.pk,
        "currency": "USD",
        "interval": "month",
        "interval_count": 1,
        "start_date": "2026-01-31",
        "end_date": "2026-12-31",
        "days_until_due": 21,  # the customer's terms
        "auto_send": True,
        "auto_email": True,
        "status": "active",
        "next_run_on": "2026-01-31",
        "last_invoice": None,
        "total": "250.00",
    }
    [line] = data["lines"]
    assert (line["description"], line["total"]) == ("Retainer", "250.00")


def test_read_only_fields_are_ignored(finance_api, customer):
    response = finance_api.post(
        URL,
        body(customer, status="ended", next_run_on="2030-01-01", last_invoice=1),
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["next_run_on"]) == ("active", "2026-01-31")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"interval_count": 0}, ("interval_count", "min_value")),
        ({"interval": "fortnight"}, ("interval", "invalid_choice")),
        ({"end_date": "2026-01-30"}, ("end_date", "invalid_dates")),
        ({"start_date": "1969-12-31"}, ("start_date", "date_out_of_range")),
        ({"lines": []}, ("lines.non_field_errors", "min_length")),
        ({"days_until_due": -1}, ("days_until_due", "min_value")),
        ({"auto_email": True}, ("auto_email", "auto_email_needs_auto_send")),
        (
            {"lines": [{"description": "x", "quantity": "0", "unit_price": "1"}]},
            ("lines.0.quantity", "invalid_line"),
        ),
    ],
)
def test_bad_input_is_a_400_with_its_code_and_creates_nothing(
    finance_api, customer, fields, expected
):
    response = finance_api.post(URL, body(customer, **fields), format="json")
    assert response.status_code == 400, response.json()
    assert expected in codes(response)
    assert not RecurringInvoice.objects.exists()


def test_auto_email_to_a_customer_without_email_is_a_400(finance_api, organization):
    customer = CustomerFactory(organization=organization, email="")
    response = finance_api.post(URL, body(customer, auto_send=True, auto_email=True), format="json")
    assert response.status_code == 400
    assert ("auto_email", "customer_no_email") in codes(response)
    assert not RecurringInvoice.objects.exists()


def test_an_archived_customer_gets_no_template(finance_api, customer, finance_user):
    customer.archive(actor=finance_user)
    response = finance_api.post(URL, body(customer), format="json")
    assert response.status_code == 400
    assert ("customer", "customer_archived") in codes(response)
    assert not RecurringInvoice.objects.exists()


def test_another_organizations_customer_is_a_400(finance_api, other_organization):
    stranger = CustomerFactory(organization=other_organization)
    response = finance_api.post(URL, body(stranger), format="json")
    assert response.status_code == 400
    assert ("customer", "does_not_exist") in codes(response)
    assert not RecurringInvoice.objects.exists()


def test_another_organizations_template_is_404_and_never_listed(finance_api, other_organization):
    theirs = recurring_invoice(other_organization)
    assert finance_api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert finance_api.post(f"{URL}{theirs.pk}/pause/").status_code == 404
    assert finance_api.get(URL).json()["count"] == 0
    assert RecurringInvoice.objects.get(pk=theirs.pk).status == RecurringStatus.ACTIVE


def test_a_viewer_reads_but_cannot_write(viewer_api, organization, customer):
    template = recurring_invoice(organization, customer=customer)
    assert viewer_api.get(URL).json()["count"] == 1
    assert viewer_api.get(f"{URL}{template.pk}/").status_code == 200
    assert viewer_api.post(URL, body(customer), format="json").status_code == 403
    assert viewer_api.post(f"{URL}{template.pk}/pause/").status_code == 403
    assert viewer_api.patch(f"{URL}{template.pk}/", {"auto_send": True}).status_code == 403
    template.refresh_from_db()
    assert (template.status, template.auto_send, template.version) == ("active", False, 1)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE])
def test_admins_and_finance_pause_and_resume(api, user_in, organization, customer, role):
    client = api(user_in(role, organization))
    template = recurring_invoice(organization, customer=customer)
    response = client.post(f"{URL}{template.pk}/pause/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["next_run_on"]) == ("paused", None)
    assert client.post(f"{URL}{template.pk}/pause/").json()["errors"][0]["code"] == (
        "invalid_status"
    )
    paused = RecurringInvoice.objects.get(pk=template.pk)
    assert (paused.status, paused.version) == ("paused", 2)
    response = client.post(f"{URL}{template.pk}/resume/")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert client.post(f"{URL}{template.pk}/resume/").status_code == 409
    resumed = RecurringInvoice.objects.get(pk=template.pk)
    assert (resumed.status, resumed.next_run_on, resumed.version) == (
        "active",
        template.next_run_on,
        3,
    )


def test_pause_with_a_stale_if_match_is_412(finance_api, organization, customer):
    template = recurring_invoice(organization, customer=customer)
    response = finance_api.post(f"{URL}{template.pk}/pause/", HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
    assert RecurringInvoice.objects.get(pk=template.pk).status == "active"


def test_patch_changes_lines_and_end_date_and_carries_an_etag(finance_api, organization, customer):
    template = recurring_invoice(organization, customer=customer)
    response = finance_api.patch(
        f"{URL}{template.pk}/",
        {
            "end_date": "2026-06-30",
            "lines": [{"description": "Support", "quantity": "2", "unit_price": "40.00"}],
        },
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    assert (response.json()["end_date"], response.json()["total"]) == ("2026-06-30", "80.00")


def test_the_schedule_is_fixed_once_a_period_has_run(finance_api, organization, customer):
    template = recurring_invoice(organization, customer=customer, start_date=date(2026, 1, 1))
    call_command("run_recurring", "--as-of", "2026-01-01", stdout=None)
    before = RecurringInvoice.objects.get(pk=template.pk)
    response = finance_api.patch(
        f"{URL}{template.pk}/", {"interval": "week", "reference": "PO-9"}, format="json"
    )
    assert response.status_code == 409, response.json()
    assert response.json()["errors"][0]["code"] == "schedule_locked"
    after = RecurringInvoice.objects.get(pk=template.pk)
    assert (after.interval, after.reference, after.next_run_on, after.version) == (
        "month",
        "",
        before.next_run_on,
        before.version,
    )
    # Other fields stay editable; so does the schedule sent unchanged.
    response = finance_api.patch(
        f"{URL}{template.pk}/", {"interval": "month", "auto_send": True}, format="json"
    )
    assert response.status_code == 200


def test_moving_the_end_date_later_brings_an_ended_template_back(finance_api, organization):
    template = recurring_invoice(
        organization, start_date=date(2026, 1, 1), end_date=date(2026, 1, 1)
    )
    call_command("run_recurring", "--as-of", "2026-02-01", stdout=None)
    assert RecurringInvoice.objects.get(pk=template.pk).status == "ended"
    response = finance_api.patch(f"{URL}{template.pk}/", {"end_date": None}, format="json")
    assert (response.json()["status"], response.json()["next_run_on"]) == ("active", "2026-02-01")


def test_templates_are_not_deleted(finance_api, organization):
    template = recurring_invoice(organization)
    assert finance_api.delete(f"{URL}{template.pk}/").status_code == 405


def test_generated_invoices_link_back_and_filter_by_their_template(finance_api, organization):
    template = recurring_invoice(organization, start_date=date(2026, 1, 1))
    other = recurring_invoice(organization, start_date=date(2026, 1, 1))
    call_command("run_recurring", "--as-of", "2026-02-01", stdout=None)
    response = finance_api.get("/api/v1/invoices/", {"recurring_invoice": template.pk})
    results = response.json()["results"]
    assert len(results) == 2
    assert {row["recurring_invoice"] for row in results} == {template.pk}
    invoice = Invoice.objects.filter(recurring_invoice=other.pk).first()
    assert finance_api.get(f"/api/v1/invoices/{invoice.pk}/").json()["recurring_invoice"] == (
        other.pk
    )
    detail = finance_api.get(f"{URL}{template.pk}/").json()
    assert (
        detail["last_invoice"] == RecurringRun.objects.filter(template=template).last().invoice_id
    )
    assert detail["next_run_on"] == "2026-03-01"


def test_filters(finance_api, organization):
    active = recurring_invoice(organization)
    paused = recurring_invoice(organization)
    paused.pause(actor=User.objects.system_actor())
    assert [row["id"] for row in finance_api.get(URL, {"status": "paused"}).json()["results"]] == [
        paused.pk
    ]
    by_customer = finance_api.get(URL, {"customer": active.customer_id}).json()["results"]
    assert [row["id"] for row in by_customer] == [active.pk]
    assert finance_api.get(URL, {"status": "sleeping"}).status_code == 400


def test_history_records_the_actor(finance_api, finance_user, organization, customer):
    response = finance_api.post(URL, body(customer), format="json")
    template_id = response.json()["id"]
    finance_api.post(f"{URL}{template_id}/pause/")
    events = finance_api.get(f"{URL}{template_id}/history/").json()
    assert [event["action"] for event in events] == ["created", "updated"]
    assert {event["user"]["id"] for event in events} == {finance_user.pk}
    assert events[1]["changes"]["status"] == ["active", "paused"]


def test_the_schema_describes_the_endpoints(api):
    schema = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert set(paths[URL.rstrip("/") + "/"]) >= {"get", "post"}
    assert "delete" not in paths["/api/v1/recurring-invoices/{id}/"]
    for action in ("pause", "resume"):
        operation = paths[f"/api/v1/recurring-invoices/{{id}}/{action}/"]["post"]
        assert {"200", "409", "412"} <= set(operation["responses"])
        assert "requestBody" not in operation
    components = schema["components"]["schemas"]
    fields = components["RecurringInvoice"]["properties"]
    assert components["RecurringIntervalEnum"]["enum"] == ["week", "month", "quarter", "year"]
    assert fields["interval"]["$ref"].endswith("/RecurringIntervalEnum")
    assert fields["status"]["readOnly"] is True
    status_enum = fields["status"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert components[status_enum]["enum"] == ["active", "paused", "ended"]
    assert fields["next_run_on"]["nullable"] is True
    assert fields["last_invoice"]["nullable"] is True
    invoice = schema["components"]["schemas"]["Invoice"]["properties"]
    assert invoice["recurring_invoice"]["readOnly"] is True
    assert invoice["recurring_invoice"]["nullable"] is True


def test_an_unverified_user_cannot_set_up_auto_sending_when_verification_is_required(
    finance_api, finance_user, customer, organization, settings
):
    settings.EMAIL_VERIFICATION = "required"
    finance_user.email_verified = False
    finance_user.save()
    response = finance_api.post(URL, body(customer, auto_send=True), format="json")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "email_not_verified"
    assert not RecurringInvoice.objects.exists()
    # A template that only prepares drafts sends nothing.
    assert finance_api.post(URL, body(customer), format="json").status_code == 201


def test_listing_costs_the_same_queries_for_one_or_many_templates(finance_api, organization):
    recurring_invoice(organization)
    with CaptureQueriesContext(connection) as one:
        assert finance_api.get(URL).status_code == 200
    for _ in range(5):
        recurring_invoice(organization)
    with CaptureQueriesContext(connection) as six:
        assert finance_api.get(URL).json()["count"] == 6
    assert len(six) == len(one)


def test_a_new_currency_rounds_the_kept_lines_and_the_totals_again(finance_api, customer):
    lines = [{"description": "Half", "quantity": "1", "unit_price": "10.5"}] * 2
    template_id = finance_api.post(URL, body(customer, lines=lines), format="json").json()["id"]
    response = finance_api.patch(f"{URL}{template_id}/", {"currency": "JPY"}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    # Each line is rounded to whole yen (11), then summed: 22, not 21.00 rounded.
    assert [line["total"] for line in data["lines"]] == ["11", "11"]
    assert (data["subtotal"], data["total"]) == ("22", "22")
    template = RecurringInvoice.objects.get(pk=template_id)
    assert (template.minor_unit, template.total) == (0, 22)


def test_a_null_days_until_due_is_the_customers_terms_on_create_and_on_change(
    finance_api, customer, organization
):
    response = finance_api.post(URL, body(customer, days_until_due=5), format="json")
    assert response.json()["days_until_due"] == 5
    template_id = response.json()["id"]
    response = finance_api.patch(f"{URL}{template_id}/", {"days_until_due": None}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["days_until_due"] == 21  # the customer's terms
    # With a new customer, the new customer's terms.
    other = CustomerFactory(organization=organization, payment_terms_days=45)
    finance_api.patch(f"{URL}{template_id}/", {"days_until_due": 3}, format="json")
    response = finance_api.patch(
        f"{URL}{template_id}/", {"customer": other.pk, "days_until_due": None}, format="json"
    )
    assert (response.json()["customer"], response.json()["days_until_due"]) == (other.pk, 45)
    assert RecurringInvoice.objects.get(pk=template_id).days_until_due == 45


def test_a_change_to_an_archived_customer_is_a_400_and_changes_nothing(
    finance_api, organization, customer, finance_user
):
    template = recurring_invoice(organization, customer=customer)
    archived = CustomerFactory(organization=organization)
    archived.archive(actor=finance_user)
    response = finance_api.patch(
        f"{URL}{template.pk}/",
        {
            "customer": archived.pk,
            "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert ("customer", "customer_archived") in codes(response)
    after = RecurringInvoice.objects.get(pk=template.pk)
    assert (after.customer_id, after.total, after.version) == (customer.pk, 100, 1)
    assert [line.description for line in after.lines.all()] == ["Retainer"]
