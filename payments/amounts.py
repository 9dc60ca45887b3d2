"""The one reading of a payment-like amount (spec 3): payments, refunds, credit, receipts."""

from decimal import Decimal

from core.money import NotANumber, has_excess_digits, parse_decimal
from payments.exceptions import InvalidAmount, TooPrecise


def checked_amount(amount, minor_unit, *, attr="amount") -> Decimal:
    """A positive amount in the number grammar with no non-zero digits beyond `minor_unit`
    (a document's stored one; never rounded)."""
    try:
        amount = parse_decimal(amount)
    except NotANumber:
        raise InvalidAmount(attr=attr) from None
    if amount <= 0:
        raise InvalidAmount(attr=attr)
    if has_excess_digits(amount, minor_unit):
        raise TooPrecise(attr=attr)
    return amount
