"""E-mail through the queue (spec 16): a real SMTP server, 3 tries with backoff, the log."""

from datetime import timedelta
from email import message_from_bytes

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, UserFactory
from emails.models import RETRY_DELAYS, EmailMessage, EmailStatus
from emails.tasks import send_email
from emails.tests.smtp import SMTPServer
from invoices.mail import queue_invoice_email
from invoices.tests.factories import InvoiceFactory

LOG_FIELDS = {
    "id",
    "to",
    "subject",
    "kind",
    "invoice",
    "status",
    "attempts",
    "last_error",
    "sent_at",
    "created_at",
}


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        server.use_in(settings)
        yield server


@pytest.fixture
def draft(organization):
    return InvoiceFactory(organization=organization, total="120.00")


def send(client, invoice, capture):
    with capture(execute=True):
        response = client.post(f"/api/v1/invoices/{invoice.pk}/send/", {"email": True})
    assert response.status_code == 200, response.content
    return EmailMessage.objects.get(invoice=invoice)


@pytest.mark.django_db
def test_an_invoice_e_mail_reaches_the_smtp_server_once_and_is_logged_sent(
    smtp, draft, finance_api, django_capture_on_commit_callbacks
):
    message = send(finance_api, draft, django_capture_on_commit_callbacks)

    [received] = smtp.mailbox.messages
    assert received.rcpt_tos == [draft.customer.email]
    parsed = message_from_bytes(received.original_content)
    draft.refresh_from_db()
    assert draft.number in parsed["Subject"]
    assert any(part.get_filename() == f"{draft.number}.pdf" for part in parsed.walk())
    assert (message.status, message.attempts, message.last_error) == (EmailStatus.SENT, 1, "")
    assert message.sent_at is not None and message.subject == parsed["Subject"]


@pytest.mark.django_db
def test_a_refused_message_is_tried_three_times_with_backoff_then_failed(
    smtp, draft, finance_api, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    smtp.mailbox.refuse = 3

    message = send(finance_api, draft, django_capture_on_commit_callbacks)
    first_try = message.next_attempt_at - RETRY_DELAYS[0]
    assert (message.status, message.attempts) == (EmailStatus.QUEUED, 1)
    assert "451" in message.last_error

    # Not due yet: the relay leaves it alone.
    call_command("run_outbox")
    assert EmailMessage.objects.get(pk=message.pk).attempts == 1

    time_machine.move_to(first_try + RETRY_DELAYS[0])
    call_command("run_outbox")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (EmailStatus.QUEUED, 2)
    assert message.next_attempt_at == first_try + RETRY_DELAYS[0] + RETRY_DELAYS[1]

    time_machine.move_to(message.next_attempt_at)
    call_command("run_outbox")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (EmailStatus.FAILED, 3)

    time_machine.move_to(message.next_attempt_at + timedelta(days=1))
    call_command("run_outbox")
    assert EmailMessage.objects.get(pk=message.pk).attempts == 3  # no fourth try
    assert smtp.mailbox.messages == [] and smtp.mailbox.refuse == 0


@pytest.mark.django_db
def test_a_message_refused_once_is_sent_on_the_second_try_exactly_once(
    smtp, draft, finance_api, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    smtp.mailbox.refuse = 1
    message = send(finance_api, draft, django_capture_on_commit_callbacks)

    time_machine.move_to(message.next_attempt_at)
    call_command("run_outbox")
    call_command("run_outbox")

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (EmailStatus.SENT, 2, "")
    assert len(smtp.mailbox.messages) == 1


@pytest.mark.django_db
def test_a_sent_message_handed_on_again_is_not_sent_again(
    smtp, organization, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(organization=organization, sent=True)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_invoice_email(invoice)
    assert EmailMessage.objects.get(pk=message.pk).status == EmailStatus.SENT

    # A late duplicate of the first hand-off (same lease token) finds the work done.
    assert send_email(str(message.pk), str(message.lease_token)) == "skipped"
    assert len(smtp.mailbox.messages) == 1


@pytest.mark.django_db
def test_a_server_that_does_not_answer_counts_as_a_failed_try(
    settings, draft, finance_api, django_capture_on_commit_callbacks
):
    with SMTPServer() as server:
        server.use_in(settings)
    # The server is stopped: nothing listens on its port any more.
    message = send(finance_api, draft, django_capture_on_commit_callbacks)

    assert (message.status, message.attempts) == (EmailStatus.QUEUED, 1)
    assert message.last_error


@pytest.mark.django_db
def test_any_member_reads_an_invoices_e_mails_newest_first(
    smtp, draft, finance_api, api, viewer_user, organization, django_capture_on_commit_callbacks
):
    send(finance_api, draft, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        finance_api.post(f"/api/v1/invoices/{draft.pk}/remind/")

    response = api(viewer_user).get(f"/api/v1/invoices/{draft.pk}/emails/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["kind"] for row in rows] == ["reminder", "invoice"]
    assert set(rows[0]) == LOG_FIELDS
    assert rows[1]["status"] == "sent" and rows[1]["invoice"] == draft.pk


@pytest.mark.django_db
def test_another_organizations_invoice_e_mails_are_a_404(api, user_in, other_organization, draft):
    stranger = user_in(Role.ADMIN, other_organization)

    response = api(stranger).get(f"/api/v1/invoices/{draft.pk}/emails/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_the_admin_lists_the_e_mail_log_of_the_staff_users_organization_only(
    client, organization, other_organization
):
    ours = InvoiceFactory(organization=organization)
    theirs = InvoiceFactory(organization=other_organization)
    for invoice in (ours, theirs):
        EmailMessage.queue(
            organization_id=invoice.organization_id,
            invoice_id=invoice.pk,
            to=f"billing-{invoice.pk}@example.test",
            subject="Invoice",
            kind="invoice",
        )
    staff = UserFactory(is_staff=True)
    MembershipFactory(user=staff, organization=organization, role=Role.VIEWER)
    client.force_login(staff)

    response = client.get(reverse("admin:emails_emailmessage_changelist"))

    assert response.status_code == 200
    assert f"billing-{ours.pk}@" in response.text
    assert f"billing-{theirs.pk}@" not in response.text
