"""E-mailing invoices to customers, through the queue (spec 16).

`queue_invoice_email` writes the message's row (`emails.EmailMessage`) in the transaction of
the change, and a task sends it after the commit, with retries. The message is plain text
with an HTML alternative and the invoice PDF attached; it is built when it is sent from a
fresh read of the invoice, so it shows what was committed (the number assigned by `send`,
the balance after the latest payment).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from core.errors import DomainError
from emails.models import EmailMessage
from invoices.pdf import LocaleFormatter, pdf_filename, render_invoice_pdf

KINDS = frozenset({"invoice", "reminder"})


class CustomerHasNoEmail(DomainError):
    code = "customer_no_email"
    default_message = "The customer has no e-mail address."


def ensure_can_email(invoice):
    """400 `customer_no_email` unless the invoice's customer has an e-mail address."""
    if not invoice.customer.email:
        raise CustomerHasNoEmail(attr="email")


def queue_invoice_email(invoice, *, kind="invoice"):
    """Send the invoice e-mail once the surrounding transaction commits (never on rollback).

    Call inside the transaction that makes the change the message announces. Refuses a
    customer without e-mail at once, so the caller's transaction rolls back with a 400.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown invoice e-mail kind {kind!r}")
    ensure_can_email(invoice)
    # The row commits with the change; a mail server failure after the commit is a retry
    # on the row, never an error answer for a committed, correct operation.
    return EmailMessage.queue(
        organization_id=invoice.organization_id,
        invoice_id=invoice.pk,
        to=invoice.customer.email,
        subject=invoice_email_subject(invoice, kind=kind),
        kind=kind,
    )


def _context(invoice):
    organization, customer = invoice.organization, invoice.customer
    fmt = LocaleFormatter(organization.locale, invoice.currency, invoice.minor_unit)
    today = organization.today()
    return {
        "invoice": invoice,
        "organization": organization,
        "customer": customer,
        "total": fmt.money(invoice.total),
        "balance_due": fmt.money(invoice.balance_due),
        "due_date": fmt.date(invoice.due_date),
        "days_overdue": (today - invoice.due_date).days if invoice.due_date else 0,
    }


def invoice_email_subject(invoice, *, kind="invoice", context=None) -> str:
    context = context or _context(invoice)
    # Header values are one line: a newline in a name must not break the Subject header.
    return " ".join(render_to_string(f"invoices/email/{kind}_subject.txt", context).split())


def build_invoice_email(invoice, *, kind="invoice") -> EmailMultiAlternatives:
    """The message for `invoice` (with customer, organization, lines and payments readable)."""
    context = _context(invoice)
    organization, customer = invoice.organization, invoice.customer
    template = f"invoices/email/{kind}"
    subject = invoice_email_subject(invoice, kind=kind, context=context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[customer.email],
        reply_to=[organization.email] if organization.email else None,
    )
    message.attach_alternative(render_to_string(f"{template}_body.html", context), "text/html")
    message.attach(pdf_filename(invoice), render_invoice_pdf(invoice), "application/pdf")
    return message


def send_invoice(invoice, *, actor, email, expected_version=None):
    """Draft -> sent (`Invoice.send`); with `email`, the customer is e-mailed the invoice
    after the commit. A customer without e-mail is refused before anything changes (a
    non-draft is refused by `send` itself with `invalid_status`). The API's `send` and the
    back office's button both come here."""
    on_sent = None
    if email:
        if invoice.can("send"):
            ensure_can_email(invoice)

        def on_sent(sent):
            queue_invoice_email(sent)

    invoice.send(actor=actor, on_sent=on_sent, expected_version=expected_version)
