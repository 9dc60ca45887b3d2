from rest_framework import serializers

from customers.models import Customer
from fintrack.money import CurrencyField


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
