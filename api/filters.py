"""Strict filter types: a filter value that cannot be understood is a 400, never ignored."""

import copy

import django_filters
from django import forms
from django_filters.fields import ChoiceField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions

from core.dates import validate_date_in_range
from core.money import CURRENCY_CHOICES


def refuse_blank_query_params(request):
    """`?until=` is not "no until": an empty value is a 400 `blank` naming the parameter.

    Left alone, django-filter and DRF's serializers would both read it as absent and answer
    the unfiltered list as if the client had asked for it.
    """
    blank = sorted({name for name, value in request.query_params.items() if value == ""})
    blank += sorted(
        name for name, values in request.query_params.lists() if name not in blank and "" in values
    )
    if blank:
        raise exceptions.ValidationError(
            {name: ["This parameter may not be empty."] for name in blank}, code="blank"
        )


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """`true`/`false` (or 1/0); anything else is invalid instead of silently dropped."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")])
        kwargs.setdefault("coerce", lambda value: value in ("true", "1"))
        # An absent value cleans to None (not ""), so `cleaned_data.get(...) is None` works.
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)


# Larger than any BIGINT primary key: refused instead of overflowing the database.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A whole-number id: `1.5`, `abc` or an id beyond any primary key is a 400.

    Declared an integer in the schema (a plain NumberFilter says "number", so clients would
    send 1.5 and get a 400 the schema never warned of).
    """

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class DateFilter(django_filters.DateFilter):
    """A date within the accepted range (else 400 `date_out_of_range`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [validate_date_in_range])
        super().__init__(*args, **kwargs)


def date_range(field_name):
    """The `<name>_from` / `<name>_to` pair on one date column, both bounds included:
    `received_from, received_to = date_range("received_on")` in a FilterSet's body."""
    return (
        DateFilter(field_name=field_name, lookup_expr="gte"),
        DateFilter(field_name=field_name, lookup_expr="lte"),
    )


class SharedChoiceField(ChoiceField):
    """A choice field whose copies share its (read-only) choices.

    Every request deep-copies a filter set's filters and its form's fields; for the
    currency filter that copied some 300 code pairs twice, a third of an unfiltered list's
    filtering time."""

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = copy.copy(self._choices)
        return result


class CurrencyFilter(django_filters.ChoiceFilter):
    """Any code a stored row may carry, withdrawn ones included: filtering is reading."""

    field_class = SharedChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", CURRENCY_CHOICES)
        super().__init__(*args, **kwargs)

    def __deepcopy__(self, memo):
        # Filter sets deep-copy their filters per request; the choices table is shared.
        result = copy.copy(self)
        memo[id(self)] = result
        result.extra = dict(self.extra)
        return result


class CSVMultipleChoiceField(forms.MultipleChoiceField):
    """Accepts `?status=a&status=b` and `?status=a,b` alike."""

    def clean(self, value):
        values = [part.strip() for item in value or [] for part in item.split(",") if part.strip()]
        return super().clean(values)


class MultipleChoiceCSVFilter(django_filters.MultipleChoiceFilter):
    field_class = CSVMultipleChoiceField
