"""Expense and category shapes (spec 19). Writes go through `Expense.record` / `change`;
the amount's sign and digits and the receipt's type and size are the model's rules."""

from rest_framework import serializers

from api.fields import CurrencyField, DateField, MoneyField
from bills.serializers import OrganizationVendorField
from expenses.models import Expense, ExpenseCategory
from invoices.serializers import percent


class ExpenseCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpenseCategory
        fields = ["id", "name", "version", "created_at"]
        read_only_fields = ["version", "created_at"]
        validators = []  # the unique name is the model's constraint (409 below)


class OrganizationCategoryField(serializers.PrimaryKeyRelatedField):
    """A category id among the request organization's only (another's: 400)."""

    def get_queryset(self):
        return ExpenseCategory.objects.filter(organization=self.context["request"].organization)


class ExpenseSerializer(serializers.ModelSerializer):
    date = DateField()
    amount = MoneyField(minor_unit_source="minor_unit", strict=False, help_text="Gross, > 0.")
    currency = CurrencyField(required=False, help_text="Defaults to the organization's.")
    category = OrganizationCategoryField()
    category_name = serializers.CharField(source="category.name", read_only=True)
    vendor = OrganizationVendorField(required=False, allow_null=True)
    tax_rate = percent(required=False, allow_null=True)
    receipt = serializers.FileField(
        write_only=True, required=False, help_text="PDF, PNG or JPEG, at most 10 MB."
    )
    has_receipt = serializers.SerializerMethodField()

    class Meta:
        model = Expense
        fields = [
            "id",
            *Expense.INPUT_FIELDS,
            "category_name",
            "receipt",
            "has_receipt",
            "version",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_by", "created_at", "updated_at"]

    def get_has_receipt(self, expense) -> bool:
        return bool(expense.receipt)

    def create(self, validated_data):
        validated_data.pop("expected_version", None)
        request = self.context["request"]
        return Expense.record(
            organization=request.organization, actor=request.user, **validated_data
        )

    def update(self, instance, validated_data):
        instance.change(actor=self.context["request"].user, **validated_data)
        return instance
