from django import forms
from django.contrib import admin

from bills.models import Bill, BillLine, BillPayment
from fintrack.admin import OrganizationScopedAdmin, ViewOnlyMixin, form_action


class BillLineInline(admin.TabularInline):
    model = BillLine
    extra = 0
    can_delete = False
    fields = ("description", "quantity", "unit_price", "discount_percent", "tax_rate", "total")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea)


@admin.register(Bill)
class BillAdmin(ViewOnlyMixin, OrganizationScopedAdmin):
    """Bills are written through the API; here finance staff read, approve and void them,
    through the same model methods."""

    list_display = (
        "number",
        "vendor",
        "organization",
        "status",
        "currency",
        "total",
        "balance_due",
        "due_date",
    )
    list_filter = ("status", "currency", "organization")
    list_select_related = ("vendor", "organization")
    search_fields = ("number", "vendor__name")
    date_hierarchy = "issue_date"
    inlines = [BillLineInline]
    actions = ["approve", "void"]
    money_actions = frozenset({"approve"})

    @admin.action(description="Approve selected bills", permissions=["write"])
    def approve(self, request, queryset):
        self.apply_to_each(
            request, queryset, lambda bill: bill.approve(actor=request.user), "{count} approved."
        )

    @form_action(ReasonForm, description="Void selected bills")
    def void(self, request, bill, data):
        bill.void(actor=request.user, reason=data["reason"])


@admin.register(BillPayment)
class BillPaymentAdmin(ViewOnlyMixin, OrganizationScopedAdmin):
    """Bill payments are immutable: no add, change or delete; reversed here."""

    list_display = ("id", "bill", "organization", "kind", "amount", "currency", "paid_on")
    list_filter = ("kind", "method", "currency", "organization")
    list_select_related = ("bill", "organization")
    search_fields = ("reference", "bill__number", "bill__vendor__name")
    actions = ["reverse"]
    money_actions = frozenset({"reverse"})

    @form_action(ReasonForm, description="Reverse selected bill payments")
    def reverse(self, request, payment, data):
        payment.reverse(actor=request.user, reason=data["reason"])
