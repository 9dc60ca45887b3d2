"""Expenses, categories and receipts (spec 19): bad input, roles, tenancy, downloads."""

from datetime import date
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.db.models.signals import post_save
from openpyxl import load_workbook

from accounts.models import User
from core.attachments import MAX_ATTACHMENT_BYTES
from expenses.models import Expense, ExpenseCategory
from fintrack.tests.helpers import error_code
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/expenses/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def category(organization):
    return ExpenseCategory.objects.create(organization=organization, name="Travel")


def record_with_receipt(organization, category, name):
    return Expense.record(
        organization=organization,
        actor=None,
        date="2026-11-01",
        amount="5",
        category=category,
        payment_method="cash",
        receipt=SimpleUploadedFile(name, PDF),
    )


def body(category, **fields):
    return {
        "date": "2026-11-03",
        "amount": "42.50",
        "category": category.pk,
        "payment_method": "card",
        "description": "Train",
        **fields,
    }


def test_record_an_expense_with_a_pdf_receipt_and_download_it(finance_api, category, media):
    receipt = SimpleUploadedFile("ticket.pdf", PDF, content_type="application/pdf")
    response = finance_api.post(URL, body(category, receipt=receipt), format="multipart")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["amount"], created["currency"], created["has_receipt"]) == (
        "42.50",
        "USD",
        True,
    )
    expense = Expense.objects.get(pk=created["id"])
    # Stored under a random name of the organization's, never the client's file name.
    assert expense.receipt.name.startswith(f"receipts/{expense.organization_id}/")
    assert "ticket" not in expense.receipt.name
    download = finance_api.get(f"{URL}{expense.pk}/receipt/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


def test_png_receipt_accepted_by_content(finance_api, category):
    receipt = SimpleUploadedFile("photo.jpg", PNG, content_type="image/jpeg")
    response = finance_api.post(URL, body(category, receipt=receipt), format="multipart")
    assert response.status_code == 201
    assert Expense.objects.get().receipt_content_type == "image/png"


def test_an_executable_renamed_pdf_is_refused(finance_api, category, media):
    receipt = SimpleUploadedFile("invoice.pdf", EXE, content_type="application/pdf")
    response = finance_api.post(URL, body(category, receipt=receipt), format="multipart")
    assert response.status_code == 400
    assert error_code(response) == "unsupported_file_type"
    assert not Expense.objects.exists()
    assert not any(media.rglob("*.*"))


def test_a_receipt_one_byte_over_10_mb_is_refused(finance_api, category, media):
    big = PDF + b"0" * (MAX_ATTACHMENT_BYTES + 1 - len(PDF))
    receipt = SimpleUploadedFile("big.pdf", big, content_type="application/pdf")
    response = finance_api.post(URL, body(category, receipt=receipt), format="multipart")
    assert response.status_code == 400
    assert error_code(response) == "file_too_large"
    assert not Expense.objects.exists()


@pytest.mark.parametrize(
    ("amount", "code"),
    [("-5", "invalid_amount"), ("0", "invalid_amount"), ("1.001", "too_precise")],
)
def test_bad_amount_is_400(finance_api, category, amount, code):
    response = finance_api.post(URL, body(category, amount=amount), format="json")
    assert response.status_code == 400
    assert error_code(response) == code
    assert not Expense.objects.exists()


def test_another_organizations_category_or_vendor_is_refused(
    finance_api, category, other_organization
):
    theirs = ExpenseCategory.objects.create(organization=other_organization, name="Theirs")
    assert finance_api.post(URL, body(theirs), format="json").status_code == 400
    vendor = VendorFactory(organization=other_organization)
    response = finance_api.post(URL, body(category, vendor=vendor.pk), format="json")
    assert response.status_code == 400
    assert not Expense.objects.exists()


def test_another_organizations_expense_and_receipt_are_404(api, user_in, other_organization):
    category = ExpenseCategory.objects.create(organization=other_organization, name="T")
    expense = record_with_receipt(other_organization, category, "r.pdf")
    client = api(user_in("finance"))
    assert client.get(f"{URL}{expense.pk}/").status_code == 404
    assert client.get(f"{URL}{expense.pk}/receipt/").status_code == 404
    assert client.get(URL).json()["count"] == 0


def test_viewer_reads_finance_writes_admin_manages_categories(
    viewer_api, finance_api, admin_api, category
):
    assert viewer_api.post(URL, body(category), format="json").status_code == 403
    assert finance_api.post(URL, body(category), format="json").status_code == 201
    assert viewer_api.get(URL).json()["count"] == 1
    categories = "/api/v1/expense-categories/"
    assert finance_api.post(categories, {"name": "Meals"}).status_code == 403
    assert admin_api.post(categories, {"name": "Meals"}).status_code == 201
    duplicate = admin_api.post(categories, {"name": "Meals"})
    assert duplicate.status_code == 409
    assert error_code(duplicate) == "duplicate_category"
    assert ExpenseCategory.objects.filter(name="Meals").count() == 1


def test_expense_changes_are_audited(finance_api, category, finance_user):
    expense_id = finance_api.post(URL, body(category), format="json").json()["id"]
    response = finance_api.patch(f"{URL}{expense_id}/", {"amount": "50.00"}, format="json")
    assert response.status_code == 200, response.json()
    history = Expense.objects.get(pk=expense_id).history.all()
    assert [row.history_user for row in history] == [finance_user, finance_user]


def test_the_list_exports_as_csv_and_xlsx_filtered_and_of_this_organization_only(
    finance_api, organization, other_organization, category
):
    def record(org, cat, amount, on):
        return Expense.record(
            organization=org,
            actor=User.objects.system_actor(),
            date=on,
            amount=amount,
            currency="USD",
            category=cat,
            payment_method="card",
            description=f"Spent {amount}",
        )

    record(organization, category, "42.50", date(2026, 11, 3))
    record(organization, category, "7.25", date(2026, 10, 3))
    theirs = ExpenseCategory.objects.create(organization=other_organization, name="Theirs")
    record(other_organization, theirs, "999.99", date(2026, 11, 4))

    response = finance_api.get(URL, {"format": "csv", "date_from": "2026-11-01"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = b"".join(response.streaming_content).decode().strip().splitlines()
    assert header.startswith("id,")
    assert "amount" in header.split(",")
    assert len(rows) == 1 and "42.50" in rows[0] and "Spent 42.50" in rows[0]

    response = finance_api.get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    descriptions = {row[values[0].index("description")] for row in values[1:]}
    assert descriptions == {"Spent 42.50", "Spent 7.25"}


def stored_files(media):
    return sorted(path for path in media.rglob("*") if path.is_file())


@pytest.fixture
def failing_history():
    """The write after the row's (its history row, say) fails: the save's transaction
    rolls back after the receipt was stored."""

    def fail(*args, **kwargs):
        raise IntegrityError("the history row could not be written")

    post_save.connect(fail, sender=Expense, dispatch_uid="failing_history")
    yield
    post_save.disconnect(sender=Expense, dispatch_uid="failing_history")


def test_an_expense_whose_writes_fail_leaves_no_receipt_in_storage(
    organization, category, media, request
):
    # The save stores the receipt before the INSERT; when a later write fails the
    # transaction rolls back, and the stored file goes with it.
    request.getfixturevalue("failing_history")
    with pytest.raises(IntegrityError):
        record_with_receipt(organization, category, "r.pdf")
    assert not Expense.objects.exists()
    assert stored_files(media) == []


def test_a_change_whose_writes_fail_keeps_the_old_receipt_and_stores_no_new_one(
    organization, category, media, request
):
    expense = record_with_receipt(organization, category, "old.pdf")
    before = stored_files(media)
    request.getfixturevalue("failing_history")
    with pytest.raises(IntegrityError):
        expense.change(actor=None, receipt=SimpleUploadedFile("new.png", PNG))
    fresh = Expense.objects.get(pk=expense.pk)
    assert (fresh.version, fresh.receipt.name) == (expense.version, expense.receipt.name)
    assert stored_files(media) == before
