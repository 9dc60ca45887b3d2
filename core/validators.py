"""Validators for reference data that comes from Babel (CLDR) rather than hand-written lists."""

import re

from babel import Locale
from django.core.exceptions import ValidationError

# CLDR also names regions ("001", "EU") and placeholders ("ZZ"); keep ISO 3166 alpha-2 only.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
COUNTRIES = frozenset(
    code
    for code in Locale("en").territories
    if re.fullmatch(r"[A-Z]{2}", code) and code not in _NOT_COUNTRIES
)


def validate_country(value: str) -> None:
    if value and value not in COUNTRIES:
        raise ValidationError(f"{value!r} is not an ISO 3166 alpha-2 country code.", code="invalid")
