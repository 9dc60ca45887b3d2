"""Stable error codes of spec 19 for bills and bill payments (spec 6's codes where they match)."""

from core.errors import ConflictError, DomainError

# The amount's refusals are every payment row's (core.payment_rows).
from core.payment_rows import InvalidAmount, TooPrecise  # noqa: F401


class DuplicateBillNumber(ConflictError):
    code = "duplicate_bill_number"
    default_message = "This vendor already has a bill with this number."


class BillNotEditable(ConflictError):
    code = "bill_not_editable"
    default_message = "Only draft bills can be edited or deleted."


class BillEmpty(DomainError):
    code = "bill_empty"
    default_message = "A bill needs at least one line and a total above zero to be approved."


class BillHasPayments(ConflictError):
    code = "bill_has_payments"
    default_message = "A bill that has been paid cannot be voided."


class VendorArchived(DomainError):
    code = "vendor_archived"
    default_message = "The vendor is archived and cannot get new bills."


class Overpayment(DomainError):
    code = "overpayment"
    default_message = "The amount is more than the bill's balance due."


class PaidInFuture(DomainError):
    code = "paid_on_in_future"
    default_message = "A bill cannot be paid in the future."


class DuplicateReference(ConflictError):
    code = "duplicate_reference"
    default_message = "This bill already has a payment with this reference."


class NotReversible(DomainError):
    code = "not_reversible"
    default_message = "Only payments can be reversed, not reversals."


class AlreadyReversed(ConflictError):
    code = "already_reversed"
    default_message = "This bill payment has already been reversed."


class BillPaymentImmutable(ConflictError):
    code = "payment_immutable"
    default_message = "Bill payments cannot be changed or deleted; record a reversal instead."
