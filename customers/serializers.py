from rest_framework import serializers

from api.fields import CurrencyField
from core.money import is_currency
from customers.models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    currency = CurrencyField(required=False, help_text="Defaults to the organization's.")
    payment_terms_days = serializers.IntegerField(
        required=False, min_value=0, max_value=365, help_text="Defaults to the organization's."
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            *Customer.INPUT_FIELDS,
            "archived_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["archived_at", "version", "created_at", "updated_at"]

    def validate(self, attrs):
        # A new customer without a currency takes the organization's, which ISO may have
        # withdrawn since the organization chose it: checked like a currency sent.
        if self.instance is None and "currency" not in attrs:
            base_currency = self.context["request"].organization.base_currency
            if not is_currency(base_currency):
                raise serializers.ValidationError(
                    {
                        "currency": f"The organization's {base_currency!r} is not an active ISO "
                        "4217 currency; give the customer's currency."
                    },
                    code="unsupported_currency",
                )
        return attrs
