"""The API's serializer fields for money, numbers, currencies and dates.

Each reads the one grammar of `core.money` / `core.dates` and turns a refusal into DRF's
per-field 400 with the contract's code; the rules themselves live in the core.
"""

from decimal import Decimal

from rest_framework import serializers

from core.dates import validate_date_in_range
from core.money import (
    CURRENCIES,
    ISO_CODES,
    KNOWN_CURRENCIES,
    MONEY_INTEGER_DIGITS,
    NotANumber,
    digits_of,
    format_plain,
    has_excess_digits,
    parse_decimal,
)


class MoneyField(serializers.Field):
    """Money as a string with exactly the currency's digits.

    On output the digits come from the object: its stored minor unit (`minor_unit_source`,
    for invoices and what belongs to them) or else its currency (`currency_source`, default
    the `currency` attribute). Input follows the one number grammar (else `invalid_amount`);
    with `strict` (the default) non-zero digits beyond the context's `minor_unit` (or its
    `currency`'s) are refused with `too_precise`, never rounded.
    """

    default_error_messages = {
        "invalid_amount": "An amount is plain digits with an optional decimal point (10.50).",
        "not_positive": "Must be greater than {min_value}.",
        "max_digits": (
            f"Amounts may have at most {MONEY_INTEGER_DIGITS} digits before the decimal point."
        ),
        "too_precise": "{currency} amounts have at most {digits} decimal places.",
    }

    def __init__(
        self,
        *,
        currency_source="currency",
        minor_unit_source=None,
        strict=True,
        min_value=None,
        **kwargs,
    ):
        self.currency_source = currency_source
        self.minor_unit_source = minor_unit_source
        self.strict = strict
        self.min_value = min_value
        super().__init__(**kwargs)

    @staticmethod
    def _lookup(instance, path):
        value = instance
        for part in path.split("."):
            value = value[part] if isinstance(value, dict) else getattr(value, part)
        return value

    def currency_for(self, instance) -> str:
        return self._lookup(instance, self.currency_source)

    def get_attribute(self, instance):
        if self.minor_unit_source:
            self._rendering_unit = self._lookup(instance, self.minor_unit_source)
        else:
            self._rendering_unit = self.currency_for(instance)
        return super().get_attribute(instance)

    def to_representation(self, value):
        return format_plain(Decimal(value), self._rendering_unit)

    def to_internal_value(self, data):
        try:
            amount = parse_decimal(data)
        except NotANumber:
            self.fail("invalid_amount")
        if amount.adjusted() >= MONEY_INTEGER_DIGITS:
            self.fail("max_digits")
        if self.min_value is not None and amount <= self.min_value:
            # A code of the amount's own: zero is as unusable as "-1" (spec 6: amount > 0).
            raise serializers.ValidationError(
                self.error_messages["not_positive"].format(min_value=self.min_value),
                code="invalid_amount",
            )
        currency = self.context.get("currency")
        unit = self.context.get("minor_unit", currency)
        if self.strict and unit is not None and has_excess_digits(amount, unit):
            self.fail("too_precise", currency=currency or "These", digits=digits_of(unit))
        return amount


def document_money(prefix=""):
    """A read-only figure of a document (invoice, bill, credit note, their lines), rendered
    with the minor unit the document stored; `prefix` reaches the document from a line."""
    return MoneyField(
        currency_source=f"{prefix}currency",
        minor_unit_source=f"{prefix}minor_unit",
        read_only=True,
    )


class DecimalField(serializers.DecimalField):
    """DRF's DecimalField reading only the one number grammar (line quantities, prices,
    percentages, exchange rates); DRF then checks digits, places and bounds."""

    def to_internal_value(self, data):
        try:
            value = parse_decimal(data)
        except NotANumber:
            self.fail("invalid")
        return self.quantize(self.validate_precision(value))


class CurrencyField(serializers.CharField):
    """An ISO 4217 code, checked only when it is set or changed.

    By default a code a new document may be in (`is_currency`); with `withdrawn=True` also
    a code ISO has withdrawn that CLDR still lists (exchange rates, report parameters).
    A value equal to the one the instance already has is taken as is: a document whose
    currency ISO withdrew later stays editable.
    """

    default_error_messages = {
        "unknown": "{code!r} is not an ISO 4217 currency code.",
        "unsupported_currency": "{code!r} is not an active ISO 4217 currency with a minor unit.",
    }

    def __init__(self, *, withdrawn=False, **kwargs):
        kwargs.setdefault("max_length", 3)
        self.accepted = KNOWN_CURRENCIES if withdrawn else CURRENCIES
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data).upper()
        instance = getattr(self.parent, "instance", None)
        if instance is not None and code == getattr(instance, self.source, None):
            return code
        if code not in KNOWN_CURRENCIES and code not in ISO_CODES:
            self.fail("unknown", code=code)
        if code not in self.accepted:
            self.fail("unsupported_currency", code=code)
        return code


class DateField(serializers.DateField):
    """An ISO date within the accepted range."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_date_in_range)
