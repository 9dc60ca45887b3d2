"""The invoice list's read path: rows as tuples, rendered by hand into the serializer's JSON.

`InvoiceSerializer` builds a model instance per invoice and per line, then walks some 35
field objects for each (get_attribute, to_representation, money lookups): most of a list
request's CPU. The list only reads, so it fetches the columns it shows with `values_list`
and renders them here with the very formatting functions the fields use. The write
endpoints, the detail and the exports keep the serializer.

`invoices/tests/test_listing.py` holds the two to one output for every invoice state, so a
field added to the serializer and not here (or rendered differently) fails there.
"""

from datetime import date, datetime
from itertools import groupby

from django.utils import timezone

from core.compiled_query import CompiledQuery
from core.joined_read import ValuesIn
from core.money import MONEY_STEP, plain_formatter
from core.rendering import date_text, datetime_text
from invoices.models import Invoice, InvoiceLine
from invoices.payloads import LINE_DECIMALS, LINE_MONEY, LINE_TAX
from invoices.tax import tax_breakdown

# (JSON key, column) in the serializer's field order; `lines` goes after `notes`.
INVOICE_HEAD = (
    ("id", "id"),
    ("number", "number"),
    ("status", "status"),
    ("customer", "customer_id"),
    ("customer_name", "customer__name"),
    ("currency", "currency"),
    ("issue_date", "issue_date"),
    ("due_date", "due_date"),
    ("reference", "reference"),
    ("notes", "notes"),
)
INVOICE_MONEY = (
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "amount_paid",
    "balance_due",
    "credited_total",
    "written_off_total",
)
INVOICE_TAIL = (
    ("written_off_on", "written_off_on"),
    ("is_overdue", "is_overdue"),
    ("recurring_invoice", "recurring_invoice"),
    ("version", "version"),
    ("sent_at", "sent_at"),
    ("paid_at", "paid_at"),
    ("voided_at", "voided_at"),
    ("void_reason", "void_reason"),
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
)
INVOICE_COLUMNS = (
    *(column for _, column in INVOICE_HEAD),
    *INVOICE_MONEY,
    *(column for _, column in INVOICE_TAIL),
    "minor_unit",
)
# Line quantities, prices and percentages (DRF's DecimalField with 4 decimal places), then
# the line's money: the same fields the outbox's payloads render (invoices/payloads.py).
LINE_COLUMNS = ("invoice_id", "id", "description", *LINE_DECIMALS, *LINE_TAX, *LINE_MONEY)
# A page's lines, in the order the serializer lists them: one statement built once per
# database and page size, not by the ORM on every request.
PAGE_LINES = ValuesIn(
    InvoiceLine, key="invoice", columns=LINE_COLUMNS, order=("invoice", "position", "id")
)
# Their stored step (percentages have the money shape's decimal places too).
FOUR_PLACES = MONEY_STEP


def invoice_rows(queryset):
    """The list's filtered, ordered invoices as tuples of `INVOICE_COLUMNS` (for paging)."""
    return queryset.select_related(None).prefetch_related(None).values_list(*INVOICE_COLUMNS)


def organization_invoices(organization, today):
    """The list's invoices before any filter: the organization's, `is_overdue` on `today`
    (what `InvoiceViewSet.get_queryset` reads, without what the serializer would prefetch)."""
    return Invoice.objects.filter(organization=organization).with_is_overdue(today)


ORGANIZATION = Invoice._meta.get_field("organization")
# The list without a filter parameter, most of its requests: the page and its count by
# statements the ORM compiled once (core.compiled_query) rather than on every request.
# `test_listing` holds them to what the ORM compiles for the view's queryset.
UNFILTERED_PAGE = CompiledQuery(
    Invoice,
    lambda organization, today: invoice_rows(organization_invoices(organization, today)),
    organization=ORGANIZATION,
    today=Invoice._meta.get_field("due_date"),
)
UNFILTERED_COUNT = CompiledQuery(
    Invoice,
    lambda organization: (
        Invoice.objects.filter(organization=organization).order_by().values_list("pk")
    ),
    organization=ORGANIZATION,
)


class UnfilteredRows:
    """The organization's invoices as `invoice_rows`, for the paginator: counted and cut
    into a page by `UNFILTERED_COUNT` and `UNFILTERED_PAGE`."""

    ordered = True

    def __init__(self, organization, today):
        self.organization, self.today = organization.pk, today

    def count(self):
        return UNFILTERED_COUNT.count(organization=self.organization)

    def __len__(self):
        return self.count()

    def __getitem__(self, page):
        # The paginator asks for one slice, its page.
        return UNFILTERED_PAGE.rows(
            limit=page.stop - page.start,
            offset=page.start,
            organization=self.organization,
            today=self.today,
        )


class CountedRows:
    """`invoice_rows(queryset)` for the paginator, counted on `queryset` itself: the same
    invoices without the customer join the rows' `customer__name` adds (an invoice always
    has its customer), so the pagination `COUNT` reads the invoices' index alone."""

    def __init__(self, queryset):
        self.counted = queryset.select_related(None).prefetch_related(None)
        self.rows = invoice_rows(queryset)
        self.ordered = self.rows.ordered

    def count(self):
        return self.counted.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        return self.rows[index]


def render_invoices(rows):
    """The serializer's JSON objects for a page of `invoice_rows`, lines in one query."""
    rows = list(rows)
    by_invoice = {
        invoice_id: list(group)
        for invoice_id, group in groupby(
            PAGE_LINES.rows(row[0] for row in rows), key=lambda line: line[0]
        )
    }
    # Looked up once per page: DRF's DateTimeField renders in the current time zone.
    zone = timezone.get_current_timezone()
    return [render_invoice(row, by_invoice.get(row[0], ()), zone) for row in rows]


HEAD_END = len(INVOICE_HEAD)
MONEY_END = HEAD_END + len(INVOICE_MONEY)


def render_invoice(row, lines, zone):
    money = plain_formatter(row[-1])  # the invoice's stored minor unit
    data = {key: row[index] for index, (key, _) in enumerate(INVOICE_HEAD)}
    data["issue_date"] = date_text(data["issue_date"])
    data["due_date"] = date_text(data["due_date"])
    data["lines"] = [render_line(line, money) for line in lines]
    for key, value in zip(INVOICE_MONEY, row[HEAD_END:MONEY_END], strict=True):
        data[key] = money(value)
    data["tax_breakdown"] = tax_breakdown(
        [dict(zip(LINE_COLUMNS, line, strict=True)) for line in lines], row[-1]
    )
    for (key, _), value in zip(INVOICE_TAIL, row[MONEY_END:-1], strict=True):
        if isinstance(value, datetime):
            value = datetime_text(value, zone)
        elif isinstance(value, date):
            value = value.isoformat()
        data[key] = value
    return data


def render_line(line, money):
    _, line_id, description, *figures = line
    taxes_at = len(LINE_DECIMALS)
    money_at = taxes_at + len(LINE_TAX)
    decimals, taxes, amounts = figures[:taxes_at], figures[taxes_at:money_at], figures[money_at:]
    data = {"id": line_id, "description": description}
    for key, value in zip(LINE_DECIMALS, decimals, strict=True):
        data[key] = f"{value.quantize(FOUR_PLACES):f}"
    data.update(zip(LINE_TAX, taxes, strict=True))
    for key, value in zip(LINE_MONEY, amounts, strict=True):
        data[key] = money(value)
    return data
