"""E-mailing a credit note (PDF attached) to the customer, through the queue (spec 16)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from credits.pdf import credit_note_pdf_filename, render_credit_note_pdf
from emails.models import EmailKind
from emails.models import EmailMessage as QueuedEmail
from invoices.mail import ensure_can_email
from invoices.pdf import LocaleFormatter


def queue_credit_note_email(note):
    """Queue the note's e-mail, rendered now with its PDF; it leaves once the surrounding
    transaction commits, with the queue's retries (400 `customer_no_email` at once when the
    customer has no address)."""
    ensure_can_email(note)
    return QueuedEmail.queue_built(
        build_credit_note_email(note),
        organization_id=note.organization_id,
        invoice_id=note.invoice_id,
        kind=EmailKind.CREDIT_NOTE,
    )


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
