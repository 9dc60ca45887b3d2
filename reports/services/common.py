"""What every report shares: which invoices count, and converting grouped sums."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from core.money import MONEY_SHAPE, ZERO, format_plain, quantize
from rates.conversion import RateBook

MONEY_OUTPUT = DecimalField(**MONEY_SHAPE)


def money_sum(expression, **kwargs):
    """SUM that is 0, not NULL, over no rows."""
    return Coalesce(Sum(expression, **kwargs), Value(ZERO), output_field=MONEY_OUTPUT)


def zero_money():
    return Value(ZERO, output_field=MONEY_OUTPUT)


class Converter:
    """Sums grouped rows into their own currency, or into `convert_to` at each row's date.

    Rows come from one GROUP BY (currency[, date]); amounts are converted unrounded and
    the total is rounded once to the target currency (half-up), so the figure does not
    depend on how the rows happened to be grouped.
    """

    def __init__(self, organization, convert_to, rows, *, date_key="day"):
        self.convert_to = convert_to
        self.date_key = date_key
        self.book = None
        dates = [row[date_key] for row in rows if row[date_key] is not None] if convert_to else []
        if dates:
            currencies = {row["currency"] for row in rows} | {convert_to}
            self.book = RateBook.load(organization, currencies, max(dates))

    def currency_of(self, row):
        return self.convert_to or row["currency"]

    def amount(self, row, key):
        value = row[key] or ZERO
        if not self.convert_to or not value:
            return Decimal(value)
        return self.book.convert(value, row["currency"], self.convert_to, row[self.date_key])


def money(amount, currency):
    return format_plain(quantize(amount, currency), currency)


def nested_defaultdict():
    return defaultdict(lambda: defaultdict(lambda: ZERO))
