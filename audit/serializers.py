import datetime

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.events import ACTIONS, SOURCES
from core.dates import validate_date_in_range


class EventUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {}, "minItems": 2, "maxItems": 2},
        "example": {"status": ["draft", "sent"], "number": [None, "INV-00001"]},
    }
)
class ChangesField(serializers.DictField):
    """`{field: [old, new]}`; money and dates are strings."""


class AuditEventSerializer(serializers.Serializer):
    id = serializers.CharField(help_text='"<model>:<history id>", unique across models.')
    model = serializers.ChoiceField(choices=list(SOURCES))
    object_id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=list(ACTIONS.values()))
    changes = ChangesField()
    user = EventUserSerializer(allow_null=True)
    timestamp = serializers.DateTimeField()


@extend_schema_field(OpenApiTypes.DATETIME)
class DateOrDateTimeField(serializers.Field):
    """An ISO 8601 datetime or date in the accepted range; anything else is a 400."""

    default_error_messages = {"invalid": "Use an ISO 8601 date or datetime."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_date_in_range)

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 64:
            self.fail("invalid")
        try:
            # Date first: parse_datetime would read a bare date as midnight.
            value = parse_date(data) or parse_datetime(data)
        except ValueError:  # well-formed but impossible, e.g. month 13
            value = None
        if not isinstance(value, datetime.date):
            self.fail("invalid")
        return value


class AuditEventQuerySerializer(serializers.Serializer):
    """Filters of the organization's audit log."""

    model = serializers.ChoiceField(choices=list(SOURCES), required=False)
    object_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    user = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="User id."
    )
    action = serializers.ChoiceField(choices=list(ACTIONS.values()), required=False)
    since = DateOrDateTimeField(
        required=False,
        help_text="Inclusive. A date means its start; naive values use the organization's "
        "time zone.",
    )
    until = DateOrDateTimeField(
        required=False,
        help_text="Inclusive. A date means its whole day; naive values use the "
        "organization's time zone.",
    )
