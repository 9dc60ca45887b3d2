"""Cash (spec 9), defined once: money that crossed the customer's bank account.

Payment rows of kind `payment` (+), `refund` and `reversal` (-), but not `credit` rows
(credit applied to an invoice) nor their reversals (`payments.models.CASH_ROWS`); and the
customer-credit entries that are cash: `overpayment` and `receipt` (+, money received but
not allocated), `refunded` and a receipt's `reversed` (-) (`payments.credit.CASH_ENTRIES`).
Credit notes are never cash. Every report figure of cash (`collected`, `refunded`,
`income`, `recovered`) reads these sources.
"""

from payments.credit import CASH_ENTRIES, CreditEntry, CreditKind
from payments.models import CASH_ROWS, Payment, PaymentKind

# Cash that comes in (+) or goes back out (-) with each source's row kinds.
REFUND_ROWS = {"kind": PaymentKind.REFUND}
REFUND_ENTRIES = {"kind": CreditKind.REFUNDED}


def cash_sources():
    """[(rows, date field)]: the payment rows and the credit entries that are cash, each
    with the date that places it in a period. Both have `organization`, `currency` and a
    signed `amount`."""
    return [
        (Payment.objects.filter(CASH_ROWS), "received_on"),
        (CreditEntry.objects.filter(CASH_ENTRIES), "booked_on"),
    ]
