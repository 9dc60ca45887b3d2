"""The invoice's page (spec 17): a button for each command its status allows now, each
confirmed on a page of its own, each calling the model method; none for a viewer."""

from decimal import Decimal

import pytest
from django.test import override_settings

from accounts.models import Role
from backoffice.tests.builders import (
    change_url,
    command_url,
    overdue_invoice,
    reread,
    rival_world,
    staff,
)
from fintrack.tests.helpers import snapshot
from invoices.models import InvoiceStatus
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment, PaymentKind

pytestmark = pytest.mark.django_db

COMMANDS = {"send", "pay", "refund", "credit", "write_off", "remind", "void"}


@pytest.fixture
def finance(organization):
    return staff(organization, Role.FINANCE)


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


def buttons(response) -> set[str]:
    """The command buttons drawn on a page (the PDF link is a read, not a command)."""
    page = response.content.decode()
    return {name for name in COMMANDS if f'data-command="{name}"' in page}


@pytest.mark.parametrize(
    "state, expected",
    [
        ({}, {"send", "void"}),
        ({"sent": True}, {"pay", "credit", "write_off", "remind", "void"}),
        ({"paid": True}, {"refund", "credit"}),
    ],
    ids=["draft", "sent", "paid"],
)
def test_buttons_follow_what_the_status_allows(finance_client, organization, state, expected):
    invoice = InvoiceFactory(organization=organization, **state)
    response = finance_client.get(change_url(invoice))
    assert buttons(response) == expected
    assert "Download PDF" in response.content.decode()


def test_void_invoice_offers_no_command(finance_client, organization, finance):
    invoice = InvoiceFactory(organization=organization, sent=True)
    invoice.void(reason="mistake", actor=finance)
    assert buttons(finance_client.get(change_url(invoice))) == set()


