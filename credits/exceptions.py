"""Stable error codes of spec 14 for credit notes and write-offs."""

from core.errors import ConflictError, DomainError


class CreditExceedsInvoice(DomainError):
    code = "credit_exceeds_invoice"
    default_message = (
        "Per tax rate, credit notes cannot credit more than the invoice charged, nor a rate "
        "the invoice does not have."
    )


class CreditNoteEmpty(DomainError):
    code = "credit_note_empty"
    default_message = "A credit note needs at least one line and a total above zero."


class DocumentImmutable(ConflictError):
    code = "immutable"
    default_message = "Credit notes and write-offs cannot be changed or deleted."
