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


class InvalidDates(DomainError):
    code = "invalid_dates"
    default_message = "The due date cannot be before the issue date."


class AmountTooLarge(DomainError):
    code = "amount_too_large"
    default_message = "The amount is too large to be stored."


class InvalidLine(DomainError):
    code = "invalid_line"
    default_message = "An invoice line has an invalid value."

    def __init__(self, message=None, *, code=None, attr="lines"):
        super().__init__(message, code=code, attr=attr)
