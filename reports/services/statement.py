"""GET customers/{id}/statement/: a customer's account in one currency (spec 9)."""

from django.db.models import Case, F, IntegerField, Value, When
from django.db.models import CharField as TextField

from core.money import ZERO
from credits.models import CreditNote, WriteOff
from invoices.models import BOOKED_STATUSES, Invoice
from payments.credit import CASH_ENTRIES, CreditEntry, CreditKind
from payments.models import CASH_ROWS, Payment
from reports.services.common import MONEY_OUTPUT, money, money_sum

TEXT = TextField()
# The statement line of each customer-credit entry that changes the net position: the
# entries that are cash (`payments.credit.CASH_ENTRIES`).
STATEMENT_CREDIT_TYPES = {
    CreditKind.OVERPAYMENT: "credit_received",
    CreditKind.RECEIPT: "credit_received",
    CreditKind.REFUNDED: "credit_refund",
    CreditKind.REVERSED: "credit_reversal",
}


def statement(customer, *, currency, date_from=None, date_to):
    """Opening balance before `from`, every movement from `from` to `to` with the running
    balance, and the closing balance: the customer's net position (spec 9 and 14).

    Invoices add their total on their issue date; payments subtract, refunds and reversals
    add back (the effect is minus the signed payment amount); a credit note subtracts its
    total on its issue date and a write-off its amount on its date; money moved on a
    written-off invoice (a payment, refund or reversal, or a credit note's part that
    reduced the write-off) is also a `recovery` line of the opposite effect, so it leaves
    the net position as the write-off left it. Customer credit (spec 14) is part of the net
    position: an overpayment's excess or a receipt's unallocated rest is `credit_received`
    (minus), credit paid back `credit_refund` (plus), a receipt's rest taken back on its
    reversal `credit_reversal` (plus); credit applied to an invoice, and such a `credit` row's
    reversal, only move money between the credit and the invoice: `credit_applied`, 0. A
    credit note's rest put on credit is inside its own line (minus its whole total). Same-day
    movements list invoices first, then payment rows, recoveries, credit notes, write-offs
    and credit entries, each in creation order.

    A constant number of queries: one opening sum per kind of movement and one UNION.
    """
    scope = {"organization": customer.organization_id, "currency": currency}
    sources = [
        (
            Invoice.objects.filter(**scope, customer=customer, status__in=BOOKED_STATUSES),
            "issue_date",
            {
                "line_type": Value("invoice", output_field=TEXT),
                "line_number": F("number"),
                "line_reference": F("reference"),
                "effect": F("total"),
            },
        ),
        (
            Payment.objects.filter(CASH_ROWS, **scope, invoice__customer=customer),
            "received_on",
            {
                "line_type": F("kind"),
                "line_number": F("invoice__number"),
                "line_reference": F("reference"),
                "effect": Value(0, output_field=MONEY_OUTPUT) - F("amount"),
            },
        ),
        (
            Payment.objects.filter(~CASH_ROWS, **scope, invoice__customer=customer),
            "received_on",
            {
                "line_type": Value("credit_applied", output_field=TEXT),
                "line_number": F("invoice__number"),
                "line_reference": F("reference"),
                "effect": Value(0, output_field=MONEY_OUTPUT),
            },
        ),
        (
            Payment.objects.filter(**scope, invoice__customer=customer, recovery=True),
            "received_on",
            {
                "line_type": Value("recovery", output_field=TEXT),
                "line_number": F("invoice__number"),
                "line_reference": F("reference"),
                "effect": F("amount"),
            },
        ),
        (
            CreditNote.objects.filter(**scope, customer=customer, against_write_off=True),
            "issued_on",
            {
                "line_type": Value("recovery", output_field=TEXT),
                "line_number": F("invoice__number"),
                "line_reference": F("number"),
                "effect": F("credited_to_invoice"),
            },
        ),
        (
            CreditNote.objects.filter(**scope, customer=customer),
            "issued_on",
            {
                "line_type": Value("credit_note", output_field=TEXT),
                "line_number": F("number"),
                "line_reference": F("invoice__number"),
                "effect": Value(0, output_field=MONEY_OUTPUT) - F("total"),
            },
        ),
        (
            WriteOff.objects.filter(**scope, invoice__customer=customer),
            "written_off_on",
            {
                "line_type": Value("write_off", output_field=TEXT),
                "line_number": F("invoice__number"),
                "line_reference": Value("", output_field=TEXT),
                "effect": Value(0, output_field=MONEY_OUTPUT) - F("amount"),
            },
        ),
        (
            # The cash entries (spec 9): in, minus; paid back or taken back, plus. A credit
            # note's entry is inside its own line; applied credit and its reversal net to 0.
            CreditEntry.objects.filter(CASH_ENTRIES, **scope, customer=customer),
            "booked_on",
            {
                "line_type": Case(
                    *(
                        When(kind=kind, then=Value(line_type))
                        for kind, line_type in STATEMENT_CREDIT_TYPES.items()
                    ),
                    output_field=TEXT,
                ),
                "line_number": F("invoice__number"),
                "line_reference": F("reference"),
                "effect": Value(0, output_field=MONEY_OUTPUT) - F("amount"),
            },
        ),
    ]
    opening = ZERO
    halves = []
    for order, (rows, date_field, columns) in enumerate(sources):
        if date_from:
            before = rows.filter(**{f"{date_field}__lt": date_from})
            opening += before.annotate(effect_=columns["effect"]).aggregate(s=money_sum("effect_"))[
                "s"
            ]
            rows = rows.filter(**{f"{date_field}__gte": date_from})
        rows = rows.filter(**{f"{date_field}__lte": date_to})
        # Every half selects the same columns in the same order.
        halves.append(
            rows.values(
                line_date=F(date_field),
                line_type=columns["line_type"],
                line_number=columns["line_number"],
                line_reference=columns["line_reference"],
                effect=columns["effect"],
                same_day_order=Value(order, output_field=IntegerField()),
                row_id=F("id"),
            ).order_by()
        )
    movements = (
        halves[0].union(*halves[1:], all=True).order_by("line_date", "same_day_order", "row_id")
    )
    balance = opening
    lines = []
    for movement in movements:
        balance += movement["effect"]
        lines.append(
            {
                "date": movement["line_date"].isoformat(),
                "type": movement["line_type"],
                "number": movement["line_number"],
                "reference": movement["line_reference"],
                "amount": money(movement["effect"], currency),
                "balance": money(balance, currency),
            }
        )
    return {
        "customer": customer.pk,
        "currency": currency,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat(),
        "opening_balance": money(opening, currency),
        "lines": lines,
        "closing_balance": money(balance, currency),
    }
