"""GET reports/dashboard/: money in, money out and the net, by category and by month, and
the latest money movements (spec 19).

`income` is spec 9's cash (`payments.cash`): customer payment rows (payments +, refunds and
reversals -, credit applied excluded) received in the period and the customer-credit
entries that are cash (overpayments and receipts' unallocated rest +, credit refunds -).
`expenses` are bill payments (their reversals -) paid in the period plus expenses dated in
it. Without `convert_to` only rows in `currency` count; with it,
every currency is converted at the rate of each row's own date.

A constant number of queries whatever the volume: four grouped sums (payments, credit
entries, bill payments, expenses by category), four "latest ten" reads, and the rates when
converting.
"""

from collections import defaultdict
from datetime import date

from django.db.models import F
from django.db.models.functions import TruncMonth

from bills.models import BillPayment
from core.money import ZERO, format_plain, minor_units, quantize
from expenses.models import Expense
from payments.cash import cash_sources
from reports.services.common import Converter, money, money_sum

RECENT = 10


def default_period(today):
    """Twelve months up to today: from the first day of the month eleven months back."""
    month = today.year * 12 + today.month - 1 - 11
    return date(month // 12, month % 12 + 1, 1), today


# The money-moving rows each figure sums, with the date field that places them in a period.
def income_sources():
    return cash_sources()


def expense_sources():
    return [(BillPayment.objects.all(), "paid_on"), (Expense.objects.all(), "date")]


def in_period(queryset, organization, field, date_from, date_to):
    return queryset.filter(
        organization=organization, **{f"{field}__gte": date_from, f"{field}__lte": date_to}
    )


def totals_by_currency(organization, *, date_from, date_to):
    """Income, expenses and net of each currency over the period, as `dashboard()` figures
    them without `convert_to`, for every currency at once: three grouped sums, so the
    admin dashboard shows them all at a constant cost. Sorted by currency."""
    sums = defaultdict(lambda: {"income": ZERO, "expenses": ZERO})
    for figure, sources in (("income", income_sources()), ("expenses", expense_sources())):
        for source, field in sources:
            rows = (
                in_period(source, organization, field, date_from, date_to)
                .values("currency")
                .annotate(amount=money_sum("amount"))
                .order_by()
            )
            for row in rows:
                sums[row["currency"]][figure] += row["amount"]
    totals = []
    for currency in sorted(sums):
        income = quantize(sums[currency]["income"], currency)
        expenses = quantize(sums[currency]["expenses"], currency)
        totals.append(
            {"currency": currency, "income": income, "expenses": expenses, "net": income - expenses}
        )
    return totals


def dashboard(organization, *, currency, date_from, date_to, convert_to=None):
    target = convert_to or currency

    def scoped(queryset, field):
        queryset = in_period(queryset, organization, field, date_from, date_to)
        return queryset if convert_to else queryset.filter(currency=currency)

    def grouped(queryset, field, *extra):
        day = F(field) if convert_to else TruncMonth(field)
        return list(
            queryset.values("currency", *extra, day=day)
            .annotate(amount=money_sum("amount"))
            .order_by()
        )

    income_rows = [
        row for source, field in income_sources() for row in grouped(scoped(source, field), field)
    ]
    bill_rows = grouped(scoped(BillPayment.objects, "paid_on"), "paid_on")
    expense_rows = grouped(scoped(Expense.objects, "date"), "date", "category_id", "category__name")
    converter = Converter(
        organization, convert_to, [*income_rows, *bill_rows, *expense_rows], date_key="day"
    )
    months = defaultdict(lambda: {"income": ZERO, "expenses": ZERO})
    categories = defaultdict(lambda: ZERO)
    for row in income_rows:
        months[row["day"].strftime("%Y-%m")]["income"] += converter.amount(row, "amount")
    for row in bill_rows:
        amount = converter.amount(row, "amount")
        months[row["day"].strftime("%Y-%m")]["expenses"] += amount
        # Bill payments have no category: they are the entry whose category is null.
        categories[(None, None)] += amount
    for row in expense_rows:
        amount = converter.amount(row, "amount")
        months[row["day"].strftime("%Y-%m")]["expenses"] += amount
        categories[(row["category__name"], row["category_id"])] += amount

    # Rounded per month first, so the totals are exactly the sums of the months shown.
    trend = []
    for period in sorted(months):
        income = quantize(months[period]["income"], target)
        expenses = quantize(months[period]["expenses"], target)
        trend.append((period, income, expenses))
    income = sum((item[1] for item in trend), ZERO)
    expenses = sum((item[2] for item in trend), ZERO)
    by_category = sorted(
        ((quantize(amount, target), name) for (name, _), amount in categories.items()),
        key=lambda item: (-item[0], item[1] or ""),
    )
    return {
        "currency": target,
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "income": money(income, target),
        "expenses": money(expenses, target),
        "net": money(income - expenses, target),
        "by_category": [
            {"category": name, "amount": money(amount, target)} for amount, name in by_category
        ],
        "trend": [
            {
                "period": period,
                "income": money(month_income, target),
                "expenses": money(month_expenses, target),
                "net": money(month_income - month_expenses, target),
            }
            for period, month_income, month_expenses in trend
        ],
        "recent": recent_movements(scoped),
    }


def latest(queryset, field, related):
    return queryset.select_related(related).order_by(f"-{field}", "-created_at", "-id")[:RECENT]


def recent_movements(scoped):
    """The ten latest money movements, in their own currency: money in positive, money out
    negative. Three reads of ten rows each, merged here."""
    movements = []
    (payments, paid_on), (entries, booked_on) = cash_sources()
    for payment in latest(scoped(payments, paid_on), paid_on, "invoice"):
        movements.append(
            (payment.received_on, payment.created_at, payment.kind, payment.amount,
             payment.currency, payment.invoice.minor_unit, payment.invoice.number or "",
             f"invoice:{payment.invoice_id}")
        )  # fmt: skip
    for entry in latest(scoped(entries, booked_on), booked_on, "customer"):
        movements.append(
            (entry.booked_on, entry.created_at, f"credit_{entry.kind}", entry.amount,
             entry.currency, minor_units(entry.currency), entry.customer.name,
             f"customer:{entry.customer_id}")
        )  # fmt: skip
    for row in latest(scoped(BillPayment.objects, "paid_on"), "paid_on", "bill__vendor"):
        movements.append(
            (row.paid_on, row.created_at, f"bill_{row.kind}", -row.amount, row.currency,
             row.bill.minor_unit, f"{row.bill.vendor.name} {row.bill.number}",
             f"bill:{row.bill_id}")
        )  # fmt: skip
    for expense in latest(scoped(Expense.objects, "date"), "date", "category"):
        movements.append(
            (expense.date, expense.created_at, "expense", -expense.amount, expense.currency,
             expense.minor_unit, expense.description or expense.category.name,
             f"expense:{expense.pk}")
        )  # fmt: skip
    movements.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [
        {
            "date": day.isoformat(),
            "type": kind,
            "amount": format_plain(amount, unit),
            "currency": currency,
            "description": description,
            "source": source,
        }
        for day, _, kind, amount, currency, unit, description, source in movements[:RECENT]
    ]
