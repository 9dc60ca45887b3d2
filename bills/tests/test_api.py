"""Bills and bill payments over the API (spec 19): fields, 5.2 figures, the lifecycle,
duplicate numbers, payments and reversals, roles, tenancy, idempotency."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bills.models import Bill, BillPayment, BillStatus
from bills.tests.factories import make_bill
from fintrack.tests.helpers import error_code
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/bills/"


def bill_state(bill):
    fresh = Bill.objects.get(pk=bill.pk)
    return (
        fresh.version,
        fresh.status,
        fresh.amount_paid,
        fresh.balance_due,
        fresh.payments.count(),
        fresh.history.count(),
    )


@pytest.fixture
def vendor(organization):
    return VendorFactory(organization=organization, currency="USD")


def test_create_computes_lines_as_invoice_lines(finance_api, vendor):
    line = {"description": "Widgets", "quantity": "3", "unit_price": "19.99"}
    response = finance_api.post(
        URL,
        {
            "vendor": vendor.pk,
            "number": "INV-7",
            "lines": [{**line, "discount_percent": "10", "tax_rate": "15"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["vendor_name"], body["currency"]) == ("draft", vendor.name, "USD")
    assert [body["lines"][0][key] for key in ("amount", "discount_amount", "tax_amount")] == [
        "59.97",
        "6.00",
        "8.10",
    ]
    assert (body["total"], body["amount_paid"], body["balance_due"]) == ("62.07", "0.00", "62.07")


def test_the_vendors_number_is_unique_per_vendor(finance_api, organization, vendor):
    make_bill(organization, vendor=vendor, number="A-1")
    response = finance_api.post(URL, {"vendor": vendor.pk, "number": "A-1"}, format="json")
    assert response.status_code == 409, response.json()
    assert error_code(response) == "duplicate_bill_number"
    assert Bill.objects.count() == 1
    other = VendorFactory(organization=organization)
    assert finance_api.post(URL, {"vendor": other.pk, "number": "A-1"}).status_code == 201


def test_renumbering_a_draft_onto_a_taken_number_is_409(finance_api, organization, vendor):
    make_bill(organization, vendor=vendor, number="A-1")
    bill = make_bill(organization, vendor=vendor, number="A-2")
    before = bill_state(bill)
    response = finance_api.patch(f"{URL}{bill.pk}/", {"number": "A-1"}, format="json")
    assert response.status_code == 409
    assert error_code(response) == "duplicate_bill_number"
    assert bill_state(bill) == before


def test_another_organizations_vendor_is_refused(finance_api, other_organization):
    stranger = VendorFactory(organization=other_organization)
    response = finance_api.post(URL, {"vendor": stranger.pk, "number": "X"})
    assert response.status_code == 400
    assert not Bill.objects.exists()


def test_archived_vendor_gets_no_new_bill(finance_api, vendor, finance_user):
    vendor.archive(actor=finance_user)
    response = finance_api.post(URL, {"vendor": vendor.pk, "number": "X"})
    assert response.status_code == 400
    assert error_code(response) == "vendor_archived"
    assert not Bill.objects.exists()


def test_lifecycle_approve_pay_reverse(finance_api, organization):
    bill = make_bill(organization, total="100.00")
    response = finance_api.post(f"{URL}{bill.pk}/approve/")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["due_date"] is not None

    paid = finance_api.post(f"{URL}{bill.pk}/pay/", {"amount": "40.00", "method": "bank_transfer"})
    assert paid.status_code == 201, paid.json()
    assert (paid.json()["kind"], paid.json()["amount"]) == ("payment", "40.00")
    bill.refresh_from_db()
    assert (bill.status, bill.amount_paid, bill.balance_due) == (
        BillStatus.PARTIALLY_PAID,
        40,
        60,
    )

    rest = finance_api.post(f"{URL}{bill.pk}/pay/", {"amount": "60", "method": "card"})
    assert rest.status_code == 201
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and bill.paid_at is not None

    reversal = finance_api.post(f"/api/v1/bill-payments/{rest.json()['id']}/reverse/")
    assert reversal.status_code == 201
    assert (reversal.json()["kind"], reversal.json()["amount"]) == ("reversal", "-60.00")
    bill.refresh_from_db()
    assert (bill.status, bill.amount_paid, bill.paid_at) == (
        BillStatus.PARTIALLY_PAID,
        40,
        None,
    )

    again = finance_api.post(f"/api/v1/bill-payments/{rest.json()['id']}/reverse/")
    assert again.status_code == 409
    assert error_code(again) == "already_reversed"
    listed = finance_api.get("/api/v1/bill-payments/", {"bill": bill.pk}).json()
    assert listed["count"] == 3


def test_only_drafts_are_edited_or_deleted(finance_api, organization):
    bill = make_bill(organization, approved=True)
    before = bill_state(bill)
    response = finance_api.patch(f"{URL}{bill.pk}/", {"notes": "changed"})
    assert response.status_code == 409
    assert error_code(response) == "bill_not_editable"
    assert finance_api.delete(f"{URL}{bill.pk}/").status_code == 409
    assert bill_state(bill) == before


def test_approving_an_empty_bill_is_400(finance_api, organization, vendor):
    bill = Bill.create_draft(organization=organization, vendor=vendor, actor=None, number="E")
    response = finance_api.post(f"{URL}{bill.pk}/approve/")
    assert response.status_code == 400
    assert error_code(response) == "bill_empty"
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.DRAFT


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("100.01", "overpayment"),
        ("0", "invalid_amount"),
        ("-5", "invalid_amount"),
        ("1.001", "too_precise"),
        ("1e3", "invalid_amount"),
    ],
)
def test_bad_payment_is_400_and_changes_nothing(finance_api, organization, amount, code):
    bill = make_bill(organization, total="100.00", approved=True)
    before = bill_state(bill)
    response = finance_api.post(f"{URL}{bill.pk}/pay/", {"amount": amount, "method": "card"})
    assert response.status_code == 400
    assert error_code(response) == code
    assert bill_state(bill) == before


def test_paying_a_draft_is_409_invalid_status(finance_api, organization):
    bill = make_bill(organization)
    response = finance_api.post(f"{URL}{bill.pk}/pay/", {"amount": "1", "method": "card"})
    assert response.status_code == 409
    assert error_code(response) == "invalid_status"
    assert not BillPayment.objects.exists()


def test_void_refused_once_paid_and_allowed_before(finance_api, organization, finance_user):
    unpaid = make_bill(organization, approved=True)
    assert finance_api.post(f"{URL}{unpaid.pk}/void/", {"reason": "dup"}).json()["status"] == "void"
    paid = make_bill(organization, approved=True)
    BillPayment.pay(paid, amount="10", method="card", actor=finance_user)
    before = bill_state(paid)
    response = finance_api.post(f"{URL}{paid.pk}/void/")
    assert response.status_code == 409
    assert error_code(response) == "bill_has_payments"
    assert bill_state(paid) == before


def test_duplicate_payment_reference_is_409(finance_api, organization):
    bill = make_bill(organization, approved=True)
    body = {"amount": "10", "method": "card", "reference": "T-1"}
    assert finance_api.post(f"{URL}{bill.pk}/pay/", body).status_code == 201
    response = finance_api.post(f"{URL}{bill.pk}/pay/", body)
    assert response.status_code == 409
    assert error_code(response) == "duplicate_reference"
    assert BillPayment.objects.count() == 1


def test_pay_with_idempotency_key_is_done_once(finance_api, organization):
    bill = make_bill(organization, approved=True)
    body = {"amount": "10", "method": "card"}
    first = finance_api.post(f"{URL}{bill.pk}/pay/", body, HTTP_IDEMPOTENCY_KEY="k-1")
    second = finance_api.post(f"{URL}{bill.pk}/pay/", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert BillPayment.objects.count() == 1


def test_bill_payments_are_immutable(finance_api, organization, finance_user):
    bill = make_bill(organization, approved=True)
    payment = BillPayment.pay(bill, amount="10", method="card", actor=finance_user)
    url = f"/api/v1/bill-payments/{payment.pk}/"
    assert finance_api.patch(url, {"amount": "1"}).status_code == 405
    assert finance_api.delete(url).status_code == 405


def test_viewer_reads_but_cannot_write(viewer_api, organization, vendor):
    bill = make_bill(organization, approved=True)
    before = bill_state(bill)
    assert viewer_api.get(f"{URL}{bill.pk}/").status_code == 200
    assert viewer_api.post(URL, {"vendor": vendor.pk, "number": "Z"}).status_code == 403
    assert (
        viewer_api.post(f"{URL}{bill.pk}/pay/", {"amount": "1", "method": "card"}).status_code
        == 403
    )
    assert viewer_api.post(f"{URL}{bill.pk}/void/").status_code == 403
    assert bill_state(bill) == before


def test_another_organizations_bill_is_404(finance_api, other_organization, user_in):
    bill = make_bill(other_organization, approved=True)
    before = bill_state(bill)
    assert finance_api.get(URL).json()["count"] == 0
    assert finance_api.get(f"{URL}{bill.pk}/").status_code == 404
    assert (
        finance_api.post(f"{URL}{bill.pk}/pay/", {"amount": "1", "method": "card"}).status_code
        == 404
    )
    assert finance_api.get(f"{URL}{bill.pk}/history/").status_code == 404
    assert bill_state(bill) == before


def test_history_records_the_lifecycle(finance_api, organization):
    bill = make_bill(organization)
    finance_api.post(f"{URL}{bill.pk}/approve/")
    events = finance_api.get(f"{URL}{bill.pk}/history/").json()
    assert [event["action"] for event in events] == ["created", "updated"]
    assert events[1]["changes"]["status"] == ["draft", "approved"]


def test_list_filters_and_refuses_bad_values(finance_api, organization):
    make_bill(organization, approved=True)
    make_bill(organization)
    assert finance_api.get(URL, {"status": "approved"}).json()["count"] == 1
    assert finance_api.get(URL, {"status": "nope"}).status_code == 400
    assert finance_api.get("/api/v1/bill-payments/", {"kind": "nope"}).status_code == 400


def test_verify_ledger_checks_bills_and_their_payments(organization, finance_user):
    bill = make_bill(organization, total="100.00", approved=True)
    payment = BillPayment.pay(bill, amount="30", method="card", actor=finance_user)
    payment.reverse(actor=finance_user)
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert "1 bill(s), 2 bill payment row(s)" in out.getvalue()
    # A stored figure that no longer matches its payments is reported.
    Bill.objects.filter(pk=bill.pk).update(amount_paid="10", balance_due="90")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)
    assert "amount_paid_equals_sum_of_payments" in err.getvalue()
    assert "status_matches_amount_paid" in err.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_attach_the_vendors_document_and_download_it(finance_api, organization, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    bill = make_bill(organization)
    upload = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    response = finance_api.patch(f"{URL}{bill.pk}/", {"attachment": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["has_attachment"] is True
    download = finance_api.get(f"{URL}{bill.pk}/attachment/")
    assert (download.status_code, download["Content-Type"]) == (200, "application/pdf")
    assert b"".join(download.streaming_content) == PDF


def test_an_executable_attachment_is_refused(finance_api, organization, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    bill = make_bill(organization)
    before = bill_state(bill)
    upload = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00" + b"\x00" * 64)
    response = finance_api.patch(f"{URL}{bill.pk}/", {"attachment": upload}, format="multipart")
    assert response.status_code == 400
    assert error_code(response) == "unsupported_file_type"
    assert bill_state(bill) == before
    assert finance_api.get(f"{URL}{bill.pk}/attachment/").status_code == 404


def test_another_organizations_attachment_is_404(
    finance_api, other_organization, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    bill = make_bill(other_organization)
    bill.update_draft(actor=None, attachment=SimpleUploadedFile("a.pdf", PDF))
    assert Bill.objects.get(pk=bill.pk).attachment
    assert finance_api.get(f"{URL}{bill.pk}/attachment/").status_code == 404


def test_bill_payments_of_another_organization_are_not_listed(finance_api, other_organization):
    bill = make_bill(other_organization, approved=True)
    payment = BillPayment.pay(bill, amount="5", method="card", actor=User.objects.system_actor())
    assert finance_api.get("/api/v1/bill-payments/").json()["count"] == 0
    assert finance_api.get(f"/api/v1/bill-payments/{payment.pk}/").status_code == 404
    response = finance_api.post(f"/api/v1/bill-payments/{payment.pk}/reverse/")
    assert response.status_code == 404
    assert not BillPayment.objects.filter(reverses=payment).exists()


def test_the_organizations_audit_log_has_bills_and_their_payments(admin_api, organization):
    bill = make_bill(organization, approved=True)
    BillPayment.pay(bill, amount="5", method="card", actor=User.objects.system_actor())
    events = admin_api.get("/api/v1/audit/events/").json()["results"]
    models = {event["model"] for event in events}
    assert {"bill", "billline", "billpayment", "vendor"} <= models


def test_admin_approve_action_goes_through_the_model(user_in, organization):
    staff = user_in("finance", organization, is_staff=True)
    bill = make_bill(organization)
    client = Client()
    client.force_login(staff)
    response = client.post(
        "/admin/bills/bill/", {"action": "approve", "_selected_action": [bill.pk]}
    )
    assert response.status_code == 302
    bill.refresh_from_db()
    assert bill.status == BillStatus.APPROVED
    assert bill.history.first().history_user == staff


def test_a_refused_bill_leaves_no_attachment_file_in_storage(
    finance_api, organization, vendor, settings, tmp_path
):
    # The upload is written to storage by the save; the duplicate number refuses that save
    # and the transaction rolls back, so the stored file must go too.
    settings.MEDIA_ROOT = tmp_path
    make_bill(organization, vendor=vendor, number="A-1")
    upload = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    response = finance_api.post(
        URL, {"vendor": vendor.pk, "number": "A-1", "attachment": upload}, format="multipart"
    )
    assert response.status_code == 409
    assert error_code(response) == "duplicate_bill_number"
    assert Bill.objects.count() == 1
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_a_refused_draft_change_keeps_the_old_attachment_and_stores_no_new_one(
    finance_api, organization, vendor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    make_bill(organization, vendor=vendor, number="A-1")
    bill = make_bill(organization, vendor=vendor, number="A-2")
    bill.update_draft(actor=None, attachment=SimpleUploadedFile("old.pdf", PDF))
    bill = Bill.objects.get(pk=bill.pk)
    stored = [path for path in tmp_path.rglob("*") if path.is_file()]
    before = bill_state(bill)
    upload = SimpleUploadedFile("new.pdf", PDF, content_type="application/pdf")
    response = finance_api.patch(
        f"{URL}{bill.pk}/", {"number": "A-1", "attachment": upload}, format="multipart"
    )
    assert response.status_code == 409
    assert bill_state(bill) == before
    assert Bill.objects.get(pk=bill.pk).attachment.name == bill.attachment.name
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == stored


@pytest.mark.parametrize(
    "column, value",
    [("quantity", 0), ("unit_price", -1), ("discount_percent", 101), ("tax_rate", -1)],
)
def test_the_database_refuses_a_bill_line_the_bill_would_refuse(organization, column, value):
    # The same bounds as an invoice line's: the constraint backs `check_values`.
    line = make_bill(organization).lines.get()
    setattr(line, column, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()


def count_queries(api, url):
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_bill_and_bill_payment_lists_cost_the_same_queries_for_one_or_many(
    finance_api, organization
):
    def paid_bill():
        bill = make_bill(organization, approved=True)
        BillPayment.pay(
            bill, amount="10.00", method="bank_transfer", actor=User.objects.system_actor()
        )

    paid_bill()
    one = [count_queries(finance_api, url) for url in (URL, "/api/v1/bill-payments/")]
    for _ in range(4):
        paid_bill()
    assert finance_api.get(URL).json()["count"] == 5
    assert [count_queries(finance_api, url) for url in (URL, "/api/v1/bill-payments/")] == one
