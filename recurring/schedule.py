"""A recurring invoice's calendar (spec 16): period starts anchored to `start_date`.

Period `n` starts `n x interval_count` intervals after the anchor, computed from the anchor
every time, never by stepping from the previous period: a monthly template started on
January 31 runs on February 28 (29 in a leap year), March 31, April 30... — stepping would
drift to the 28th for good after February.
"""

import calendar
from datetime import date, timedelta

from core.dates import LATEST

WEEK = "week"
MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
# Months per interval; a week is counted in days.
MONTHS = {MONTH: 1, QUARTER: 3, YEAR: 12}


def period_start(anchor: date, interval: str, count: int, index: int) -> date | None:
    """The start of period `index` (0 is the anchor), or None past the calendar the API
    accepts (2199-12-31): such a period never comes."""
    if interval == WEEK:
        days = 7 * count * index
        if days > (LATEST - anchor).days:
            return None
        return anchor + timedelta(days=days)
    months = anchor.month - 1 + MONTHS[interval] * count * index
    year = anchor.year + months // 12
    if year > LATEST.year:
        return None
    month = months % 12 + 1
    # The anchor's day, or the month's last day when the month is shorter.
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def first_index_on_or_after(anchor: date, interval: str, count: int, day: date) -> int:
    """The index of the first period that starts on or after `day` (0 when `day` is on or
    before the anchor)."""
    if day <= anchor:
        return 0
    if interval == WEEK:
        step = 7 * count
        return -(-(day - anchor).days // step)
    # An estimate from the months between, then corrected by at most a step either way.
    step = MONTHS[interval] * count
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    index = max(months // step - 1, 0)
    while True:
        start = period_start(anchor, interval, count, index)
        if start is None or start >= day:
            return index
        index += 1
