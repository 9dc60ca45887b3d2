"""The invoice API (spec 5): create/edit drafts, actions, error codes, roles and tenancy."""

from datetime import date, timedelta

import pytest

from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code, snapshot
from invoices.models import Invoice, InvoiceLine, InvoiceStatus
from invoices.tests.factories import InvoiceFactory, line
from invoices.views import InvoiceViewSet
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/invoices/"


def detail(invoice, action=""):
    return f"{URL}{invoice.pk}/{action + '/' if action else ''}"


@pytest.fixture
def customer(organization):
    return CustomerFactory(organization=organization, currency="USD", payment_terms_days=30)


LINE = {"description": "Consulting", "quantity": "2", "unit_price": "50.00", "tax_rate": "10"}


# --- create ---------------------------------------------------------------------------------


def test_create_draft_returns_201_with_computed_fields(finance_api, finance_user, customer):
    response = finance_api.post(
        URL, {"customer": customer.pk, "reference": "PO-7", "lines": [LINE]}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["number"] is None
    assert body["customer"] == customer.pk
    assert body["customer_name"] == customer.name
    assert body["currency"] == "USD"
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("100.00", "10.00", "110.00")
    assert body["is_overdue"] is False
    assert body["version"] == 1
    assert body["lines"][0]["total"] == "110.00"
    invoice = Invoice.objects.get(pk=body["id"])
    assert invoice.history.get().history_user == finance_user


def test_read_only_fields_sent_at_create_are_ignored(finance_api, customer):
    response = finance_api.post(
        URL,
        {
            "customer": customer.pk,
            "lines": [{**LINE, "amount": "1.00", "total": "1.00"}],
            "status": "paid",
            "number": "INV-99999",
            "subtotal": "1.00",
            "total": "1.00",
            "amount_paid": "110.00",
            "balance_due": "0.00",
            "is_overdue": True,
            "version": 42,
            "sent_at": "2020-01-01T00:00:00Z",
            "paid_at": "2020-01-01T00:00:00Z",
            "voided_at": "2020-01-01T00:00:00Z",
            "void_reason": "hack",
            "created_at": "2020-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["number"] is None
    assert (body["total"], body["amount_paid"], body["balance_due"]) == ("110.00", "0.00", "110.00")
    assert body["lines"][0]["total"] == "110.00"
    assert body["version"] == 1
    assert body["is_overdue"] is False
    assert body["sent_at"] is body["paid_at"] is body["voided_at"] is None
    assert body["void_reason"] == ""
    assert not body["created_at"].startswith("2020")
    invoice = Invoice.objects.get(pk=body["id"])
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.DRAFT, 0)


def test_read_only_fields_sent_on_patch_are_ignored(finance_api, organization):
    invoice = InvoiceFactory(organization=organization)
    response = finance_api.patch(
        detail(invoice), {"status": "void", "number": "X-1", "total": "0.00", "notes": "n"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["number"]) == ("draft", None)
    assert response.json()["total"] == "100.00"


def test_currency_defaults_to_customers_and_can_be_chosen(finance_api, organization):
    customer = CustomerFactory(organization=organization, currency="EUR")
    assert finance_api.post(URL, {"customer": customer.pk}).json()["currency"] == "EUR"
    response = finance_api.post(URL, {"customer": customer.pk, "currency": "JPY"})
    assert response.json()["currency"] == "JPY"


def test_customer_of_another_organization_is_refused(finance_api, other_organization):
    foreign = CustomerFactory(organization=other_organization)
    response = finance_api.post(URL, {"customer": foreign.pk, "lines": [LINE]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "customer"
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("fraction", [0.7, 0.5, 0.01])
def test_fractional_customer_id_is_400_not_truncated_to_another_customer(
    finance_api, customer, fraction
):
    # int(4.7) is 4: a fractional id must not silently pick the customer it truncates to.
    response = finance_api.post(URL, {"customer": customer.pk + fraction})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "customer"
    assert not Invoice.objects.exists()


def test_archived_customer_is_refused_with_customer_archived(finance_api, finance_user, customer):
    customer.archive(actor=finance_user)
    response = finance_api.post(URL, {"customer": customer.pk})
    assert response.status_code == 400
    assert error_code(response) == "customer_archived"
    assert response.json()["errors"][0]["attr"] == "customer"


def test_due_date_before_issue_date_is_400(finance_api, customer):
    response = finance_api.post(
        URL, {"customer": customer.pk, "issue_date": "2025-05-02", "due_date": "2025-05-01"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "due_date"


def bad_line(**changes):
    return {"lines": [{**LINE, **changes}]}


OMIT = object()
MALFORMED_BODIES = {
    "customer missing": {"customer": OMIT, "lines": [LINE]},
    "customer wrong type": {"customer": "abc"},
    "customer as list": {"customer": [1]},
    "customer unknown": {"customer": 999999},
    "customer huge": {"customer": 10**30},
    "customer negative": {"customer": -1},
    "currency unknown": {"currency": "ZZZ"},
    "currency wrong type": {"currency": 12},
    "issue date malformed": {"issue_date": "2025-13-45"},
    "due date wrong type": {"due_date": 20250101},
    "reference too long": {"reference": "x" * 101},
    "notes too long": {"notes": "x" * 5001},
    "lines not a list": {"lines": "oops"},
    "lines as dict": {"lines": {"description": "x"}},
    "line not an object": {"lines": ["x"]},
    "line null": {"lines": [None]},
    "too many lines": {"lines": [LINE] * 501},
    "description missing": {"lines": [{"quantity": "1", "unit_price": "1"}]},
    "description empty": bad_line(description=""),
    "description too long": bad_line(description="x" * 501),
    "description as object": bad_line(description={"a": 1}),
    "quantity zero": bad_line(quantity="0"),
    "quantity negative": bad_line(quantity="-1"),
    "quantity five decimals": bad_line(quantity="1.00001"),
    "quantity text": bad_line(quantity="many"),
    "quantity bool": bad_line(quantity=True),
    "quantity list": bad_line(quantity=[1]),
    "quantity huge": bad_line(quantity="1e30"),
    "quantity huge integer": bad_line(quantity=10**40),
    "unit price negative": bad_line(unit_price="-0.01"),
    "unit price null": bad_line(unit_price=None),
    "discount 101": bad_line(discount_percent="101"),
    "discount negative": bad_line(discount_percent="-1"),
    "tax 100.5": bad_line(tax_rate="100.5"),
    "amount overflow": bad_line(quantity="999999999999999", unit_price="999999999999999"),
    "total overflow": {"lines": [{**LINE, "quantity": "9999999999", "unit_price": "9999.99"}] * 20},
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
def test_malformed_create_is_400_and_writes_nothing(finance_api, customer, body):
    payload = {"customer": customer.pk, **body}
    payload = {name: value for name, value in payload.items() if value is not OMIT}
    response = finance_api.post(URL, payload)
    assert response.status_code == 400, response.json()
    assert response.json()["type"] == "validation_error"
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "[]",
        '"text"',
        "null",
        '{"customer": %(c)s, "lines": [{"description": "x", "quantity": 1e400, "unit_price": 1}]}',
        '{"customer": %(c)s, "lines": [{"description": "x", "quantity": NaN, "unit_price": 1}]}',
        '{"customer": %(c)s, "lines": [{"description": "x", "quantity": 1, '
        '"unit_price": -Infinity}]}',
    ],
)
def test_malformed_json_is_400_not_500(finance_api, customer, raw):
    response = finance_api.generic(
        "POST",
        URL,
        raw % {"c": customer.pk} if "%" in raw else raw,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Invoice.objects.exists()


def test_json_numbers_are_accepted_as_exact_amounts(finance_api, customer):
    body = {
        "customer": customer.pk,
        "lines": [{"description": "x", "quantity": 3, "unit_price": 19.99}],
    }
    assert finance_api.post(URL, body).json()["total"] == "59.97"


# --- read, tenancy ------------------------------------------------------------------------


def test_retrieve_has_etag_and_is_overdue(admin_api, organization):
    today = organization.today()
    invoice = InvoiceFactory(
        organization=organization,
        issue_date=today - timedelta(days=30),
        due_date=today - timedelta(days=1),
        sent=True,
    )
    response = admin_api.get(detail(invoice))
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert response.json()["is_overdue"] is True
    assert response.json()["number"] == "INV-00001"


def test_other_organizations_invoice_is_404_and_never_listed(admin_api, other_organization):
    foreign = InvoiceFactory(organization=other_organization, sent=True)
    assert admin_api.get(detail(foreign)).status_code == 404
    assert admin_api.get(URL).json()["count"] == 0
    assert admin_api.patch(detail(foreign), {"notes": "x"}).status_code == 404
    assert admin_api.post(detail(foreign, "void"), {"reason": "x"}).status_code == 404
    assert admin_api.delete(detail(foreign)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == InvoiceStatus.SENT


def test_moving_a_draft_to_another_organizations_customer_is_refused(
    admin_api, organization, other_organization
):
    invoice = InvoiceFactory(organization=organization)
    foreign = CustomerFactory(organization=other_organization)
    response = admin_api.patch(detail(invoice), {"customer": foreign.pk})
    assert response.status_code == 400
    invoice.refresh_from_db()
    assert invoice.customer.organization == organization


def test_unauthenticated_is_401(api):
    assert api().get(URL).status_code == 401


# --- roles --------------------------------------------------------------------------------


def test_viewer_can_read(viewer_api, organization):
    invoice = InvoiceFactory(organization=organization)
    assert viewer_api.get(URL).status_code == 200
    assert viewer_api.get(detail(invoice)).status_code == 200


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("post", None, {}),
        ("patch", "", {"notes": "x"}),
        ("put", "", {}),
        ("delete", "", None),
        ("post", "send", {}),
        ("post", "void", {"reason": "x"}),
    ],
)
def test_viewer_cannot_write_or_act(viewer_api, organization, customer, method, action, body):
    invoice = InvoiceFactory(organization=organization, customer=customer)
    url = URL if action is None else detail(invoice, action)
    if method == "post" and action is None:
        body = {"customer": customer.pk}
    response = getattr(viewer_api, method)(url, body)
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert (invoice.status, invoice.version) == (InvoiceStatus.DRAFT, 1)
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize("client", ["admin_api", "finance_api"])
def test_admin_and_finance_can_create_send_and_void(request, organization, customer, client):
    api = request.getfixturevalue(client)
    created = api.post(URL, {"customer": customer.pk, "lines": [LINE]}).json()
    invoice = Invoice.objects.get(pk=created["id"])
    assert api.post(detail(invoice, "send"), {}).status_code == 200
    assert api.post(detail(invoice, "void"), {"reason": "x"}).status_code == 200


# --- editing drafts -----------------------------------------------------------------------


def test_patch_draft_updates_fields_and_bumps_version(finance_api, finance_user, organization):
    invoice = InvoiceFactory(organization=organization)
    response = finance_api.patch(detail(invoice), {"reference": "PO-9", "due_date": "2030-01-31"})
    assert response.status_code == 200, response.json()
    assert response.json()["reference"] == "PO-9"
    assert response.json()["due_date"] == "2030-01-31"
    assert response.json()["version"] == 2
    assert response.json()["lines"][0]["total"] == "100.00"
    assert invoice.history.first().history_user == finance_user


def test_patch_to_an_archived_customer_is_400_customer_archived(
    finance_api, finance_user, organization
):
    invoice = InvoiceFactory(organization=organization)
    archived = CustomerFactory(organization=organization)
    archived.archive(actor=finance_user)
    response = finance_api.patch(detail(invoice), {"customer": archived.pk})
    assert (response.status_code, error_code(response)) == (400, "customer_archived")


def test_patch_currency_recomputes_lines_for_the_new_minor_unit(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, lines=[line(unit_price="10.50")])
    body = finance_api.patch(detail(invoice), {"currency": "JPY"}).json()
    assert (body["currency"], body["total"], body["lines"][0]["amount"]) == ("JPY", "11", "11")


def test_put_with_lines_replaces_all_lines(finance_api, organization, customer):
    invoice = InvoiceFactory(organization=organization, customer=customer, lines=[line(), line()])
    response = finance_api.put(
        detail(invoice),
        {
            "customer": customer.pk,
            "lines": [{"description": "Only", "quantity": 1, "unit_price": "9.99"}],
        },
    )
    assert response.status_code == 200, response.json()
    assert [item["description"] for item in response.json()["lines"]] == ["Only"]
    assert response.json()["total"] == "9.99"
    assert invoice.lines.count() == 1


def test_patch_with_empty_lines_removes_them(finance_api, organization):
    invoice = InvoiceFactory(organization=organization)
    response = finance_api.patch(detail(invoice), {"lines": []})
    assert response.json()["lines"] == []
    assert response.json()["total"] == "0.00"


def test_patch_with_invalid_line_changes_nothing(finance_api, organization):
    invoice = InvoiceFactory(organization=organization)
    before = snapshot(invoice)
    response = finance_api.patch(detail(invoice), {"notes": "x", **bad_line(quantity="-2")})
    assert response.status_code == 400
    invoice.refresh_from_db()
    assert invoice.notes == ""
    assert snapshot(invoice) == before


@pytest.mark.parametrize("status", ["sent", "partially_paid", "paid", "void"])
def test_non_drafts_cannot_be_edited_or_deleted(finance_api, finance_user, organization, status):
    invoice = InvoiceFactory(organization=organization, sent=status != "void")
    if status == "void":
        invoice.void(reason="x", actor=finance_user)
    elif status != "sent":
        PaymentFactory(
            invoice=invoice,
            amount="40.00" if status == "partially_paid" else "100.00",
            actor=finance_user,
        )
    before = snapshot(invoice)
    for response in (
        finance_api.patch(detail(invoice), {"notes": "x"}),
        finance_api.put(detail(invoice), {"customer": invoice.customer_id}),
        finance_api.patch(detail(invoice), {"lines": "malformed too"}),
        finance_api.delete(detail(invoice)),
    ):
        assert response.status_code == 409
        assert error_code(response) == "invoice_not_editable"
    assert snapshot(invoice) == before
    assert before["status"] == status


def test_delete_draft_is_204(finance_api, finance_user, organization):
    invoice = InvoiceFactory(organization=organization)
    assert finance_api.delete(detail(invoice)).status_code == 204
    assert not Invoice.objects.exists()
    deleted = Invoice.history.get(id=invoice.pk, history_type="-")
    assert deleted.history_user == finance_user


# --- optimistic concurrency ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("patch", "", {"notes": "x"}),
        ("put", "", None),
        ("delete", "", None),
        ("post", "send", {}),
        ("post", "void", {"reason": "x"}),
    ],
)
def test_stale_if_match_is_412_and_changes_nothing(finance_api, organization, method, action, body):
    invoice = InvoiceFactory(organization=organization)
    if body is None and method == "put":
        body = {"customer": invoice.customer_id}
    before = snapshot(invoice)
    response = getattr(finance_api, method)(detail(invoice, action), body, HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
    assert error_code(response) == "precondition_failed"
    assert snapshot(invoice) == before
    assert (before["status"], before["version"]) == (InvoiceStatus.DRAFT, 1)


def test_matching_if_match_is_accepted(finance_api, organization):
    invoice = InvoiceFactory(organization=organization)
    etag = finance_api.get(detail(invoice))["ETag"]
    response = finance_api.post(detail(invoice, "send"), {}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] == '"2"'


def test_write_that_loses_a_race_is_409_concurrent_modification(
    finance_api, finance_user, organization, monkeypatch
):
    invoice = InvoiceFactory(organization=organization)
    original = InvoiceViewSet.get_object

    def get_object_then_someone_else_writes(view):
        obj = original(view)
        # Another request commits between this request's read and its write.
        Invoice.objects.get(pk=obj.pk).update_draft(actor=finance_user, notes="theirs")
        return obj

    monkeypatch.setattr(InvoiceViewSet, "get_object", get_object_then_someone_else_writes)
    response = finance_api.patch(detail(invoice), {"notes": "mine"})
    assert response.status_code == 409
    assert error_code(response) == "concurrent_modification"
    invoice.refresh_from_db()
    assert invoice.notes == "theirs"
    # Only the other write happened: one version and one history row more than the draft.
    after = snapshot(invoice)
    assert (after["version"], after["history"]) == (2, 2)


# --- send -----------------------------------------------------------------------------------


def test_send_assigns_number_and_dates(finance_api, finance_user, organization, customer):
    invoice = InvoiceFactory(organization=organization, customer=customer)
    response = finance_api.post(detail(invoice, "send"))
    assert response.status_code == 200, response.json()
    body = response.json()
    today = organization.today()
    assert (body["status"], body["number"]) == ("sent", "INV-00001")
    assert body["issue_date"] == today.isoformat()
    assert body["due_date"] == (today + timedelta(days=30)).isoformat()
    assert body["is_overdue"] is False
    assert body["sent_at"] is not None
    assert invoice.history.first().history_user == finance_user


def test_send_with_email_queues_the_invoice_email(
    finance_api, organization, customer, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(organization=organization, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_api.post(detail(invoice, "send"), {"email": True})
    assert response.status_code == 200
    assert [message.to for message in mailoutbox] == [[customer.email]]


def test_send_without_email_flag_sends_no_mail(
    finance_api, organization, customer, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(organization=organization, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        assert finance_api.post(detail(invoice, "send"), {"email": False}).status_code == 200
    assert mailoutbox == []


def test_send_with_email_to_customer_without_email_changes_nothing(finance_api, organization):
    customer = CustomerFactory(organization=organization, email="")
    invoice = InvoiceFactory(organization=organization, customer=customer)
    before = snapshot(invoice)
    response = finance_api.post(detail(invoice, "send"), {"email": True})
    assert response.status_code == 400
    assert error_code(response) == "customer_no_email"
    assert snapshot(invoice) == before
    assert (before["status"], before["number"], before["version"]) == (InvoiceStatus.DRAFT, None, 1)
    # No number was consumed: the next send still gets the first one.
    other = InvoiceFactory(organization=organization)
    assert finance_api.post(detail(other, "send")).json()["number"] == "INV-00001"


def test_resending_with_email_is_409_invalid_status_even_without_customer_email(
    finance_api, organization
):
    customer = CustomerFactory(organization=organization, email="")
    invoice = InvoiceFactory(organization=organization, customer=customer)
    assert finance_api.post(detail(invoice, "send")).status_code == 200
    before = snapshot(invoice)
    response = finance_api.post(detail(invoice, "send"), {"email": True})
    assert response.status_code == 409
    assert error_code(response) == "invalid_status"
    assert snapshot(invoice) == before


def test_send_with_non_boolean_email_is_400(finance_api, organization):
    invoice = InvoiceFactory(organization=organization)
    before = snapshot(invoice)
    assert finance_api.post(detail(invoice, "send"), {"email": "perhaps"}).status_code == 400
    assert snapshot(invoice) == before


def test_send_empty_draft_is_400_invoice_empty(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, lines=[])
    before = snapshot(invoice)
    response = finance_api.post(detail(invoice, "send"))
    assert response.status_code == 400
    assert error_code(response) == "invoice_empty"
    assert snapshot(invoice) == before


def test_send_zero_total_is_400_invoice_empty(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, lines=[line(unit_price="0")])
    before = snapshot(invoice)
    response = finance_api.post(detail(invoice, "send"))
    assert (response.status_code, error_code(response)) == (400, "invoice_empty")
    assert snapshot(invoice) == before


@pytest.mark.parametrize("status", ["sent", "void"])
def test_send_non_draft_is_409_invalid_status(finance_api, finance_user, organization, status):
    invoice = InvoiceFactory(organization=organization, sent=status == "sent")
    if status == "void":
        invoice.void(reason="x", actor=finance_user)
    before = snapshot(invoice)
    response = finance_api.post(detail(invoice, "send"))
    assert (response.status_code, error_code(response)) == (409, "invalid_status")
    assert snapshot(invoice) == before


def test_send_with_due_date_past_the_calendar_is_400_not_500(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, issue_date=date(9999, 12, 31))
    before = snapshot(invoice)
    response = finance_api.post(detail(invoice, "send"))
    assert (response.status_code, error_code(response)) == (400, "invalid_dates")
    assert snapshot(invoice) == before


def test_send_keeps_a_chosen_issue_date(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, issue_date=date(2025, 3, 1))
    body = finance_api.post(detail(invoice, "send")).json()
    assert body["issue_date"] == "2025-03-01"
    assert body["due_date"] == "2025-03-31"


# --- void -----------------------------------------------------------------------------------


def test_void_draft_returns_the_void_invoice(finance_api, finance_user, organization):
    invoice = InvoiceFactory(organization=organization)
    response = finance_api.post(detail(invoice, "void"), {"reason": "entered twice"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["void_reason"], body["number"]) == ("void", "entered twice", None)
    assert body["voided_at"] is not None
    assert invoice.history.first().history_user == finance_user


def test_void_sent_invoice_keeps_its_number(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, sent=True)
    body = finance_api.post(detail(invoice, "void"), {"reason": "wrong"}).json()
    assert (body["status"], body["number"]) == ("void", "INV-00001")


def test_void_reason_is_optional_but_bounded(finance_api, organization):
    invoice = InvoiceFactory(organization=organization)
    before = snapshot(invoice)
    response = finance_api.post(detail(invoice, "void"), {"reason": "x" * 501})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "reason"
    assert snapshot(invoice) == before
    response = finance_api.post(detail(invoice, "void"), {})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["void_reason"]) == ("void", "")


@pytest.mark.parametrize("paid", ["40.00", "100.00"])
def test_void_with_payments_is_409_invoice_has_payments(
    finance_api, finance_user, organization, paid
):
    invoice = InvoiceFactory(organization=organization, sent=True)
    PaymentFactory(invoice=invoice, amount=paid, actor=finance_user)
    before = snapshot(invoice)
    response = finance_api.post(detail(invoice, "void"), {"reason": "x"})
    assert (response.status_code, error_code(response)) == (409, "invoice_has_payments")
    assert snapshot(invoice) == before


def test_void_after_payment_was_reversed_is_409_invoice_has_payments(
    finance_api, finance_user, organization
):
    invoice = InvoiceFactory(organization=organization, sent=True)
    payment = PaymentFactory(invoice=invoice, amount="40.00", actor=finance_user)
    payment.reverse(actor=finance_user)
    before = snapshot(invoice)
    response = finance_api.post(detail(invoice, "void"), {"reason": "x"})
    assert (response.status_code, error_code(response)) == (409, "invoice_has_payments")
    assert snapshot(invoice) == before


def test_void_twice_is_409_invalid_status(finance_api, finance_user, organization):
    invoice = InvoiceFactory(organization=organization)
    invoice.void(reason="x", actor=finance_user)
    before = snapshot(invoice)
    response = finance_api.post(detail(invoice, "void"), {"reason": "again"})
    assert (response.status_code, error_code(response)) == (409, "invalid_status")
    assert snapshot(invoice) == before
