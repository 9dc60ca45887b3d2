# The line, date and size refusals are every lined document's (core.documents).
from core.documents import AmountTooLarge, InvalidDates, InvalidLine  # noqa: F401
from core.errors import ConflictError, DomainError


class InvoiceNotEditable(ConflictError):
    code = "invoice_not_editable"
    default_message = "Only draft invoices can be edited or deleted."


class InvoiceEmpty(DomainError):
    code = "invoice_empty"
    default_message = "An invoice needs at least one line and a total above zero to be sent."


class InvoiceHasPayments(ConflictError):
    code = "invoice_has_payments"
    default_message = "An invoice that has received payments cannot be voided."


class CustomerArchived(DomainError):
    code = "customer_archived"
    default_message = "The customer is archived and cannot get new invoices."
