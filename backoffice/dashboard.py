"""The admin's index page: one section per organization of the staff user (spec 17).

Every figure comes from the report services the API's `reports/` endpoints use
(`summary`, `aging`, `revenue`, and `dashboard`'s totals for this month's income,
expenses and net), read like them (`report_reads`), so the dashboard and
the API never disagree. Figures are per organization and currency: money of two
organizations, or in two currencies, is never added together.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from accounts.models import Organization
from backoffice.charts import grouped_columns, horizontal_bars
from backoffice.money import money_text
from core.db_router import report_reads
from fintrack.admin import organization_ids
from payments.models import Payment
from reports.services.aging import BUCKETS, aging
from reports.services.dashboard import totals_by_currency
from reports.services.revenue import revenue
from reports.services.summary import summary

MONTHS = 12
TOP_CUSTOMERS = 5
LATEST_PAYMENTS = 8
BUCKET_LABELS = {
    "current": "Not due",
    "1_30": "1-30 days",
    "31_60": "31-60 days",
    "61_90": "61-90 days",
    "over_90": "Over 90",
}


@dataclass
class CurrencyPanel:
    currency: str
    outstanding: str = ""
    overdue_count: int = 0
    overdue_amount: str = ""
    collected_this_month: str = ""
    income_this_month: str = ""
    expenses_this_month: str = ""
    net_this_month: str = ""
    overdue_url: str = ""
    outstanding_url: str = ""
    aging_chart: str = ""
    revenue_chart: str = ""
    overdue_customers: list = field(default_factory=list)


@dataclass
class OrganizationSection:
    organization: Organization
    currencies: list
    latest_payments: list


def visible_organizations(request):
    """The staff user's organizations (any role); a superuser's are all of them."""
    organizations = Organization.objects.order_by("name", "pk")
    if request.user.is_superuser:
        return organizations
    return organizations.filter(pk__in=organization_ids(request))


def months_back(today: date, count: int) -> list[str]:
    """The last `count` months up to `today`'s, oldest first, as "YYYY-MM"."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def invoice_list_url(organization, currency, **filters):
    query = {"organization__id__exact": organization.pk, "currency": currency, **filters}
    return f"{reverse('admin:invoices_invoice_changelist')}?{urlencode(query)}"


def build_section(organization) -> OrganizationSection:
    today = organization.today()
    months = months_back(today, MONTHS)
    first_month = date.fromisoformat(f"{months[0]}-01")
    with report_reads():
        totals = summary(organization)
        buckets = aging(organization, as_of=today)
        monthly = revenue(organization, date_from=first_month, date_to=today)
        cash = totals_by_currency(organization, date_from=today.replace(day=1), date_to=today)
    locale = organization.locale

    def money(amount, currency):
        return money_text(amount, currency, locale=locale)

    panels = {}
    for entry in totals["currencies"]:
        if not any(entry["counts"][status] for status in ("sent", "partially_paid", "paid")):
            continue  # drafts and void invoices only: no receivable figure in it
        currency = entry["currency"]
        panels[currency] = CurrencyPanel(
            currency=currency,
            outstanding=money(entry["outstanding"], currency),
            overdue_count=entry["overdue_count"],
            overdue_amount=money(entry["overdue_amount"], currency),
            overdue_url=invoice_list_url(organization, currency, overdue="yes"),
            outstanding_url=invoice_list_url(organization, currency),
        )
    for entry in monthly["currencies"]:
        panels.setdefault(entry["currency"], CurrencyPanel(currency=entry["currency"]))
    for entry in cash:
        panels.setdefault(entry["currency"], CurrencyPanel(currency=entry["currency"]))
    cash = {entry["currency"]: entry for entry in cash}
    for currency, panel in panels.items():
        zero = money(Decimal(0), currency)
        month_cash = cash.get(currency, {})
        panel.income_this_month = money(month_cash.get("income", 0), currency)
        panel.expenses_this_month = money(month_cash.get("expenses", 0), currency)
        panel.net_this_month = money(month_cash.get("net", 0), currency)
        panel.outstanding = panel.outstanding or zero
        panel.overdue_amount = panel.overdue_amount or zero
        by_month = {
            period["period"]: period
            for entry in monthly["currencies"]
            if entry["currency"] == currency
            for period in entry["periods"]
        }
        this_month = by_month.get(months[-1])
        panel.collected_this_month = money(this_month["collected"] if this_month else 0, currency)
        panel.revenue_chart = grouped_columns(
            [
                (
                    date.fromisoformat(f"{month}-01").strftime("%b"),
                    {
                        name: (
                            Decimal(by_month[month][name]) if month in by_month else Decimal(0),
                            money(by_month[month][name] if month in by_month else 0, currency),
                        )
                        for name in ("invoiced", "collected")
                    },
                )
                for month in months
            ],
            [
                ("invoiced", "Invoiced", "bar-invoiced"),
                ("collected", "Collected", "bar-collected"),
            ],
            title=f"Invoiced and collected, last {MONTHS} months ({currency})",
        )
    for entry in buckets["currencies"]:
        panel = panels.setdefault(entry["currency"], CurrencyPanel(currency=entry["currency"]))
        currency = entry["currency"]
        panel.aging_chart = horizontal_bars(
            [
                (
                    BUCKET_LABELS[bucket],
                    Decimal(entry["totals"][bucket]),
                    money(entry["totals"][bucket], currency),
                    "bar-current" if bucket == "current" else None,
                )
                for bucket in BUCKETS
            ],
            title=f"Aging on {today.isoformat()} ({currency})",
        )
        overdue = [
            (sum(Decimal(row[bucket]) for bucket in BUCKETS[1:]), row) for row in entry["customers"]
        ]
        overdue = sorted((pair for pair in overdue if pair[0] > 0), key=lambda p: -p[0])
        panel.overdue_customers = [
            {
                "name": row["customer_name"],
                "url": reverse("admin:customers_customer_change", args=[row["customer"]]),
                "overdue": money(amount, currency),
                "total": money(row["total"], currency),
            }
            for amount, row in overdue[:TOP_CUSTOMERS]
        ]
    payments = (
        Payment.objects.filter(organization=organization)
        .select_related("invoice__customer")
        .order_by("-created_at", "-pk")[:LATEST_PAYMENTS]
    )
    latest = [
        {
            "payment": payment,
            "url": reverse("admin:payments_payment_change", args=[payment.pk]),
            "invoice_url": reverse("admin:invoices_invoice_change", args=[payment.invoice_id]),
            "customer_url": reverse(
                "admin:customers_customer_change", args=[payment.invoice.customer_id]
            ),
            "amount": money_text(
                payment.amount,
                payment.currency,
                locale=locale,
                minor_unit=payment.invoice.minor_unit,
            ),
        }
        for payment in payments
    ]
    return OrganizationSection(
        organization=organization,
        currencies=[panels[currency] for currency in sorted(panels)],
        latest_payments=latest,
    )


def dashboard(request) -> list[OrganizationSection]:
    return [build_section(organization) for organization in visible_organizations(request)]
