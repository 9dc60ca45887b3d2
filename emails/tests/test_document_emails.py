"""Credit-note and statement e-mails go through the queue like invoice e-mails (spec 16):
logged, sent to a real SMTP server with their PDF, retried when refused."""

from email import message_from_bytes

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from credits.tests.factories import credit
from emails.models import EmailKind, EmailMessage, EmailStatus
from emails.tests.smtp import SMTPServer
from invoices.tests.factories import InvoiceFactory
from reports.statement_document import email_statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        server.use_in(settings)
        yield server


@pytest.fixture
def invoice(organization):
    return InvoiceFactory(organization=organization, sent=True, total="100.00")


def pdf_names(received):
    parsed = message_from_bytes(received.original_content)
    return [part.get_filename() for part in parsed.walk() if part.get_filename()]


def test_a_credit_note_e_mail_is_queued_logged_and_sent_with_its_pdf(
    smtp, finance_api, invoice, django_capture_on_commit_callbacks
):
    note = credit(invoice, "10.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_api.post(f"/api/v1/credit-notes/{note.pk}/email/")
    assert response.status_code == 200, response.content

    [logged] = EmailMessage.objects.filter(kind=EmailKind.CREDIT_NOTE)
    assert (logged.status, logged.attempts, logged.invoice_id) == (EmailStatus.SENT, 1, invoice.pk)
    [received] = smtp.mailbox.messages
    assert received.rcpt_tos == [invoice.customer.email]
    assert pdf_names(received) == [f"{note.number}.pdf"]


def test_a_refused_statement_e_mail_is_retried_by_the_relay(
    smtp, organization, invoice, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    smtp.mailbox.refuse = 1
    with django_capture_on_commit_callbacks(execute=True):
        email_statement(
            invoice.customer, currency=invoice.currency, actor=User.objects.system_actor()
        )
    [logged] = EmailMessage.objects.filter(kind=EmailKind.STATEMENT)
    assert (logged.status, logged.attempts) == (EmailStatus.QUEUED, 1)
    assert smtp.mailbox.messages == []

    time_machine.move_to(logged.next_attempt_at)
    call_command("run_outbox")
    logged.refresh_from_db()
    assert (logged.status, logged.attempts) == (EmailStatus.SENT, 2)
    [received] = smtp.mailbox.messages
    assert received.rcpt_tos == [invoice.customer.email]
    assert len(pdf_names(received)) == 1 and pdf_names(received)[0].endswith(".pdf")
