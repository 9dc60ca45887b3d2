"""Which open invoice a bank line pays (spec 15).

- An invoice number is found in a line's text on token boundaries, ignoring case, spaces
  and hyphens: "INV-00012" is found in "inv 00012", "INV00012" and "Inv-000-12", never in
  "INV-000123" or "XINV-00012".
- A line is matched automatically when it comes in, its text names exactly one open invoice
  (`sent` or `partially_paid`) of the organization, in its currency, whose balance due the
  amount does not exceed, and it was booked on or after the invoice's issue date.
- Every other unmatched incoming line gets `suggestions`: open invoices of its currency,
  those whose balance due is the amount first, then those whose customer's name is in the
  counterparty's, then by how close the balance is to the amount.
"""

import heapq
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from invoices.models import RECEIVABLE_STATUSES, Invoice

SUGGESTIONS = 5
SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
WORD = re.compile(r"[^\W_]", re.UNICODE)


@dataclass(frozen=True)
class OpenInvoice:
    id: int
    number: str
    customer_id: int
    customer_name: str
    currency: str
    balance_due: Decimal
    issue_date: date | None


def open_invoices(organization, *, currencies=None) -> list[OpenInvoice]:
    """The organization's open invoices (one query), optionally of `currencies` only."""
    rows = Invoice.objects.filter(
        organization=organization, status__in=RECEIVABLE_STATUSES, balance_due__gt=0
    )
    if currencies is not None:
        rows = rows.filter(currency__in=set(currencies))
    values = rows.order_by("id").values_list(
        "id", "number", "customer_id", "customer__name", "currency", "balance_due", "issue_date"
    )
    return [OpenInvoice(*row) for row in values]


class OpenInvoices:
    """An organization's open invoices, read once, on first use, however many lines of one
    page ask for their suggestions (none when no line on it needs any)."""

    def __init__(self, organization):
        self.organization = organization
        self._invoices = None

    def __iter__(self):
        if self._invoices is None:
            self._invoices = open_invoices(self.organization)
        return iter(self._invoices)


def compact(text: str) -> tuple[str, frozenset[int]]:
    """`text` upper-cased without spaces and hyphens, and the positions of that string where
    a token may start or end (the ends, and wherever a non-letter/digit was or a space or
    hyphen was taken out)."""
    chars = []
    boundaries = {0}
    for char in text.upper():
        if SEPARATORS.fullmatch(char) or not WORD.match(char):
            boundaries.add(len(chars))
            if not SEPARATORS.fullmatch(char):
                chars.append(" ")
                boundaries.add(len(chars))
            continue
        chars.append(char)
    boundaries.add(len(chars))
    return "".join(chars), frozenset(boundaries)


def normalized_number(number: str) -> str:
    return SEPARATORS.sub("", number.upper())


class InvoiceFinder:
    """Finds open invoices' numbers in texts; built once for many lines."""

    def __init__(self, invoices):
        self.by_number = {}
        for invoice in invoices:
            if invoice.number:
                self.by_number.setdefault(normalized_number(invoice.number), []).append(invoice)

    def named_in(self, text: str) -> list[OpenInvoice]:
        """The open invoices whose number `text` contains on token boundaries."""
        letters, boundaries = compact(text)
        found = []
        for number, invoices in self.by_number.items():
            start = letters.find(number)
            while start >= 0:
                if start in boundaries and start + len(number) in boundaries:
                    found.extend(invoices)
                    break
                start = letters.find(number, start + 1)
        return found


def automatic_allocation(line, finder: InvoiceFinder) -> OpenInvoice | None:
    """The one open invoice `line` pays by spec 15's rule, or None."""
    if line.amount <= 0:
        return None
    named = finder.named_in(line.reference)
    if len(named) != 1:
        return None
    invoice = named[0]
    if invoice.currency != line.currency or line.amount > invoice.balance_due:
        return None
    if invoice.issue_date is not None and line.date < invoice.issue_date:
        return None
    return invoice


def name_matches(customer_name: str, counterparty: str) -> bool:
    name = " ".join(customer_name.casefold().split())
    return bool(name) and name in " ".join(counterparty.casefold().split())


def suggestions_for(line, invoices) -> list[OpenInvoice]:
    """At most SUGGESTIONS open invoices for an unmatched incoming line, best first."""
    if line.amount <= 0 or line.status != "unmatched":
        return []

    def rank(invoice):
        return (
            invoice.balance_due != line.amount,
            not name_matches(invoice.customer_name, line.counterparty),
            abs(invoice.balance_due - line.amount),
            invoice.customer_name.casefold(),
            invoice.id,
        )

    same_currency = (invoice for invoice in invoices if invoice.currency == line.currency)
    return heapq.nsmallest(SUGGESTIONS, same_currency, key=rank)
