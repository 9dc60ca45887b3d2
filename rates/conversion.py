"""Rate lookup and conversion for one organization, loaded in a single query.

Lookup rule (spec 10): the latest `effective_date <= date`. For each pair the
organization's own rows win: its latest own rate on or before the date is used even when
a global row is newer, because an organization that prices a pair itself means it. A pair
is tried direct, then inverse (1 / rate), then crossed through EUR (the ECB's base).
A conversion that finds nothing raises `RateUnavailable` (400 `rate_unavailable`).
"""

from bisect import bisect_right
from collections import defaultdict
from decimal import Decimal

from rates.exceptions import RateUnavailable
from rates.models import ExchangeRate

PIVOT = "EUR"
ONE = Decimal(1)


class RateBook:
    """Every rate an organization may use among `currencies` up to `until`, in memory."""

    def __init__(self, rows):
        # (scope, base, quote) -> sorted [(date, rate)]; scope "own" or "global".
        self._series = defaultdict(list)
        for organization_id, base, quote, effective_date, rate in rows:
            scope = "global" if organization_id is None else "own"
            self._series[(scope, base, quote)].append((effective_date, rate))
        for series in self._series.values():
            series.sort()

    @classmethod
    def load(cls, organization, currencies, until):
        """One query: the organization's and the global rates between the currencies
        (and EUR, for crossing) effective on or before `until`."""
        codes = {*currencies, PIVOT}
        rows = (
            ExchangeRate.objects.visible_to(organization)
            .filter(base__in=codes, quote__in=codes, effective_date__lte=until)
            .values_list("organization_id", "base", "quote", "effective_date", "rate")
        )
        return cls(rows)

    def _latest(self, scope, base, quote, on_date):
        series = self._series.get((scope, base, quote), ())
        index = bisect_right(series, (on_date, Decimal("Infinity")))
        return series[index - 1] if index else None

    def _pair(self, base, quote, on_date):
        """Direct or inverse rate of one stored pair; own rows before global ones."""
        for scope in ("own", "global"):
            direct = self._latest(scope, base, quote, on_date)
            inverse = self._latest(scope, quote, base, on_date)
            # Within one scope the more recent of the two directions is the current price.
            if direct and (not inverse or direct[0] >= inverse[0]):
                return direct[1]
            if inverse:
                return ONE / inverse[1]
        return None

    def rate(self, base, quote, on_date):
        """How many `quote` one `base` buys on `on_date`."""
        if base == quote:
            return ONE
        rate = self._pair(base, quote, on_date)
        if rate is not None:
            return rate
        to_pivot = self._pair(base, PIVOT, on_date)
        from_pivot = self._pair(PIVOT, quote, on_date)
        if to_pivot is not None and from_pivot is not None:
            return to_pivot * from_pivot
        raise RateUnavailable(f"No {base}/{quote} exchange rate is in effect on {on_date}.")

    def convert(self, amount, base, quote, on_date):
        """`amount` of `base` in `quote`, unrounded (callers round once, at the end)."""
        if not amount:
            return Decimal(0)
        return amount * self.rate(base, quote, on_date)
