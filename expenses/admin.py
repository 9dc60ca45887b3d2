from django.contrib import admin

from expenses.models import Expense, ExpenseCategory
from fintrack.admin import OrganizationScopedAdmin, ViewOnlyMixin


@admin.register(ExpenseCategory)
class ExpenseCategoryAdmin(ViewOnlyMixin, OrganizationScopedAdmin):
    list_display = ("name", "organization")
    list_filter = ("organization",)
    search_fields = ("name",)


@admin.register(Expense)
class ExpenseAdmin(ViewOnlyMixin, OrganizationScopedAdmin):
    """Expenses are recorded through the API (receipts checked there); read here."""

    list_display = ("date", "organization", "category", "vendor", "amount", "currency")
    list_filter = ("currency", "organization", "payment_method")
    list_select_related = ("organization", "category", "vendor")
    search_fields = ("description", "vendor__name", "category__name")
    date_hierarchy = "date"
