"""Money as the back office shows it: the currency's symbol and minor-unit digits, in the
organization's locale (spec 17). The PDF's formatter is the one place that knows how."""

from decimal import Decimal

from django.utils.html import format_html

from core.money import minor_units
from invoices.pdf import LocaleFormatter


def money_text(amount, currency: str, *, locale: str, minor_unit: int | None = None) -> str:
    """`amount` (Decimal or money string) as e.g. "$1,403.50"; a document passes the minor
    unit it stored, anything else uses ISO 4217's."""
    if minor_unit is None:
        minor_unit = minor_units(currency)
    return LocaleFormatter(locale, currency, minor_unit).money(Decimal(amount))


def money_cell(amount, currency: str, *, locale: str, minor_unit: int | None = None):
    """For list columns and tables: right-aligned, never wrapped."""
    text = money_text(amount, currency, locale=locale, minor_unit=minor_unit)
    return format_html('<span class="money">{}</span>', text)
