"""GET reports/aging/: what each customer owed at `as_of`, by days past due (spec 9)."""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Case, CharField, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from core.money import ZERO, quantize
from invoices.models import BOOKED_STATUSES, Invoice
from payments.models import Payment
from reports.services.common import (
    MONEY_OUTPUT,
    Converter,
    money,
    money_sum,
    zero_money,
)

BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
COLUMNS = (*BUCKETS, "total")


def bucket_of_due_date(as_of):
    """Days past due = as_of - due_date, turned into due-date ranges (no date arithmetic
    in SQL, so it reads the same on SQLite and PostgreSQL)."""

    def days_before(n):
        try:
            return as_of - timedelta(days=n)
        except OverflowError:  # as_of in year 1: nothing can be that far past due
            return date.min

    return Case(
        When(due_date__gte=as_of, then=Value("current")),
        When(due_date__gte=days_before(30), then=Value("1_30")),
        When(due_date__gte=days_before(60), then=Value("31_60")),
        When(due_date__gte=days_before(90), then=Value("61_90")),
        default=Value("over_90"),
        output_field=CharField(),
    )


def aging(organization, *, as_of, convert_to=None):
    """The ledger as it stood at `as_of`: booked invoices issued by then, less every
    payment, refund and reversal received by then (so later payments do not count).

    One GROUP BY (currency, customer, bucket[, issue date when converting]); the buckets
    are pivoted into columns here. Customers owing nothing in total are left out.
    """
    received_by_then = (
        Payment.objects.filter(invoice=OuterRef("pk"), received_on__lte=as_of)
        .values("invoice")
        .annotate(paid=Sum("amount"))
        .values("paid")
    )
    owed = F("total") - Coalesce(
        Subquery(received_by_then, output_field=MONEY_OUTPUT), zero_money()
    )
    group = ["currency", "customer_id", "customer__name", "bucket"]
    if convert_to:
        group.append("issue_date")
    rows = list(
        Invoice.objects.filter(
            organization=organization, status__in=BOOKED_STATUSES, issue_date__lte=as_of
        )
        .annotate(owed=owed, bucket=bucket_of_due_date(as_of))
        .values(*group)
        .annotate(amount=money_sum("owed"))
        .exclude(amount=0)
        .order_by(*group)
    )
    converter = Converter(organization, convert_to, rows, date_key="issue_date")
    return {
        "as_of": as_of.isoformat(),
        "currencies": aged_by_party(rows, converter, "customer"),
    }


def aged_by_party(rows, converter, party):
    """Pivot grouped (currency, `<party>_id`, `<party>__name`, bucket) rows into the aging's
    per-currency shape, keyed by `party` (`customer`, or `vendor` for the payables). Parties
    owing nothing in total are left out."""
    by_currency = defaultdict(dict)  # currency -> party id -> row being built
    for row in rows:
        parties = by_currency[converter.currency_of(row)]
        entry = parties.setdefault(
            row[f"{party}_id"],
            {"name": row[f"{party}__name"], **{bucket: ZERO for bucket in BUCKETS}},
        )
        amount = converter.amount(row, "amount")
        entry[row["bucket"]] += amount
    currencies = []
    for currency, parties in sorted(by_currency.items()):
        owing = []
        for party_id, entry in parties.items():
            # Round each bucket first so the party's total and the report totals are
            # exactly the sums of the figures shown (conversion leaves extra digits).
            buckets = {bucket: quantize(entry[bucket], currency) for bucket in BUCKETS}
            total = sum(buckets.values(), ZERO)
            if total > 0:
                owing.append((entry["name"], party_id, {**buckets, "total": total}))
        if not owing:
            continue
        owing.sort()
        totals = {column: sum((row[column] for *_, row in owing), ZERO) for column in COLUMNS}
        currencies.append(
            {
                "currency": currency,
                f"{party}s": [
                    {
                        party: party_id,
                        f"{party}_name": name,
                        **{column: money(row[column], currency) for column in COLUMNS},
                    }
                    for name, party_id, row in owing
                ],
                "totals": {column: money(totals[column], currency) for column in COLUMNS},
            }
        )
    return currencies
