"""Money: ISO 4217 minor units from Babel, half-up rounding, and the API's money field.

Amounts are `Decimal` everywhere; floats never enter (a JSON number is parsed from its
text, not through a binary float).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision, list_currencies
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

ZERO = Decimal("0")
# Codes Babel knows that are not real money: test, no-currency and precious-metal units.
NON_MONEY_CODES = frozenset({"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XSU", "XUA"})
CURRENCIES = frozenset(code for code in list_currencies() if code not in NON_MONEY_CODES)
CURRENCY_CHOICES = sorted((code, code) for code in CURRENCIES)


def is_currency(code: str) -> bool:
    return code in CURRENCIES


def validate_currency(code: str) -> None:
    if not is_currency(code):
        raise ValidationError(f"{code!r} is not an ISO 4217 currency code.", code="invalid")


def minor_units(currency: str) -> int:
    """Digits after the decimal point for `currency` (USD 2, JPY 0, KWD 3)."""
    return get_currency_precision(currency)


def exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half away from zero as invoices expect.

    Python's default context rounds half-even; finance rounds 0.125 to 0.13.
    """
    return Decimal(amount).quantize(exponent(currency), rounding=ROUND_HALF_UP)


def has_excess_digits(amount: Decimal, currency: str) -> bool:
    return amount != amount.quantize(exponent(currency), rounding=ROUND_HALF_UP)


def format_plain(amount: Decimal, currency: str) -> str:
    """The API's money string: exactly the currency's digits, no grouping ("1050", "1.500")."""
    return f"{quantize(amount, currency):f}"


@extend_schema_field({"type": "string", "format": "decimal", "example": "10.50"})
class MoneyField(serializers.Field):
    """Money as a string with exactly the currency's digits.

    The currency comes from the object being rendered (`currency_source`, default the
    `currency` attribute) or, on input, from the serializer's context `currency`. Input
    accepts a string or a number; with `strict` (the default) more digits than the currency
    allows are refused, never rounded.
    """

    default_error_messages = {
        "invalid": "A valid amount is required.",
        "max_digits": "Amounts may have at most 15 digits before the decimal point.",
        "too_precise": "{currency} amounts have at most {digits} decimal places.",
        "min_value": "Must be greater than {min_value}.",
    }

    def __init__(self, *, currency_source="currency", strict=True, min_value=None, **kwargs):
        self.currency_source = currency_source
        self.strict = strict
        self.min_value = min_value
        super().__init__(**kwargs)

    def currency_for(self, instance) -> str:
        value = instance
        for part in self.currency_source.split("."):
            value = value[part] if isinstance(value, dict) else getattr(value, part)
        return value

    def get_attribute(self, instance):
        self._rendering_currency = self.currency_for(instance)
        return super().get_attribute(instance)

    def to_representation(self, value):
        return format_plain(Decimal(value), self._rendering_currency)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float, Decimal)):
            self.fail("invalid")
        try:
            # str() of a JSON number keeps the digits the client wrote.
            amount = Decimal(str(data).strip())
        except InvalidOperation:
            self.fail("invalid")
        if not amount.is_finite():
            self.fail("invalid")
        if amount.adjusted() >= 15:
            self.fail("max_digits")
        if self.min_value is not None and amount <= self.min_value:
            self.fail("min_value", min_value=self.min_value)
        currency = self.context.get("currency")
        if self.strict and currency and has_excess_digits(amount, currency):
            self.fail("too_precise", currency=currency, digits=minor_units(currency))
        return amount


class CurrencyField(serializers.CharField):
    """An ISO 4217 code; unknown codes are a 400."""

    default_error_messages = {"unknown": "{code!r} is not an ISO 4217 currency code."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data).upper()
        if not is_currency(code):
            self.fail("unknown", code=code)
        return code
