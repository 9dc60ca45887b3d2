"""Sending a queued e-mail (spec 16): one try per hand-off, recorded on its row."""

import structlog
from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from core.outbox import take
from emails.models import INVOICE_KINDS, EmailMessage

logger = structlog.get_logger(__name__)


def build(message: EmailMessage):
    if message.kind in INVOICE_KINDS:
        from invoices.mail import build_invoice_email

        built = build_invoice_email(message.invoice, kind=message.kind)
        built.to = [message.to]
        return built
    built = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        reply_to=[message.reply_to] if message.reply_to else None,
    )
    if message.attachment_name:
        built.attach(message.attachment_name, bytes(message.attachment), "application/pdf")
    return built


@shared_task(name="emails.tasks.send_email")
def send_email(pk, token):
    """Send the message `pk` if `token` still leases it and it is not sent yet."""
    message = take(EmailMessage, pk, token)
    if message is None:
        return "skipped"
    try:
        build(message).send()
    except Exception as error:
        # Whatever failed (the server refused, the connection dropped, the PDF did not
        # render), this try counts and the next one comes after the backoff.
        message.record_failure(error, now=timezone.now())
        logger.warning(
            "email.failed", email=message.pk, attempts=message.attempts + 1, error=str(error)
        )
        return "failed"
    # The one window of a repeat (README, "Operations"): a crash between the server's
    # acceptance above and this record sends the message again on the next hand-off.
    message.record_sent(now=timezone.now())
    logger.info("email.sent", email=message.pk, kind=message.kind)
    return "sent"
