from django import forms
from django.contrib import admin
from rangefilter.filters import DateRangeFilterBuilder

from backoffice.commands import CommandButtonsMixin, ObjectCommand
from backoffice.lists import CurrencyTotalsMixin, link_column, money_column
from fintrack.admin import OrganizationScopedAdmin, ViewOnlyMixin, form_action
from payments.credit import CreditEntry
from payments.models import Payment
from payments.receipts import Receipt


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
            allowed=lambda payment: payment.can_reverse(),
            form=ReverseForm,
            money=True,
            danger=True,
            help="Cancels this payment with a reversal row of the opposite amount, dated today "
            "(credit applied goes back to the customer's credit).",
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


def _reverse_receipt(model_admin, request, receipt, data):
    receipt.reverse(actor=request.user, reason=data["reason"])
    return "Receipt reversed: its allocations and its credit."


@admin.register(Receipt)
class ReceiptAdmin(
    CurrencyTotalsMixin, CommandButtonsMixin, ViewOnlyMixin, OrganizationScopedAdmin
):
    """Receipts are recorded from the customer's page and reversed here, whole."""

    list_display = (
        "id",
        "customer_link",
        "organization",
        "amount_money",
        "allocated_money",
        "unallocated_money",
        "currency",
        "method",
        "reference",
        "received_on",
        "reversed_at",
    )
    list_filter = (
        "method",
        "currency",
        "organization",
        ("received_on", DateRangeFilterBuilder(title="received on")),
        ("reversed_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("customer", "organization")
    search_fields = ("reference", "customer__name")
    date_hierarchy = "received_on"
    readonly_fields = ("customer_link", "amount_money", "allocated_money", "unallocated_money")
    totals_fields = (("amount", "Amount"), ("unallocated", "Unallocated"))
    money_actions = frozenset({"reverse"})
    commands = (
        ObjectCommand(
            "reverse",
            "Reverse",
            _reverse_receipt,
            allowed=lambda receipt: receipt.reversed_at is None,
            form=ReverseForm,
            money=True,
            danger=True,
            help="Reverses every allocation and takes the unallocated rest back out of the "
            "customer's credit; refused whole when that credit was already used.",
        ),
    )

    customer_link = link_column("customer", "Customer", ordering="customer__name")
    amount_money = money_column("amount", "Amount")
    allocated_money = money_column("allocated", "Allocated")
    unallocated_money = money_column("unallocated", "Unallocated")

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    def command_facts(self, receipt):
        return [
            ("Receipt", str(receipt)),
            ("Customer", receipt.customer),
            ("Allocated", self.allocated_money(receipt)),
            ("Unallocated (on credit)", self.unallocated_money(receipt)),
            ("Received on", receipt.received_on),
        ]


@admin.register(CreditEntry)
class CreditEntryAdmin(CurrencyTotalsMixin, ViewOnlyMixin, OrganizationScopedAdmin):
    """The customer-credit ledger, read-only: entries are written by the commands."""

    list_display = (
        "id",
        "customer_link",
        "organization",
        "kind",
        "amount_money",
        "currency",
        "invoice_link",
        "receipt_link",
        "reference",
        "booked_on",
        "created_by",
    )
    list_filter = ("kind", "currency", "organization")
    # A receipt is named with its customer (`Receipt.__str__`): joined, so the list does not
    # read two rows per entry.
    list_select_related = ("customer", "invoice", "receipt__customer", "organization", "created_by")
    search_fields = ("reference", "customer__name", "invoice__number")
    date_hierarchy = "booked_on"
    readonly_fields = ("customer_link", "invoice_link", "receipt_link", "amount_money")
    totals_fields = (("amount", "Net credit"),)

    customer_link = link_column("customer", "Customer", ordering="customer__name")
    invoice_link = link_column("invoice", "Invoice", ordering="invoice__number")
    receipt_link = link_column("receipt", "Receipt")
    amount_money = money_column("amount", "Amount")
