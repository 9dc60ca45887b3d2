"""E-mailing invoices to customers. Messages leave only after the transaction commits."""

from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from fintrack.exceptions import DomainError


class CustomerHasNoEmail(DomainError):
    code = "customer_no_email"
    default_message = "The customer has no e-mail address."


def ensure_can_email(invoice):
    if not invoice.customer.email:
        raise CustomerHasNoEmail(attr="email")


def queue_invoice_email(invoice, *, kind="invoice"):
    """Send the invoice e-mail once the surrounding transaction commits (never on rollback)."""
    ensure_can_email(invoice)
    transaction.on_commit(lambda: send_invoice_email(invoice.pk, kind=kind))


def send_invoice_email(invoice_pk, *, kind="invoice"):
    from invoices.models import Invoice

    invoice = Invoice.objects.select_related("customer", "organization").get(pk=invoice_pk)
    subject = f"Invoice {invoice.number} from {invoice.organization.name}"
    body = f"Please find invoice {invoice.number} for {invoice.total} {invoice.currency}."
    message = EmailMultiAlternatives(subject, body, to=[invoice.customer.email])
    message.send()
