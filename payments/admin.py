from django import forms
from django.contrib import admin
from rangefilter.filters import DateRangeFilterBuilder

from backoffice.commands import CommandButtonsMixin, ObjectCommand
from backoffice.lists import CurrencyTotalsMixin, link_column, money_column
from fintrack.admin import OrganizationScopedAdmin, ViewOnlyMixin, form_action
from payments.models import Payment, PaymentKind


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea)


def _reverse(model_admin, request, payment, data):
    payment.reverse(actor=request.user, reason=data["reason"])
    return "Payment reversed."


@admin.register(Payment)
class PaymentAdmin(
    CurrencyTotalsMixin, CommandButtonsMixin, ViewOnlyMixin, OrganizationScopedAdmin
):
    """Payment rows are immutable: no add, change or delete. They are recorded and refunded
    from the invoice's page and reversed here, through the model methods."""

    list_display = (
        "id",
        "invoice_link",
        "customer_link",
        "organization",
        "kind",
        "amount_money",
        "currency",
        "method",
        "reference",
        "received_on",
        "created_by",
    )
    list_filter = (
        "kind",
        "method",
        "currency",
        "organization",
        ("received_on", DateRangeFilterBuilder(title="received on")),
    )
    list_select_related = ("invoice__customer", "organization", "created_by")
    search_fields = ("reference", "invoice__number", "invoice__customer__name")
    date_hierarchy = "received_on"
    readonly_fields = ("invoice_link", "customer_link", "amount_money")
    # Signed amounts: the total is what the filtered rows brought in, net.
    totals_fields = (("amount", "Net amount"),)
    actions = ["reverse"]
    money_actions = frozenset({"reverse"})
    commands = (
        ObjectCommand(
            "reverse",
            "Reverse",
            _reverse,
            allowed=lambda payment: (
                payment.kind == PaymentKind.PAYMENT
                and not hasattr(payment, "reversed_by")
                and payment.invoice.can("reverse")
            ),
            form=ReverseForm,
            money=True,
            danger=True,
            help="Cancels this payment with a reversal row of the opposite amount, dated today.",
        ),
    )

    invoice_link = link_column("invoice", "Invoice", ordering="invoice__number")
    customer_link = link_column("invoice__customer", "Customer", ordering="invoice__customer__name")
    amount_money = money_column("amount", "Amount")

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    def command_facts(self, payment):
        return [
            ("Payment", str(payment)),
            ("Invoice", payment.invoice),
            ("Customer", payment.invoice.customer),
            ("Amount", self.amount_money(payment)),
            ("Received on", payment.received_on),
        ]

    @form_action(ReverseForm, description="Reverse selected payments")
    def reverse(self, request, payment, data):
        payment.reverse(actor=request.user, reason=data["reason"])