def test_partially_paid_invoice_offers_payment_refund_credit_write_off_and_remind(
    finance_client, organization, finance
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    Payment.pay(invoice, amount=Decimal("40.00"), method="cash", actor=finance)
    assert buttons(finance_client.get(change_url(invoice))) == {
        "pay",
        "refund",
        "credit",
        "write_off",
        "remind",
    }


def test_viewer_sees_no_button_and_cannot_run_a_command(client, organization):
    invoice = InvoiceFactory(organization=organization, sent=True)
    viewer = staff(organization, Role.VIEWER)
    client.force_login(viewer)
    page = client.get(change_url(invoice))
    assert page.status_code == 200
    assert buttons(page) == set()
    before = snapshot(invoice)
    assert client.get(command_url(invoice, "pay")).status_code == 403
    response = client.post(command_url(invoice, "pay"), {"amount": "10.00", "method": "cash"})
    assert response.status_code == 403
    assert snapshot(invoice) == before


def test_another_organizations_invoice_is_404_and_unchanged(finance_client):
    _, foreign = rival_world()
    before = snapshot(foreign)
    assert finance_client.get(command_url(foreign, "pay")).status_code == 404
    response = finance_client.post(
        command_url(foreign, "pay"), {"amount": "10.00", "method": "cash"}
    )
    assert response.status_code == 404
    assert finance_client.get(command_url(foreign, "pdf")).status_code == 404
    assert snapshot(foreign) == before


def test_payment_form_shows_the_context_and_prefills_the_balance(
    finance_client, organization, finance
):
    invoice = overdue_invoice(organization, total="1403.50")
    Payment.pay(invoice, amount=Decimal("3.50"), method="cash", actor=finance)
    response = finance_client.get(command_url(invoice, "pay"))
    page = response.content.decode()
    assert invoice.customer.name in page
    assert "USD" in page
    assert "$1,400.00" in page  # the balance due, as money
    assert response.context["form"].initial["amount"] == "1400.00"
    assert 'type="date"' in page  # the browser's date picker for "received on"


def test_opening_a_command_page_changes_nothing(finance_client, organization):
    invoice = InvoiceFactory(organization=organization, sent=True)
    before = snapshot(invoice)
    for name in ("pay", "remind", "void"):
        assert finance_client.get(command_url(invoice, name)).status_code == 200
    assert snapshot(invoice) == before


def test_recording_a_payment_calls_payment_pay_with_the_staff_user(
    finance_client, organization, finance
):
    invoice = overdue_invoice(organization, total="200.00")
    received_on = invoice.due_date.isoformat()
    response = finance_client.post(
        command_url(invoice, "pay"),
        {"amount": "150.00", "method": "bank_transfer", "received_on": received_on},
    )
    assert response.status_code == 302
    assert response["Location"] == change_url(invoice)
    payment = Payment.objects.get(invoice=invoice)
    assert payment.amount == Decimal("150.00")
    assert payment.created_by == finance
    assert payment.received_on.isoformat() == received_on
    fresh = reread(invoice)
    assert fresh.status == InvoiceStatus.PARTIALLY_PAID
    assert fresh.balance_due == Decimal("50.00")


def test_an_overpayment_is_shown_on_the_form_and_changes_nothing(finance_client, organization):
    invoice = overdue_invoice(organization, total="200.00")
    before = snapshot(invoice)
    response = finance_client.post(
        command_url(invoice, "pay"), {"amount": "250.00", "method": "cash"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert snapshot(invoice) == before


def test_a_command_the_status_no_longer_allows_is_refused(finance_client, organization):
    invoice = InvoiceFactory(organization=organization, paid=True)
    before = snapshot(invoice)
    response = finance_client.post(command_url(invoice, "void"), {"reason": "x"})
    assert response.status_code == 302
    assert snapshot(invoice) == before


def test_send_and_email_numbers_the_invoice_and_mails_the_customer(
    finance_client, organization, finance, mailoutbox, django_capture_on_commit_callbacks
):
    draft = InvoiceFactory(organization=organization)
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_client.post(command_url(draft, "send"), {"email": "on"})
    assert response.status_code == 302
    sent = reread(draft)
    assert sent.status == InvoiceStatus.SENT
    assert sent.number
    assert [message.to for message in mailoutbox] == [[draft.customer.email]]
    assert sent.history.first().history_user == finance


def test_send_without_email_sends_no_mail(
    finance_client, organization, mailoutbox, django_capture_on_commit_callbacks
):
    draft = InvoiceFactory(organization=organization)
    with django_capture_on_commit_callbacks(execute=True):
        finance_client.post(command_url(draft, "send"), {})
    assert reread(draft).status == InvoiceStatus.SENT
    assert mailoutbox == []


def test_remind_mails_the_customer(
    finance_client, organization, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = overdue_invoice(organization)
    with django_capture_on_commit_callbacks(execute=True):
        finance_client.post(command_url(invoice, "remind"), {})
    assert len(mailoutbox) == 1
    assert mailoutbox[0].attachments[0][2] == "application/pdf"


def test_void_records_the_reason(finance_client, organization):
    invoice = InvoiceFactory(organization=organization, sent=True)
    finance_client.post(command_url(invoice, "void"), {"reason": "Issued twice"})
    fresh = reread(invoice)
    assert fresh.status == InvoiceStatus.VOID
    assert fresh.void_reason == "Issued twice"


def test_refund_calls_payment_refund(finance_client, organization, finance):
    invoice = InvoiceFactory(organization=organization, paid=True, total="100.00")
    finance_client.post(command_url(invoice, "refund"), {"amount": "30.00", "reason": "broken"})
    refund = Payment.objects.get(invoice=invoice, kind=PaymentKind.REFUND)
    assert refund.amount == Decimal("-30.00")
    assert refund.created_by == finance


def test_credit_note_button_issues_a_numbered_note_against_the_invoice(
    finance_client, organization, finance
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    response = finance_client.post(
        command_url(invoice, "credit"),
        {
            "description": "Billed too high",
            "quantity": "1",
            "unit_price": "10.00",
            "discount_percent": "0",
            "tax_rate": "0",
            "reason": "Price agreed was lower",
        },
    )
    assert response.status_code == 302
    [note] = invoice.credit_notes.all()
    assert (note.total, note.created_by, note.number) == (Decimal("10.00"), finance, "CN-00001")
    assert reread(invoice).balance_due == Decimal("90.00")


def test_write_off_button_makes_the_invoice_uncollectible(finance_client, organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    finance_client.post(command_url(invoice, "write_off"), {"reason": "Customer insolvent"})
    fresh = reread(invoice)
    assert (fresh.status, fresh.written_off_total) == (
        InvoiceStatus.UNCOLLECTIBLE,
        Decimal("100.00"),
    )
    # Nothing is left to do on it but what recovers or reverses money.
    assert "write_off" not in buttons(finance_client.get(change_url(invoice)))


@override_settings(EMAIL_VERIFICATION="required")
def test_an_unverified_user_cannot_move_money_from_a_button(client, organization):
    user = staff(organization, Role.FINANCE, email_verified=False)
    client.force_login(user)
    invoice = overdue_invoice(organization, total="100.00")
    before = snapshot(invoice)
    response = client.post(command_url(invoice, "pay"), {"amount": "10.00", "method": "cash"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert snapshot(invoice) == before


def test_pdf_link_downloads_the_invoice(finance_client, organization):
    invoice = InvoiceFactory(organization=organization, sent=True)
    response = finance_client.get(command_url(invoice, "pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert f"{invoice.number}.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


def test_viewer_may_download_the_pdf(client, organization):
    invoice = InvoiceFactory(organization=organization, sent=True)
    client.force_login(staff(organization, Role.VIEWER))
    assert client.get(command_url(invoice, "pdf")).content.startswith(b"%PDF")


def test_read_only_payments_inline_offers_no_add_row(finance_client, organization):
    draft = InvoiceFactory(organization=organization)
    page = finance_client.get(change_url(draft)).content.decode()
    # Django's inline script draws "Add another ..." only below MAX_NUM_FORMS.
    assert 'value="0" id="id_payments-MAX_NUM_FORMS"' in page
    assert 'value="0" id="id_lines-MAX_NUM_FORMS"' not in page  # a draft's lines stay editable


def test_money_on_the_page_has_the_currency_symbol_and_digits(finance_client, organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="1403.5")
    page = finance_client.get(change_url(invoice)).content.decode()
    assert "$1,403.50" in page
    assert "1403.5000" not in page


def test_history_shows_status_number_and_amount_paid(finance_client, organization, finance):
    invoice = overdue_invoice(organization, total="100.00")
    Payment.pay(invoice, amount=Decimal("25.00"), method="cash", actor=finance)
    page = finance_client.get(change_url(invoice).replace("/change/", "/history/"))
    text = page.content.decode()
    for column in ("status", "number", "amount_paid"):
        assert f'<th scope="col">{column}</th>' in text
    assert invoice.number in text
    assert "partially_paid" in text or "Partially paid" in text
