"""Credit notes and write-offs over HTTP (spec 14): answers, every refusal changing
nothing, roles, tenancy, lists, PDF and e-mail."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from credits.models import CreditNote
from credits.tests.factories import credit, write_off
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code, snapshot
from invoices.tests.factories import InvoiceFactory
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db
CREDIT_NOTES = "/api/v1/credit-notes/"


def credit_url(invoice):
    return f"/api/v1/invoices/{invoice.pk}/credit-notes/"


def write_off_url(invoice):
    return f"/api/v1/invoices/{invoice.pk}/write-off/"


def body(amount="10.00", **extra):
    lines = extra.pop("lines", None) or [
        {"description": "Overbilled hours", "quantity": "1", "unit_price": amount}
    ]
    return {"lines": lines, "reason": "Overbilled", **extra}


@pytest.fixture
def invoice(organization):
    return InvoiceFactory(organization=organization, sent=True, total="100.00")


def test_issue_answers_201_with_the_credit_note(finance_api, finance_user, invoice, organization):
    PaymentFactory(invoice=invoice, amount="80.00")
    response = finance_api.post(credit_url(invoice), body("50.00", refund=True), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data == {
        "id": data["id"],
        "number": "CN-00001",
        "invoice": invoice.pk,
        "customer": invoice.customer_id,
        "currency": "USD",
        "lines": [
            {
                "id": data["lines"][0]["id"],
                "description": "Overbilled hours",
                "quantity": "1.0000",
                "unit_price": "50.0000",
                "discount_percent": "0.0000",
                "tax_rate": "0.0000",
                "tax_category": "Z",
                "tax_exemption_reason": "",
                "amount": "50.00",
                "discount_amount": "0.00",
                "tax_amount": "0.00",
                "total": "50.00",
            }
        ],
        "subtotal": "50.00",
        "discount_total": "0.00",
        "tax_total": "0.00",
        "total": "50.00",
        "tax_breakdown": [{"category": "Z", "rate": "0.0000", "taxable": "50.00", "tax": "0.00"}],
        "credited_to_invoice": "20.00",
        "credited_to_balance": "0.00",
        "refunded": "30.00",
        "reason": "Overbilled",
        "issued_on": organization.today().isoformat(),
        "created_by": finance_user.pk,
        "created_at": data["created_at"],
    }
    shown = finance_api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert (shown["status"], shown["amount_paid"], shown["credited_total"]) == (
        "paid",
        "50.00",
        "50.00",
    )
    assert (shown["balance_due"], shown["written_off_total"], shown["written_off_on"]) == (
        "0.00",
        "0.00",
        None,
    )
    assert shown["paid_at"] is not None


def test_kwd_credit_note_renders_three_digits(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, sent=True, currency="KWD", total="1.500")
    response = finance_api.post(credit_url(invoice), body("0.250"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "0.250"
    assert finance_api.get(f"/api/v1/invoices/{invoice.pk}/").json()["balance_due"] == "1.250"


# --- refusals change nothing --------------------------------------------------------------


def refused(api, invoice, url, payload, status, code):
    before = snapshot(invoice)
    response = api.post(url, payload, format="json")
    assert response.status_code == status, response.json()
    assert error_code(response) == code
    assert snapshot(invoice) == before
    return response


def test_credit_beyond_a_rate_is_400_credit_exceeds_invoice(finance_api, invoice):
    refused(finance_api, invoice, credit_url(invoice), body("100.01"), 400,
            "credit_exceeds_invoice")  # fmt: skip
    taxed = {"description": "x", "quantity": "1", "unit_price": "1.00", "tax_rate": "10"}
    refused(finance_api, invoice, credit_url(invoice), body(lines=[taxed]), 400,
            "credit_exceeds_invoice")  # fmt: skip
    assert not CreditNote.objects.exists()


def test_the_rest_goes_to_customer_credit(finance_api, invoice):
    PaymentFactory(invoice=invoice, amount="80.00")
    response = finance_api.post(credit_url(invoice), body("50.00"), format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["credited_to_invoice"], response.json()["credited_to_balance"]) == (
        "20.00",
        "30.00",
    )


def test_zero_credit_note_is_400(finance_api, invoice):
    refused(finance_api, invoice, credit_url(invoice), body("0"), 400, "credit_note_empty")


@pytest.mark.parametrize(
    "payload",
    [
        {"reason": "x"},
        {"lines": [], "reason": "x"},
        {"lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]},
        body(lines=[{"description": "x", "quantity": "0", "unit_price": "1"}]),
        body(lines=[{"description": "x", "quantity": "1", "unit_price": "-1"}]),
        body(lines=[{"description": "", "quantity": "1", "unit_price": "1"}]),
        body(lines=[{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "101"}]),
        body(refund="maybe"),
    ],
)
def test_malformed_credit_notes_are_400(finance_api, invoice, payload):
    before = snapshot(invoice)
    response = finance_api.post(credit_url(invoice), payload, format="json")
    assert response.status_code == 400, response.json()
    assert snapshot(invoice) == before


@pytest.mark.parametrize("state", ["draft", "void"])
def test_draft_or_void_invoice_is_409_invalid_status(finance_api, organization, state):
    invoice = InvoiceFactory(organization=organization, sent=state == "void")
    if state == "void":
        finance_api.post(f"/api/v1/invoices/{invoice.pk}/void/", {"reason": "x"})
    refused(finance_api, invoice, credit_url(invoice), body("1.00"), 409, "invalid_status")
    refused(finance_api, invoice, write_off_url(invoice), {"reason": "x"}, 409, "invalid_status")


def test_stale_if_match_is_412(finance_api, invoice):
    before = snapshot(invoice)
    for url, payload in ((credit_url(invoice), body()), (write_off_url(invoice), {"reason": "x"})):
        response = finance_api.post(url, payload, format="json", HTTP_IF_MATCH='"999"')
        assert response.status_code == 412
        assert error_code(response) == "precondition_failed"
    assert snapshot(invoice) == before


def test_viewers_cannot_credit_or_write_off(viewer_api, invoice):
    before = snapshot(invoice)
    assert viewer_api.post(credit_url(invoice), body(), format="json").status_code == 403
    assert viewer_api.post(write_off_url(invoice), {"reason": "x"}).status_code == 403
    assert snapshot(invoice) == before


def test_another_organizations_invoice_and_notes_are_404(finance_api, other_organization, user_in):
    foreign = InvoiceFactory(organization=other_organization, sent=True)
    note = credit(foreign, "1.00")
    before = snapshot(foreign)
    assert finance_api.post(credit_url(foreign), body(), format="json").status_code == 404
    assert finance_api.post(write_off_url(foreign), {"reason": "x"}).status_code == 404
    assert finance_api.get(f"{CREDIT_NOTES}{note.pk}/").status_code == 404
    assert finance_api.get(f"{CREDIT_NOTES}{note.pk}/pdf/").status_code == 404
    assert finance_api.get(CREDIT_NOTES).json()["count"] == 0
    assert snapshot(foreign) == before


def test_credit_notes_are_immutable_over_http(finance_api, invoice):
    note = credit(invoice, "1.00")
    for method in ("put", "patch", "delete"):
        assert getattr(finance_api, method)(f"{CREDIT_NOTES}{note.pk}/").status_code == 405


# --- write-off ---------------------------------------------------------------------------


def test_write_off_answers_200_with_the_uncollectible_invoice(finance_api, invoice, organization):
    PaymentFactory(invoice=invoice, amount="30.00")
    response = finance_api.post(write_off_url(invoice), {"reason": "Insolvent"})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["status"], data["balance_due"], data["written_off_total"]) == (
        "uncollectible",
        "0.00",
        "70.00",
    )
    assert data["written_off_on"] == organization.today().isoformat()
    assert data["is_overdue"] is False
    assert invoice.write_off.reason == "Insolvent"


def test_write_off_needs_a_reason(finance_api, invoice):
    before = snapshot(invoice)
    assert finance_api.post(write_off_url(invoice), {}).status_code == 400
    assert snapshot(invoice) == before


def test_a_recovery_through_pay_is_bounded_by_the_written_off_total(finance_api, invoice):
    write_off(invoice)
    url = f"/api/v1/invoices/{invoice.pk}/pay/"
    refused(finance_api, invoice, url, {"amount": "100.01", "method": "cash"}, 400, "overpayment")
    response = finance_api.post(url, {"amount": "100.00", "method": "cash"})
    assert response.status_code == 201
    shown = finance_api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert (shown["status"], shown["written_off_total"]) == ("paid", "0.00")


def test_uncollectible_invoices_filter_by_status(finance_api, invoice, organization):
    write_off(invoice)
    InvoiceFactory(organization=organization, sent=True)
    listed = finance_api.get("/api/v1/invoices/?status=uncollectible").json()
    assert [row["id"] for row in listed["results"]] == [invoice.pk]


# --- list, detail, PDF, e-mail ------------------------------------------------------------


def test_list_filters(finance_api, organization, invoice):
    other = InvoiceFactory(organization=organization, sent=True, currency="EUR", total="50.00")
    first = credit(invoice, "1.00")
    second = credit(other, "2.00")
    ids = lambda query: [n["id"] for n in finance_api.get(CREDIT_NOTES + query).json()["results"]]  # noqa: E731
    assert ids("") == [second.pk, first.pk]
    assert ids(f"?invoice={invoice.pk}") == [first.pk]
    assert ids(f"?customer={other.customer_id}") == [second.pk]
    assert ids("?currency=EUR") == [second.pk]
    today = organization.today().isoformat()
    assert ids(f"?issued_from={today}&issued_to={today}") == [second.pk, first.pk]
    assert ids("?issued_to=2000-01-01") == []
    for bad in ("?currency=XXX", "?issued_from=yesterday", "?invoice=abc"):
        assert finance_api.get(CREDIT_NOTES + bad).status_code == 400


def test_detail_for_any_member(viewer_api, invoice):
    note = credit(invoice, "1.00")
    response = viewer_api.get(f"{CREDIT_NOTES}{note.pk}/")
    assert response.status_code == 200
    assert response.json()["number"] == note.number


def test_pdf_names_the_invoice_it_corrects(viewer_api, invoice):
    note = credit(invoice, "12.50")
    response = viewer_api.get(f"{CREDIT_NOTES}{note.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="CN-00001.pdf"' in response["Content-Disposition"]
    text = "\n".join(
        page.extract_text() for page in PdfReader(BytesIO(response.content)).pages
    ).replace("\u00a0", " ")
    assert "Credit note CN-00001" in text
    assert invoice.number in text
    assert "$12.50" in text


def test_email_sends_the_pdf_after_commit(
    finance_api, organization, mailoutbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(organization=organization, email="ap@example.com")
    invoice = InvoiceFactory(organization=organization, customer=customer, sent=True)
    note = credit(invoice, "5.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_api.post(f"{CREDIT_NOTES}{note.pk}/email/")
    assert response.status_code == 200
    (message,) = mailoutbox
    assert message.to == ["ap@example.com"]
    assert "CN-00001" in message.subject
    assert message.attachments[0][0] == "CN-00001.pdf"


def test_email_without_customer_address_is_400(finance_api, organization, mailoutbox):
    customer = CustomerFactory(organization=organization, email="")
    invoice = InvoiceFactory(organization=organization, customer=customer, sent=True)
    note = credit(invoice, "5.00")
    response = finance_api.post(f"{CREDIT_NOTES}{note.pk}/email/")
    assert response.status_code == 400
    assert error_code(response) == "customer_no_email"
    assert mailoutbox == []


def test_viewer_cannot_email(viewer_api, invoice):
    note = credit(invoice, "5.00")
    assert viewer_api.post(f"{CREDIT_NOTES}{note.pk}/email/").status_code == 403


def test_the_bearer_tokens_user_is_the_actor_in_history(finance_api, finance_user, invoice):
    # finance_api authenticates with a real `Authorization: Bearer` JWT.
    assert finance_api.post(credit_url(invoice), body(), format="json").status_code == 201
    assert finance_api.post(write_off_url(invoice), {"reason": "x"}).status_code == 200
    assert CreditNote.objects.get().history.get().history_user == finance_user
    assert invoice.write_off.history.get().history_user == finance_user
    latest = invoice.history.latest("history_date")
    assert (latest.history_user, latest.history_change_reason) == (finance_user, "write_off")


def test_history_and_audit_log_show_credit_notes_and_write_offs(
    admin_api, admin_user, organization, invoice
):
    note_id = admin_api.post(credit_url(invoice), body("5.00"), format="json").json()["id"]
    assert admin_api.post(write_off_url(invoice), {"reason": "Gone"}).status_code == 200
    (event,) = admin_api.get(f"{CREDIT_NOTES}{note_id}/history/").json()
    assert (event["model"], event["action"], event["user"]["id"]) == (
        "creditnote",
        "created",
        admin_user.pk,
    )
    for model in ("creditnote", "creditnoteline", "writeoff"):
        log = admin_api.get(f"/api/v1/audit/events/?model={model}").json()
        assert log["count"] == 1, model
    invoice_events = admin_api.get(f"/api/v1/invoices/{invoice.pk}/history/").json()
    changed = invoice_events[-1]["changes"]
    assert changed["status"] == ["partially_paid", "uncollectible"]
    assert changed["written_off_total"][1] in ("95.00", "95.0000")


def test_the_list_exports_as_csv_with_the_json_field_names(finance_api, invoice):
    credit(invoice, "1.50")
    response = finance_api.get(CREDIT_NOTES + "?format=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    header, row = text.strip().splitlines()
    assert header.startswith("id,number,invoice,customer,currency,subtotal")
    assert "CN-00001" in row and "1.50" in row
    assert "lines" not in header.split(",")
    assert finance_api.get(CREDIT_NOTES + "?format=pdf").status_code == 400


def test_the_invoice_pdf_shows_what_was_credited_and_written_off(viewer_api, invoice):
    credit(invoice, "10.00")
    write_off(invoice)
    response = viewer_api.get(f"/api/v1/invoices/{invoice.pk}/pdf/")
    text = "\n".join(
        page.extract_text() for page in PdfReader(BytesIO(response.content)).pages
    ).replace("\u00a0", " ")
    assert "Credited\n$10.00" in text
    assert "Written off\n$90.00" in text
    assert "Balance due\n$0.00" in text


def test_tax_breakdown_has_one_row_per_rate(finance_api, organization):
    from invoices.tests.factories import line

    invoice = InvoiceFactory(
        organization=organization,
        sent=True,
        lines=[line("Books", unit_price="100.00", tax_rate="5"), line("Wine", unit_price="50.00",
               tax_rate="20")],
    )  # fmt: skip
    lines = [
        {"description": "Wine", "quantity": "1", "unit_price": "10.00", "tax_rate": "20"},
        {"description": "Books", "quantity": "2", "unit_price": "5.00", "tax_rate": "5"},
        {"description": "Books", "quantity": "1", "unit_price": "1.00", "tax_rate": "5.0"},
    ]
    response = finance_api.post(credit_url(invoice), body(lines=lines), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["tax_breakdown"] == [
        {"category": "S", "rate": "5.0000", "taxable": "11.00", "tax": "0.55"},
        {"category": "S", "rate": "20.0000", "taxable": "10.00", "tax": "2.00"},
    ]
    assert (data["tax_total"], data["total"]) == ("2.55", "23.55")


def test_a_repeated_idempotency_key_issues_one_credit_note(finance_api, invoice):
    headers = {"HTTP_IDEMPOTENCY_KEY": "cn-1"}
    first = finance_api.post(credit_url(invoice), body(), format="json", **headers)
    second = finance_api.post(credit_url(invoice), body(), format="json", **headers)
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert CreditNote.objects.count() == 1
