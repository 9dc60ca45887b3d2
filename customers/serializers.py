from rest_framework import serializers

from api.fields import CurrencyField
from core.tax_ids import clean_party_numbers
from customers.models import Customer


# Business rules are the model's (`Customer`): its field validators give the bounds, and a
# refused default currency is its `UnsupportedCurrency` (a 400 on `currency`).
class CustomerSerializer(serializers.ModelSerializer):
    currency = CurrencyField(required=False, help_text="Defaults to the organization's.")

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
        # Bounds (0 to 365) come from the model field's validators.
        extra_kwargs = {
            "payment_terms_days": {
                "required": False,
                "help_text": "Defaults to the organization's.",
            }
        }

    def validate(self, attrs):
        # The tax id, against the country where python-stdnum knows its format: 400
        # invalid_tax_id (spec 18).
        return {**attrs, **clean_party_numbers(self.instance, attrs)}
