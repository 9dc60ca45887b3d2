"""Money: its storage shape, ISO 4217 minor units, the one number grammar, half-up rounding.

Amounts are `Decimal` everywhere; floats never enter (the JSON parser reads a number from
the digits the client wrote, see `api.parsers`); the API's money fields are in `api.fields`.
"""

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import iso4217
from babel.numbers import get_currency_precision, list_currencies
from django.core.exceptions import ValidationError

from core.errors import DomainError

ZERO = Decimal("0")

# The one storage shape of money, written here only: every amount column, and every field
# or query expression that must hold what a column holds, takes these numbers. Amounts have
# 15 integer digits and 4 decimal places (enough for any minor unit plus exact line
# arithmetic); percentages (discounts, tax rates, 0-100) 3 integer digits and 4 places.
# Exchange rates have a shape of their own (`rates.models.RATE_DIGITS`).
MONEY_DIGITS = 19
MONEY_PLACES = 4
PERCENT_DIGITS = 7
PERCENT_PLACES = 4
MONEY_SHAPE = {"max_digits": MONEY_DIGITS, "decimal_places": MONEY_PLACES}
PERCENT_SHAPE = {"max_digits": PERCENT_DIGITS, "decimal_places": PERCENT_PLACES}
# Integer digits a stored amount can have (15).
MONEY_INTEGER_DIGITS = MONEY_DIGITS - MONEY_PLACES
# The smallest step a stored amount has (0.0001).
MONEY_STEP = Decimal(1).scaleb(-MONEY_PLACES)

# ISO 4217's current table (the pinned `iso4217` package), code -> minor unit. Codes the
# table lists without a minor unit (gold XAU, the SDR XDR, test XTS, no currency XXX...)
# are units of account, not money a document can be in.
ISO_MINOR_UNITS = {
    currency.code: currency.exponent
    for currency in iso4217.Currency
    if currency.exponent is not None
}
ISO_CODES = frozenset(currency.code for currency in iso4217.Currency)
# What a new customer, invoice or organization may be in.
CURRENCIES = frozenset(ISO_MINOR_UNITS)
# Exchange rates also carry codes ISO has withdrawn (DEM, FRF, BGN...) that CLDR still
# lists, because historic rate files contain them; so may any filter that reads stored rows.
KNOWN_CURRENCIES = CURRENCIES | (frozenset(list_currencies()) - ISO_CODES)
CURRENCY_CHOICES = sorted((code, code) for code in KNOWN_CURRENCIES)

# The one grammar of a number the API reads (spec 3): ASCII digits and an optional
# fraction. Python's Decimal() also takes "1_000", full-width or Arabic-Indic digits,
# " 5", "+5" and "1e3".
NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# The same grammar as the schema states it (`api.schema.MoneyFieldExtension`): what
# MoneyField reads, and, with an optional minus (refunds, reversals), what it writes.
NUMBER_PATTERN = f"^{NUMBER.pattern}$"
SIGNED_NUMBER_PATTERN = f"^-?{NUMBER.pattern}$"


class UnsupportedCurrency(DomainError):
    code = "unsupported_currency"
    default_message = "New documents take only active ISO 4217 currencies with a minor unit."

    def __init__(self, message=None, *, code=None, attr="currency"):
        super().__init__(message, code=code, attr=attr)


def is_currency(code: str) -> bool:
    """Whether a new document may be in `code`: active in ISO 4217, with a minor unit."""
    return code in CURRENCIES


def validate_currency(code: str) -> None:
    if not is_currency(code):
        raise ValidationError(
            f"{code!r} is not an active ISO 4217 currency with a minor unit.", code="invalid"
        )


def validate_rate_currency(code: str) -> None:
    if code not in KNOWN_CURRENCIES:
        raise ValidationError(f"{code!r} is not an ISO 4217 currency code.", code="invalid")


def document_minor_unit(code: str) -> int:
    """The minor unit a new document in `code` is computed with, stored on the document.

    Raises `UnsupportedCurrency` for a code no new document may be in.
    """
    if not is_currency(code):
        raise UnsupportedCurrency(f"{code!r} is not an active ISO 4217 currency.")
    return ISO_MINOR_UNITS[code]


def minor_units(currency: str) -> int:
    """Digits after the decimal point for `currency` (USD 2, JPY 0, KWD 3, IQD 3).

    A code ISO has withdrawn (on exchange rates, or on documents made before) falls back to
    CLDR's digits, so reading old rows never fails; documents use their stored minor unit.
    """
    if currency in ISO_MINOR_UNITS:
        return ISO_MINOR_UNITS[currency]
    return get_currency_precision(currency)


def digits_of(unit: str | int) -> int:
    """`unit` is a currency code (its minor unit) or a minor unit stored on a document."""
    return unit if isinstance(unit, int) else minor_units(unit)


def exponent(unit: str | int) -> Decimal:
    return _step(digits_of(unit))


# Cached by digits, not by unit: the unit's digits are looked up on every call.
@lru_cache(maxsize=32)
def _step(digits: int) -> Decimal:
    return Decimal(1).scaleb(-digits)


def at_stored_scale(value) -> Decimal:
    """A sum read from the database, at the money columns' scale: exact again where SQLite
    summed decimals in binary floating point (0.003 * 3 - 0.009 is not 0 there)."""
    return Decimal(value).quantize(MONEY_STEP)


def quantize(amount: Decimal, unit: str | int) -> Decimal:
    """Round to the minor unit, half away from zero as invoices expect.

    Python's default context rounds half-even; finance rounds 0.125 to 0.13.
    """
    return Decimal(amount).quantize(exponent(unit), rounding=ROUND_HALF_UP)


def has_excess_digits(amount: Decimal, unit: str | int) -> bool:
    """Non-zero digits beyond the minor unit ("10.0" JPY is fine, "10.5" JPY is not)."""
    return amount != amount.quantize(exponent(unit), rounding=ROUND_HALF_UP)


def format_plain(amount: Decimal, unit: str | int) -> str:
    """The API's money string: exactly the minor unit's digits, no grouping ("1050", "1.500")."""
    return plain_formatter(unit)(amount)


def plain_formatter(unit: str | int):
    """`format_plain` with the unit bound, for the many amounts of one document."""
    return _formatter(digits_of(unit))


@lru_cache(maxsize=32)
def _formatter(digits: int):
    step = _step(digits)

    def format_amount(amount: Decimal) -> str:
        return f"{Decimal(amount).quantize(step, rounding=ROUND_HALF_UP):f}"

    return format_amount


class NotANumber(ValueError):
    """Input outside the number grammar."""


def parse_decimal(value) -> Decimal:
    """The one reading of a number from outside: text matching `NUMBER` (no sign, exponent,
    grouping, spaces or non-ASCII digits), or a number whose text does.

    A JSON number arrives as an `int` or a `Decimal` of the digits the client wrote; a float
    (from Python callers) is read from its shortest repr, never from its binary expansion.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        raise NotANumber("not a number")
    try:
        text = value if isinstance(value, str) else str(value)
    except ValueError:  # an integer too long to print
        raise NotANumber("too many digits") from None
    if not NUMBER.fullmatch(text):
        raise NotANumber(f"{text[:40]!r} is not plain digits with an optional fraction")
    return Decimal(text)
