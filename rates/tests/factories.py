from decimal import Decimal

from rates.models import ExchangeRate


def rate(base, quote, value, effective, organization=None):
    return ExchangeRate.objects.create(
        organization=organization,
        base=base,
        quote=quote,
        rate=Decimal(value),
        effective_date=effective,
        source="test",
    )
