"""GET reports/aging/: what each customer owed at `as_of`, by days past due (spec 9)."""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import F, Max, Q

from core.money import ZERO, quantize
from credits.models import CreditNote
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
    """The ledger as it stood at `as_of`: booked invoices issued by then and not written
    off by then, less every payment, refund and reversal received by then and what credit
    notes issued by then settled (spec 14: credit notes count on their issue date; their
    refunds are payment rows), so later ones do not count.

    What an invoice owed at `as_of` is what it claims now (`balance_due` plus
    `written_off_total`: `total` less all its payment rows and credit notes, as
    `settled_figures` keeps it and `verify_ledger` checks) plus what payments and credit
    notes settled after `as_of`. One query, a UNION ALL of three GROUP BYs by (currency,
    customer[, issue date when converting]) with one filtered sum per bucket: the invoices'
    claims (one pass over the book, no per-invoice subquery, a few thousand groups), the
    payments received and the credit notes issued after `as_of` (few for a recent date:
    their (organization, date) indexes find them). The parts are added up here; groups
    owing 0 and customers owing nothing in total are left out.
    """
    group = ["currency", "customer_id"]
    if convert_to:
        group.append("issue_date")

    def still_owed(invoice=""):
        """Booked, issued by `as_of`, and not written off by then: a written-off invoice
        leaves aging from its write-off's date."""
        return Q(
            **{f"{invoice}status__in": BOOKED_STATUSES, f"{invoice}issue_date__lte": as_of}
        ) & (
            Q(**{f"{invoice}written_off_on__isnull": True})
            | Q(**{f"{invoice}written_off_on__gt": as_of})
        )

    balances = (
        Invoice.objects.filter(still_owed(), organization=organization)
        .values(*group)
        # The name is read per group, not grouped by: grouping by a joined column makes
        # PostgreSQL expect a group per invoice and sort the whole book (bench/README.md).
        .annotate(
            customer_name=Max("customer__name"),
            **{
                bucket: money_sum(F("balance_due") + F("written_off_total"), filter=condition)
                for bucket, condition in bucket_filters(as_of).items()
            },
        )
        .order_by()
    )

    # The same columns in the same order, read from each payment's invoice (the union's
    # rows carry the first half's names).
    def settled_later(rows, amount):
        return (
            rows.filter(still_owed("invoice__"), organization=organization)
            .values(*(f"invoice__{column}" for column in group))
            .annotate(
                invoice_customer_name=Max("invoice__customer__name"),
                **{
                    bucket: money_sum(amount, filter=condition)
                    for bucket, condition in bucket_filters(as_of, "invoice__due_date").items()
                },
            )
            .order_by()
        )

    received_later = settled_later(Payment.objects.filter(received_on__gt=as_of), "amount")
    credited_later = settled_later(
        CreditNote.objects.filter(issued_on__gt=as_of),
        F("credited_to_invoice") + F("refunded"),
    )
    owed = {}
    for row in balances.union(received_later, credited_later, all=True):
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
    return {
        "as_of": as_of.isoformat(),
        "currencies": aged_by_party(rows, converter, "customer"),
    }


def aged_by_party(rows, converter, party):
    """Pivot grouped rows (currency, `<party>_id`, `<party>_name`, one column per bucket)
    into the aging's per-currency shape, keyed by `party` (`customer`, or `vendor` for the
    payables). Parties owing nothing in total are left out."""
    by_currency = defaultdict(dict)  # currency -> party id -> row being built
    for row in rows:
        parties = by_currency[converter.currency_of(row)]
        entry = parties.setdefault(
            row[f"{party}_id"],
            {"name": row[f"{party}_name"], **{bucket: ZERO for bucket in BUCKETS}},
        )
        for bucket in BUCKETS:
            entry[bucket] += converter.amount(row, bucket)
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
