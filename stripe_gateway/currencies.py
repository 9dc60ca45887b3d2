"""Amounts as Stripe writes them: integers in Stripe's own minor units, which are not ISO's.

Stripe documents (https://docs.stripe.com/currencies) which currencies it treats as
zero-decimal and which as three-decimal; every other currency has two decimals in its API.
ISO 4217 differs for several (MGA and UGX have 2 ISO digits but none at Stripe; IQD has 3
ISO digits but 2 at Stripe), so an invoice's stored minor unit is never used here.
"""

from decimal import Decimal

from core.errors import ConflictError

# Stripe's zero-decimal currencies: `amount` is the number of whole units.
ZERO_DECIMAL = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip
# Stripe's three-decimal currencies: `amount` is in thousandths, and a charge's last digit
# must be 0 (Stripe's payment partners settle them to the hundredth).
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# Special case: ISK stays two-decimal in the API but charges must be whole krónur.
WHOLE_UNITS_ONLY = frozenset({"ISK"})


class AmountNotChargeable(ConflictError):
    code = "amount_not_chargeable"
    default_message = "Stripe cannot charge exactly this amount in this currency."


def exponent(currency: str) -> int:
    """The number of decimals of `currency` in Stripe's API amounts."""
    currency = currency.upper()
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def chargeable_step(currency: str) -> int:
    """The smallest multiple of API units a charge in `currency` may be."""
    currency = currency.upper()
    if currency in THREE_DECIMAL:
        return 10
    if currency in WHOLE_UNITS_ONLY:
        return 100
    return 1


def to_stripe(amount: Decimal, currency: str) -> int:
    """`amount` as the integer Stripe charges; `AmountNotChargeable` (409) when Stripe
    cannot charge it exactly (more digits than Stripe's exponent, a three-decimal amount
    not ending in 0, fractional krónur, or nothing to charge)."""
    units = Decimal(amount).scaleb(exponent(currency))
    if units <= 0 or units != units.to_integral_value():
        raise AmountNotChargeable()
    units = int(units)
    if units % chargeable_step(currency):
        raise AmountNotChargeable()
    return units


def from_stripe(units: int, currency: str) -> Decimal:
    """An integer amount from Stripe as a Decimal in the currency's units (exact)."""
    return Decimal(int(units)).scaleb(-exponent(currency))
