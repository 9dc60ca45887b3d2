"""GET reports/aging/: what each customer owed at `as_of`, by days past due (spec 9)."""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Max, Q

from core.money import ZERO, quantize
from invoices.models import BOOKED_STATUSES, Invoice
from payments.models import Payment
from reports.services.common import Converter, money, money_sum

BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
COLUMNS = (*BUCKETS, "total")


def bucket_filters(as_of, due_date="due_date"):
    """Days past due = as_of - due_date, turned into one due-date range per bucket (no
    date arithmetic in SQL, so it reads the same on SQLite and PostgreSQL). `due_date`
    names the column (`invoice__due_date` from a payment). No due date is over 90."""

    def days_before(n):
        try:
            return as_of - timedelta(days=n)
        except OverflowError:  # as_of in year 1: nothing can be that far past due
            return date.min

    def due(lookup, day):
        return Q(**{f"{due_date}__{lookup}": day})

    edges = [as_of, days_before(30), days_before(60), days_before(90)]
    filters = {"current": due("gte", as_of)}
    for bucket, newest, oldest in zip(BUCKETS[1:4], edges[:-1], edges[1:], strict=True):
        filters[bucket] = due("gte", oldest) & due("lt", newest)
    filters["over_90"] = due("lt", edges[-1]) | Q(**{f"{due_date}__isnull": True})
    return filters


def aging(organization, *, as_of, convert_to=None):
    """The ledger as it stood at `as_of`: booked invoices issued by then, less every
    payment, refund and reversal received by then (so later payments do not count).

    What an invoice owed at `as_of` is its balance due now plus what it received after
    `as_of`: `balance_due` is `total` less all its payment rows (every payment command
    keeps it so, `verify_ledger` checks it). One query, a UNION ALL of two GROUP BYs by
    (currency, customer[, issue date when converting]) with one filtered sum per bucket:
    the invoices' balances (one pass over the book, no per-invoice subquery, a few
    thousand groups) and the payments received after `as_of` (few for a recent date: the
    (organization, received_on) index finds them). The halves are added up here; groups
    owing 0 and customers owing nothing in total are left out.
    """
    group = ["currency", "customer_id"]
    if convert_to:
        group.append("issue_date")
    balances = (
        Invoice.objects.filter(
            organization=organization, status__in=BOOKED_STATUSES, issue_date__lte=as_of
        )
        .values(*group)
        # The name is read per group, not grouped by: grouping by a joined column makes
        # PostgreSQL expect a group per invoice and sort the whole book (bench/README.md).
        .annotate(
            customer_name=Max("customer__name"),
            **{
                bucket: money_sum("balance_due", filter=condition)
                for bucket, condition in bucket_filters(as_of).items()
            },
        )
        .order_by()
    )
    # The same columns in the same order, read from each payment's invoice (the union's
    # rows carry the first half's names).
    received_later = (
        Payment.objects.filter(
            organization=organization,
            received_on__gt=as_of,
            invoice__status__in=BOOKED_STATUSES,
            invoice__issue_date__lte=as_of,
        )
        .values(*(f"invoice__{column}" for column in group))
        .annotate(
            invoice_customer_name=Max("invoice__customer__name"),
            **{
                bucket: money_sum("amount", filter=condition)
                for bucket, condition in bucket_filters(as_of, "invoice__due_date").items()
            },
        )
        .order_by()
    )
    owed = {}
    for row in balances.union(received_later, all=True):
        key = tuple(row[column] for column in group)
        entry = owed.setdefault(key, {"customer_name": row["customer_name"]})
        for bucket in BUCKETS:
            entry[bucket] = entry.get(bucket, ZERO) + row[bucket]
    rows = [
        {**dict(zip(group, key, strict=True)), **entry}
        for key, entry in owed.items()
        if any(entry[bucket] for bucket in BUCKETS)
    ]
    converter = Converter(organization, convert_to, rows, date_key="issue_date")
    by_currency = defaultdict(dict)  # currency -> customer id -> row being built
    for row in rows:
        customers = by_currency[converter.currency_of(row)]
        entry = customers.setdefault(
            row["customer_id"],
            {"name": row["customer_name"], **{bucket: ZERO for bucket in BUCKETS}},
        )
        for bucket in BUCKETS:
            entry[bucket] += converter.amount(row, bucket)
    currencies = []
    for currency, customers in sorted(by_currency.items()):
        owing = []
        for customer_id, entry in customers.items():
            # Round each bucket first so the customer's total and the report totals are
            # exactly the sums of the figures shown (conversion leaves extra digits).
            buckets = {bucket: quantize(entry[bucket], currency) for bucket in BUCKETS}
            total = sum(buckets.values(), ZERO)
            if total > 0:
                owing.append((entry["name"], customer_id, {**buckets, "total": total}))
        if not owing:
            continue
        owing.sort()
        totals = {column: sum((row[column] for *_, row in owing), ZERO) for column in COLUMNS}
        currencies.append(
            {
                "currency": currency,
                "customers": [
                    {
                        "customer": customer_id,
                        "customer_name": name,
                        **{column: money(row[column], currency) for column in COLUMNS},
                    }
                    for name, customer_id, row in owing
                ],
                "totals": {column: money(totals[column], currency) for column in COLUMNS},
            }
        )
    return {"as_of": as_of.isoformat(), "currencies": currencies}
