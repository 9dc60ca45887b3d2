"""The calendar the API accepts (spec 3): every date lies between 1970-01-01 and 2199-12-31.

One rule, carried by the API's date field and filter (`api.fields`, `api.filters`); anything
outside is a 400 `date_out_of_range` (a year-0001 payment would otherwise put credit before
any invoice and print periods like "1-01").
"""

import datetime

from django.core.exceptions import ValidationError

EARLIEST = datetime.date(1970, 1, 1)
LATEST = datetime.date(2199, 12, 31)


def validate_date_in_range(value: datetime.date) -> None:
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            f"Dates lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}.",
            code="date_out_of_range",
        )
