"""Invoice and reminder e-mails (spec 7): content, after-commit delivery, refusals."""

import pytest
from django.db import transaction

from accounts.models import User
from customers.tests.factories import CustomerFactory
from invoices.mail import CustomerHasNoEmail, build_invoice_email, queue_invoice_email
from invoices.models import Invoice, InvoiceReminder, InvoiceStatus
from invoices.tests.document_factories import draft_invoice, pay, sent_invoice

pytestmark = pytest.mark.django_db


def action_url(invoice, action):
    return f"/api/v1/invoices/{invoice.pk}/{action}/"


def pdf_attachments(message):
    return [item for item in message.attachments if item[2] == "application/pdf"]


def test_send_with_email_mails_customer_text_html_and_pdf(
    finance_api, organization, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = draft_invoice(organization)
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_api.post(action_url(invoice, "send"), {"email": True})
    assert response.status_code == 200, response.json()
    invoice.refresh_from_db()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [invoice.customer.email]
    assert invoice.number in message.subject
    assert "Acme Ltd" in message.subject
    assert "$1,234.50" in message.body
    [(filename, content, _mimetype)] = pdf_attachments(message)
    assert filename == f"{invoice.number}.pdf"
    assert content.startswith(b"%PDF")
    [(html, html_type)] = message.alternatives
    assert html_type == "text/html"
    assert invoice.number in html


def test_send_without_email_flag_sends_nothing(
    finance_api, organization, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = draft_invoice(organization)
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_api.post(action_url(invoice, "send"), {})
    assert response.status_code == 200
    assert mailoutbox == []


def test_send_with_email_to_customer_without_email_is_400_and_changes_nothing(
    finance_api, organization, mailoutbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(organization=organization, email="")
    invoice = draft_invoice(organization, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_api.post(action_url(invoice, "send"), {"email": True})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "customer_no_email"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number is None
    assert invoice.version == 1
    assert mailoutbox == []


def test_email_is_not_sent_before_commit_nor_when_transaction_rolls_back(
    organization, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = sent_invoice(organization)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue_invoice_email(invoice)
        assert mailoutbox == []  # queued, not sent, while the transaction is open
        raise RuntimeError("roll back")
    assert callbacks == []
    assert mailoutbox == []


def test_queued_email_is_sent_once_the_transaction_commits(
    organization, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = sent_invoice(organization)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue_invoice_email(invoice, kind="reminder")
    assert len(mailoutbox) == 1
    assert invoice.number in mailoutbox[0].subject


def test_queue_refuses_customer_without_email(organization):
    invoice = sent_invoice(
        organization, customer=CustomerFactory(organization=organization, email="")
    )
    with pytest.raises(CustomerHasNoEmail):
        queue_invoice_email(invoice)


def test_remind_emails_reminder_and_answers_the_invoice(
    finance_api, organization, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = sent_invoice(organization, due_date=organization.today())
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_api.post(action_url(invoice, "remind"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == invoice.pk
    assert body["number"] == invoice.number
    assert body["is_overdue"] is False
    [message] = mailoutbox
    assert message.to == [invoice.customer.email]
    assert "Reminder" in message.subject and invoice.number in message.subject
    assert "due today" in message.body
    assert "$1,234.50" in message.body
    assert len(pdf_attachments(message)) == 1
    assert message.alternatives[0][1] == "text/html"
    # A manual reminder is not a schedule stage: the next scheduled one still goes out.
    assert not InvoiceReminder.objects.exists()


def test_remind_partially_paid_invoice_mentions_balance_due(
    admin_api, organization, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = sent_invoice(organization)
    pay(invoice, "234.50")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(action_url(invoice, "remind"))
    assert response.status_code == 200
    assert response.json()["status"] == "partially_paid"
    assert "$1,000.00" in mailoutbox[0].body


@pytest.mark.parametrize("state", ["draft", "paid", "void"])
def test_remind_is_409_invalid_status_unless_sent_or_partially_paid(
    state, finance_api, organization, mailoutbox, django_capture_on_commit_callbacks
):
    if state == "draft":
        invoice = draft_invoice(organization)
    else:
        invoice = sent_invoice(organization)
        if state == "paid":
            pay(invoice, invoice.total)
        else:
            invoice.void(reason="mistake", actor=User.objects.system_actor())
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_api.post(action_url(invoice, "remind"))
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "invalid_status"
    assert mailoutbox == []


def test_remind_customer_without_email_is_400(
    finance_api, organization, mailoutbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(organization=organization, email="")
    invoice = sent_invoice(organization, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_api.post(action_url(invoice, "remind"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "customer_no_email"
    assert mailoutbox == []


def test_viewer_cannot_remind(
    viewer_api, organization, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = sent_invoice(organization)
    with django_capture_on_commit_callbacks(execute=True):
        response = viewer_api.post(action_url(invoice, "remind"))
    assert response.status_code == 403
    assert mailoutbox == []


def test_remind_other_organizations_invoice_is_404(admin_api, other_organization, mailoutbox):
    invoice = sent_invoice(other_organization)
    assert admin_api.post(action_url(invoice, "remind")).status_code == 404
    assert mailoutbox == []


def test_remind_with_stale_if_match_is_412(admin_api, organization, mailoutbox):
    invoice = sent_invoice(organization)
    response = admin_api.post(action_url(invoice, "remind"), HTTP_IF_MATCH='"99"')
    assert response.status_code == 412
    assert mailoutbox == []


def test_mail_server_failure_after_commit_does_not_fail_the_request(
    finance_api, organization, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    invoice = draft_invoice(organization)

    def broken_send(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken_send)
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_api.post(action_url(invoice, "send"), {"email": True})
    # The invoice was sent and committed; the failed delivery is logged, not a 500.
    assert response.status_code == 200
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.SENT
    assert "SMTP down" in caplog.text


def test_html_part_escapes_customer_text(organization):
    customer = CustomerFactory(organization=organization, name="<b>Bob</b> & Co")
    invoice = sent_invoice(organization, customer=customer)
    html = build_invoice_email(invoice).alternatives[0][0]
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; Co" in html
    assert "<b>Bob</b>" not in html
