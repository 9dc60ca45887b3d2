from django import forms
from django.contrib import admin

from fintrack.admin import OrganizationScopedAdmin, ViewOnlyMixin, form_action
from payments.models import Payment


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea)


@admin.register(Payment)
class PaymentAdmin(ViewOnlyMixin, OrganizationScopedAdmin):
    """Payment rows are immutable: no add, change or delete. They are recorded and refunded
    from the invoice admin's actions and reversed here, through the model methods."""

    list_display = (
        "id",
        "invoice",
        "organization",
        "kind",
        "amount",
        "currency",
        "method",
        "reference",
        "received_on",
        "created_by",
    )
    list_filter = ("kind", "method", "currency", "organization", "received_on")
    list_select_related = ("invoice", "organization", "created_by")
    search_fields = ("reference", "invoice__number", "invoice__customer__name")
    date_hierarchy = "received_on"
    actions = ["reverse"]
    money_actions = frozenset({"reverse"})

    @form_action(ReverseForm, description="Reverse selected payments")
    def reverse(self, request, payment, data):
        payment.reverse(actor=request.user, reason=data["reason"])
