"""Stable error codes of spec 6 for payments, refunds and reversals."""

from core.errors import ConflictError, DomainError

# The amount's refusals are every payment row's (core.payment_rows).
from core.payment_rows import InvalidAmount, TooPrecise  # noqa: F401


class InvalidMethod(DomainError):
    code = "invalid_choice"
    default_message = "Unknown payment method."


class Overpayment(DomainError):
    code = "overpayment"
    default_message = "The amount is more than the invoice's balance due."


class ReceivedInFuture(DomainError):
    code = "received_on_in_future"
    default_message = "A payment cannot be received in the future."


class ReceivedBeforeIssue(DomainError):
    code = "received_before_issue"
    default_message = (
        "A payment cannot be received before its invoice's issue date; money received "
        "earlier is a customer receipt."
    )


class DuplicateReference(ConflictError):
    code = "duplicate_reference"
    default_message = "This invoice already has a payment with this reference."


class RefundExceedsPaid(DomainError):
    code = "refund_exceeds_paid"
    default_message = "The refund is more than the amount paid on the invoice."


class NotReversible(DomainError):
    code = "not_reversible"
    default_message = "Only payments can be reversed, not refunds or reversals."


class AlreadyReversed(ConflictError):
    code = "already_reversed"
    default_message = "This payment has already been reversed."


class ReversalExceedsPaid(ConflictError):
    code = "reversal_exceeds_paid"
    default_message = (
        "Reversing this payment would make the amount paid negative; refunds already "
        "returned part of it."
    )


class PaymentImmutable(ConflictError):
    code = "payment_immutable"
    default_message = "Payment rows cannot be changed or deleted; record a reversal instead."


# --- customer credit and receipts (spec 14) ---------------------------------------------


class InsufficientCredit(DomainError):
    code = "insufficient_credit"
    default_message = "The customer's credit in this currency is less than the amount."


class PartOfReceipt(ConflictError):
    code = "part_of_receipt"
    default_message = (
        "This payment is an allocation of a receipt; reverse the receipt to reverse it."
    )


class AllocationExceedsReceipt(DomainError):
    code = "allocation_exceeds_receipt"
    default_message = "The allocations add up to more than the receipt's amount."


class InvalidAllocation(DomainError):
    code = "invalid_allocation"
    default_message = (
        "Each allocation names a different invoice of the receipt's customer, in the "
        "receipt's currency."
    )


class CreditAlreadyUsed(ConflictError):
    code = "credit_already_used"
    default_message = (
        "The customer's credit in this currency is below the receipt's unallocated amount: "
        "part of it was already applied or refunded."
    )


class ReceiptAlreadyReversed(ConflictError):
    code = "already_reversed"
    default_message = "This receipt has already been reversed."


class InvalidExcess(DomainError):
    code = "invalid_choice"
    default_message = 'The only way to take an excess is "credit".'
