"""Exchange-rate input and output (spec 10)."""

from rest_framework import serializers

from api.fields import CurrencyField, DateField, DecimalField
from rates.models import RATE_DIGITS, ExchangeRate


class ExchangeRateSerializer(serializers.ModelSerializer):
    # Historic rates may be in codes ISO has since withdrawn (DEM, FRF...).
    base = CurrencyField(withdrawn=True)
    quote = CurrencyField(withdrawn=True)
    rate = DecimalField(
        **RATE_DIGITS, min_value=0, help_text="How many `quote` one `base` buys (> 0)."
    )
    effective_date = DateField()
    scope = serializers.SerializerMethodField()

    class Meta:
        model = ExchangeRate
        fields = [
            "id",
            "organization",
            "base",
            "quote",
            "rate",
            "effective_date",
            "source",
            "scope",
            "created_at",
        ]
        # The spec's `organization` column: the request's organization's id, null if global.
        read_only_fields = ["organization", "created_at"]

    def get_scope(self, rate) -> str:
        """`organization` for the organization's own rate, `global` for an imported one."""
        return "global" if rate.organization_id is None else "organization"

    def validate_rate(self, value):
        if value <= 0:
            raise serializers.ValidationError("Must be greater than 0.")
        return value

    def validate(self, attrs):
        if attrs["base"] == attrs["quote"]:
            raise serializers.ValidationError({"quote": ["Must differ from `base`."]})
        return attrs
