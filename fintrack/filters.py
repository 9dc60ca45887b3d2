"""Strict filter types: a filter value that cannot be understood is a 400, never ignored."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from fintrack.money import CURRENCY_CHOICES


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """`true`/`false` (or 1/0); anything else is invalid instead of silently dropped."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")])
        kwargs.setdefault("coerce", lambda value: value in ("true", "1"))
        # An absent value cleans to None (not ""), so `cleaned_data.get(...) is None` works.
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)


class CurrencyFilter(django_filters.ChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", CURRENCY_CHOICES)
        super().__init__(*args, **kwargs)


class CSVMultipleChoiceField(forms.MultipleChoiceField):
    """Accepts `?status=a&status=b` and `?status=a,b` alike."""

    def clean(self, value):
        values = [part.strip() for item in value or [] for part in item.split(",") if part.strip()]
        return super().clean(values)


class MultipleChoiceCSVFilter(django_filters.MultipleChoiceFilter):
    field_class = CSVMultipleChoiceField
