"""E-mailing a credit note (PDF attached) to the customer, after the request commits."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from credits.pdf import credit_note_pdf_filename, render_credit_note_pdf
from invoices.mail import ensure_can_email
from invoices.pdf import LocaleFormatter

logger = logging.getLogger(__name__)


def queue_credit_note_email(note):
    """Send the note's e-mail once the surrounding transaction commits (400
    `customer_no_email` at once when the customer has no address)."""
    ensure_can_email(note)
    note_pk = note.pk
    # robust: a mail server failure after the commit is logged, not turned into an error.
    transaction.on_commit(lambda: send_credit_note_email(note_pk), robust=True)


def build_credit_note_email(note) -> EmailMessage:
    organization, customer = note.organization, note.customer
    fmt = LocaleFormatter(organization.locale, note.currency, note.minor_unit)
    context = {
        "note": note,
        "organization": organization,
        "customer": customer,
        "total": fmt.money(note.total),
        "refunded": fmt.money(note.refunded),
    }
    template = "credits/email/credit_note"
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMessage(
        subject=subject,
        body=render_to_string(f"{template}_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[customer.email],
        reply_to=[organization.email] if organization.email else None,
    )
    message.attach(credit_note_pdf_filename(note), render_credit_note_pdf(note), "application/pdf")
    return message


def send_credit_note_email(note_pk):
    from credits.models import CreditNote

    note = CreditNote.objects.select_related("customer", "organization", "invoice").get(pk=note_pk)
    build_credit_note_email(note).send()
    logger.info("Sent credit note %s to %s", note, note.customer.email)
