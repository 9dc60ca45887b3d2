"""Every e-mail the product sends to customers and admins, and its delivery (spec 16).

A message is a row written in the transaction of the change it announces (so it exists
exactly when the change does), then sent by a task after the commit: up to 3 tries with
a backoff, each recorded here. The row is the consumer's memory: a message already sent is
never sent again, whatever redelivers its task.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone

from core.models import LeasedWork
from core.outbox import hand_off_on_commit, new_lease

# Tries per message, and the waits after the first and second failures.
MAX_ATTEMPTS = 3
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=10))


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EmailKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    REMINDER = "reminder", "Reminder"
    CREDIT_NOTE = "credit_note", "Credit note"
    STATEMENT = "statement", "Statement"
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook endpoint disabled"


# Kinds whose message is built from the invoice when it is sent (with its PDF).
INVOICE_KINDS = frozenset({EmailKind.INVOICE, EmailKind.REMINDER})


class EmailMessage(LeasedWork):
    PENDING = EmailStatus.QUEUED
    TASK = "emails.tasks.send_email"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="emails"
    )
    invoice = models.ForeignKey(
        "invoices.Invoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
    )
    to = models.EmailField()
    subject = models.CharField(max_length=998)
    # The text of messages not built from an invoice (invoice e-mails are rendered again,
    # with their PDF, when they are sent).
    body = models.TextField(blank=True)
    reply_to = models.EmailField(blank=True)
    # The document of a message not built from an invoice (a credit note's or statement's
    # PDF), rendered when the message is queued: it goes out as it was then.
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment = models.BinaryField(null=True, blank=True, editable=False)
    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=PENDING)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="email_due"),
            models.Index(fields=["invoice", "-created_at"], name="email_invoice_newest"),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to}: {self.subject}"

    @classmethod
    def queue(
        cls,
        *,
        organization_id,
        to,
        subject,
        kind,
        invoice_id=None,
        body="",
        reply_to="",
        attachment=None,
    ):
        """Write the message and send it once the surrounding transaction commits.
        `attachment` is `(file name, PDF bytes)` for messages not built from an invoice."""
        name, content = attachment or ("", None)
        message = cls(
            organization_id=organization_id,
            invoice_id=invoice_id,
            to=to,
            subject=subject,
            kind=kind,
            body=body,
            reply_to=reply_to,
            attachment_name=name,
            attachment=content,
        )
        new_lease(message)
        message.save(force_insert=True)
        hand_off_on_commit(message)
        return message

    @classmethod
    def queue_built(cls, built, *, organization_id, kind, invoice_id=None):
        """Queue `built` (a Django e-mail message rendered now, with at most one PDF
        attached: a credit note, a statement) for its one recipient."""
        attachments = [(name, content) for name, content, _mimetype in built.attachments]
        return cls.queue(
            organization_id=organization_id,
            invoice_id=invoice_id,
            to=built.to[0],
            subject=built.subject,
            kind=kind,
            body=built.body,
            reply_to=built.reply_to[0] if built.reply_to else "",
            attachment=attachments[0] if attachments else None,
        )

    def record_sent(self, *, now):
        """The server accepted the message: sent, whoever held the lease by now."""
        type(self).objects.filter(pk=self.pk, status=EmailStatus.QUEUED).update(
            status=EmailStatus.SENT,
            sent_at=now,
            attempts=self.attempts + 1,
            last_error="",
            lease_token=None,
            lease_until=None,
        )

    def record_failure(self, error, *, now):
        """One failed try: retried after its backoff, or failed after the third."""
        attempts = self.attempts + 1
        done = attempts >= MAX_ATTEMPTS
        type(self).objects.filter(pk=self.pk, lease_token=self.lease_token).update(
            status=EmailStatus.FAILED if done else EmailStatus.QUEUED,
            attempts=attempts,
            last_error=str(error)[:2000] or type(error).__name__,
            next_attempt_at=now if done else now + RETRY_DELAYS[attempts - 1],
            lease_token=None,
            lease_until=None,
        )
