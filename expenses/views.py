"""Expenses and their categories (spec 19). Thin: rules live in the models."""

import django_filters
from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import ADMIN_ONLY
from api.exports import ExportMixin
from api.files import STORED_FILE_RESPONSES, stored_file_response
from api.filters import CurrencyFilter, DateFilter, IdFilter
from api.parsers import JSONParser
from api.tenancy import OrganizationViewSet
from core.errors import ConflictError
from expenses.models import Expense, ExpenseCategory
from expenses.serializers import ExpenseCategorySerializer, ExpenseSerializer


class DuplicateCategory(ConflictError):
    code = "duplicate_category"
    default_message = "The organization already has a category with this name."


class ExpenseCategoryViewSet(OrganizationViewSet):
    """Read by any member; created, renamed and deleted by admins (spec 19)."""

    queryset = ExpenseCategory.objects.all()
    serializer_class = ExpenseCategorySerializer
    write_roles = ADMIN_ONLY
    filterset_class = None

    def perform_create(self, serializer):
        self._saved(serializer, organization=self.organization)

    def perform_update(self, serializer):
        self._saved(serializer)

    def _saved(self, serializer, **extra):
        try:
            with transaction.atomic():
                serializer.save(**extra)
        except IntegrityError:
            raise DuplicateCategory() from None

    def perform_destroy(self, instance):
        if instance.expenses.exists():
            raise ConflictError(
                "A category that has expenses cannot be deleted.", code="category_in_use"
            )
        instance._history_user = self.request.user
        instance.delete()


class ExpenseFilterSet(django_filters.FilterSet):
    category = IdFilter(field_name="category_id")
    vendor = IdFilter(field_name="vendor_id")
    currency = CurrencyFilter()
    date_from = DateFilter(field_name="date", lookup_expr="gte")
    date_to = DateFilter(field_name="date", lookup_expr="lte")
    ordering = django_filters.OrderingFilter(fields=["date", "amount", "created_at"])

    class Meta:
        model = Expense
        fields = ["category", "vendor", "currency"]


class ExpenseViewSet(ExportMixin, OrganizationViewSet):
    """Expenses of the current organization; `receipt` is a multipart upload. The list
    exports as CSV/XLSX (`?format=csv|xlsx`), filtered like the JSON list."""

    queryset = Expense.objects.select_related("category")
    serializer_class = ExpenseSerializer
    filterset_class = ExpenseFilterSet
    parser_classes = [JSONParser, parsers.MultiPartParser]

    def perform_update(self, serializer):
        serializer.save(expected_version=self.expected_version(serializer.instance))

    def perform_destroy(self, instance):
        instance.remove(actor=self.request.user, expected_version=self.expected_version(instance))

    @extend_schema(responses=STORED_FILE_RESPONSES)
    @action(detail=True, methods=["get"])
    def receipt(self, request, pk=None):
        """The receipt file, read through the storage API; 404 when there is none."""
        expense = self.get_object()
        return stored_file_response(
            expense.receipt, expense.receipt_content_type, f"receipt-{expense.pk}"
        )

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
