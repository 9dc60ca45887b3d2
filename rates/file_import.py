"""Reading ECB eurofxref XML (daily and history) and `date,base,quote,rate` CSV files,
and storing them as global rates without repeating an unchanged rate.

Storage economy (spec 10): a rate is stored only when it differs from the latest stored
global rate of the same pair on or before its date by at least one unit in the 6th
decimal place, i.e. `abs(new - old) >= 0.000001` on the exact values (no rounding first,
so 1.0856004 -> 1.0856006 is "unchanged" while a slow drift is still stored once it adds
up to 0.000001 against the stored row). A file row for a date that already has a stored
row is a correction when it differs by that much (the row is updated), else unchanged.
So re-importing a file changes nothing.
"""

import csv
import io
import xml.etree.ElementTree as ET
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from core.dates import EARLIEST, LATEST
from core.money import KNOWN_CURRENCIES, NotANumber, parse_decimal
from rates.models import RATE_DIGITS, ExchangeRate

THRESHOLD = Decimal("0.000001")
ECB_NAMESPACE = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
CSV_HEADER = ["date", "base", "quote", "rate"]
MAX_RATE = Decimal(10) ** (RATE_DIGITS["max_digits"] - RATE_DIGITS["decimal_places"])


class RateFileError(ValueError):
    """The file is not a rate file we can read; the message says where and why."""


@dataclass(frozen=True)
class Quote:
    effective_date: date
    base: str
    quote: str
    rate: Decimal


@dataclass
class ImportResult:
    read: int = 0
    added: int = 0
    corrected: int = 0
    unchanged: int = 0


def parse_date(text, where):
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        raise RateFileError(f"{where}: {text!r} is not a YYYY-MM-DD date.") from None
    if not EARLIEST <= day <= LATEST:
        raise RateFileError(f"{where}: {text!r} is outside {EARLIEST} to {LATEST}.")
    return day


def parse_rate(text, where):
    try:
        rate = parse_decimal((text or "").strip())
    except NotANumber:
        raise RateFileError(
            f"{where}: the rate {text!r} must be positive, in plain digits (1.0876)."
        ) from None
    if rate <= 0 or rate >= MAX_RATE:
        raise RateFileError(f"{where}: the rate {text!r} must be positive and below {MAX_RATE}.")
    if rate != rate.quantize(Decimal(1).scaleb(-RATE_DIGITS["decimal_places"])):
        raise RateFileError(f"{where}: the rate {text!r} has more than 10 decimal places.")
    return rate


def parse_quote(day, base, quote, rate, where):
    base, quote = (base or "").strip().upper(), (quote or "").strip().upper()
    for code in (base, quote):
        # Withdrawn codes too: the ECB's history since 1999 has them.
        if code not in KNOWN_CURRENCIES:
            raise RateFileError(f"{where}: {code!r} is not an ISO 4217 currency code.")
    if base == quote:
        raise RateFileError(f"{where}: base and quote are both {base}.")
    return Quote(parse_date(day, where), base, quote, parse_rate(rate, where))


def parse_ecb_xml(content: bytes):
    """<gesmes:Envelope><Cube><Cube time="..."><Cube currency="USD" rate="1.08"/>..."""
    try:
        root = ET.fromstring(content)  # noqa: S314 - expat >= 2.4.1 refuses entity bombs
    except ET.ParseError as error:
        raise RateFileError(f"not well-formed XML: {error}") from None
    days = root.findall(f".//{{{ECB_NAMESPACE}}}Cube[@time]")
    if not days:
        raise RateFileError("no <Cube time=...> element: not an ECB eurofxref file.")
    quotes = []
    for day in days:
        time = day.get("time")
        for cube in day.findall(f"{{{ECB_NAMESPACE}}}Cube"):
            where = f"Cube time={time} currency={cube.get('currency')}"
            quotes.append(parse_quote(time, "EUR", cube.get("currency"), cube.get("rate"), where))
    return quotes


def parse_csv(content: bytes):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RateFileError("the CSV file is not UTF-8 text.") from None
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header != CSV_HEADER:
        raise RateFileError(f"the first line must be {','.join(CSV_HEADER)!r}, not {header!r}.")
    quotes = []
    for line_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(CSV_HEADER):
            raise RateFileError(f"line {line_number}: expected 4 fields, found {len(row)}.")
        quotes.append(parse_quote(*row, where=f"line {line_number}"))
    return quotes


def parse_rate_file(content: bytes):
    """Quotes in the file, whichever format it is (XML starts with '<')."""
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _unique_per_day(parse_ecb_xml(content)), "ECB eurofxref"
    return _unique_per_day(parse_csv(content)), "CSV"


def _differs(new: Decimal, old: Decimal) -> bool:
    return abs(new - old) >= THRESHOLD


def _unique_per_day(quotes):
    """One quote per pair and day; the same day quoted twice differently is ambiguous."""
    by_key = {}
    for quote in quotes:
        key = (quote.base, quote.quote, quote.effective_date)
        seen = by_key.setdefault(key, quote)
        if seen.rate != quote.rate:
            raise RateFileError(
                f"{quote.base}/{quote.quote} on {quote.effective_date} is given twice "
                f"({seen.rate} and {quote.rate})."
            )
    return sorted(by_key.values(), key=lambda q: q.effective_date)


class _Series:
    """A pair's stored global rates by date, kept sorted as rows are added."""

    def __init__(self):
        self.dates, self.rates, self.ids = [], [], []

    def add(self, effective_date, rate, row_id=None):
        index = bisect_right(self.dates, effective_date)
        self.dates.insert(index, effective_date)
        self.rates.insert(index, rate)
        self.ids.insert(index, row_id)

    def latest(self, on_date):
        """(index, date, rate) of the latest row on or before `on_date`, or None."""
        index = bisect_right(self.dates, on_date) - 1
        return (index, self.dates[index], self.rates[index]) if index >= 0 else None


def store_global_rates(quotes, *, source) -> ImportResult:
    """Write the quotes as global rates in one transaction: all of them or nothing."""
    quotes = sorted(quotes, key=lambda q: q.effective_date)
    result = ImportResult(read=len(quotes))
    pairs = {(q.base, q.quote) for q in quotes}
    series = defaultdict(_Series)
    existing = ExchangeRate.objects.filter(
        organization__isnull=True,
        base__in={base for base, _ in pairs},
        quote__in={quote for _, quote in pairs},
    ).values_list("id", "base", "quote", "effective_date", "rate")
    with transaction.atomic():
        for row_id, base, quote, effective_date, rate in existing.order_by("effective_date"):
            series[(base, quote)].add(effective_date, rate, row_id)
        new_rows, corrections = [], []
        for quote in quotes:
            pair = series[(quote.base, quote.quote)]
            previous = pair.latest(quote.effective_date)
            if previous is not None and not _differs(quote.rate, previous[2]):
                result.unchanged += 1
            elif previous is not None and previous[1] == quote.effective_date:
                # A stored day quoted differently: the file corrects it.
                index = previous[0]
                pair.rates[index] = quote.rate
                corrections.append(ExchangeRate(pk=pair.ids[index], rate=quote.rate, source=source))
                result.corrected += 1
            else:
                pair.add(quote.effective_date, quote.rate)
                new_rows.append(
                    ExchangeRate(
                        base=quote.base,
                        quote=quote.quote,
                        rate=quote.rate,
                        effective_date=quote.effective_date,
                        source=source,
                    )
                )
                result.added += 1
        ExchangeRate.objects.bulk_create(new_rows, batch_size=1000)
        ExchangeRate.objects.bulk_update(corrections, ["rate", "source"], batch_size=1000)
    return result
