"""The reconciliation screen (spec 15): bank lines, unmatched ones first, each with the open
invoices it may pay; a suggestion's link opens the match page with that invoice chosen
(one click, then confirm), and lines are set aside one by one or in bulk. Statement
imports are listed read-only. Every change goes through the model methods, as the API's."""

from contextvars import ContextVar

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from backoffice.commands import CommandButtonsMixin, ObjectCommand, tool_url
from backoffice.lists import money_column
from banking.matching import OpenInvoices, suggestions_for
from banking.models import BankLine, BankLineStatus, BankStatement
from core.money import format_plain
from fintrack.admin import AmountField, OrganizationScopedAdmin, ViewOnlyMixin
from invoices.models import Invoice
from payments.exceptions import InvalidAllocation

# The open invoices of each organization on the page, read once per changelist request.
_open_invoices = ContextVar("bank_line_open_invoices", default=None)


class ReconcileStatusFilter(admin.SimpleListFilter):
    """Unmatched lines unless another status (or all) is chosen: the work to do first."""

    title = "status"
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*BankLineStatus.choices, (self.ALL, "All")]

    def chosen(self):
        return self.value() or BankLineStatus.UNMATCHED

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.chosen() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.chosen() == self.ALL:
            return queryset
        return queryset.filter(status=self.chosen())


class MatchForm(forms.Form):
    invoice = forms.IntegerField(
        min_value=1,
        help_text="The id of the open invoice the line pays (its suggestions link here).",
    )
    amount = AmountField(
        help_text="Allocated to the invoice; the rest of the line goes to the customer's credit."
    )


def _match_initial(line):
    suggested = suggestions_of(line)
    best = suggested[0] if suggested else None
    allocation = min(line.amount, best.balance_due) if best else line.amount
    return {
        "invoice": best.id if best else None,
        "amount": format_plain(allocation, line.currency),
    }


def _match(model_admin, request, line, data):
    invoice = (
        Invoice.objects.filter(organization_id=line.organization_id, pk=data["invoice"])
        .select_related("customer")
        .first()
    )
    if invoice is None:
        raise InvalidAllocation("No invoice of this organization has that id.")
    receipt = line.match(
        customer=invoice.customer,
        allocations=[{"invoice": invoice.pk, "amount": data["amount"]}],
        actor=request.user,
    )
    return f"Matched: receipt {receipt.pk} for invoice {invoice.number}."


def _ignore(model_admin, request, line, data):
    line.ignore(actor=request.user)
    return "Bank line set aside (ignored)."


def suggestions_of(line):
    cache = _open_invoices.get()
    if cache is None:
        return suggestions_for(line, OpenInvoices(line.organization_id))
    invoices = cache.setdefault(line.organization_id, OpenInvoices(line.organization_id))
    return suggestions_for(line, invoices)


@admin.register(BankLine)
class BankLineAdmin(CommandButtonsMixin, ViewOnlyMixin, OrganizationScopedAdmin):
    list_display = (
        "date",
        "amount_money",
        "counterparty",
        "reference",
        "status",
        "suggestions",
        "account",
    )
    list_filter = (ReconcileStatusFilter, "currency", "date")
    list_select_related = ("organization", "receipt")
    search_fields = ("reference", "counterparty", "entry_reference", "account")
    date_hierarchy = "date"
    fields = (
        "organization",
        "statement",
        "account",
        "date",
        "amount",
        "currency",
        "entry_reference",
        "reference",
        "counterparty",
        "status",
        "suggestions",
        "receipt",
        "created_at",
    )
    readonly_fields = fields
    actions = ["ignore"]
    money_actions = frozenset({"match"})

    commands = (
        ObjectCommand(
            "match",
            "Match",
            _match,
            allowed=lambda line: line.status != BankLineStatus.MATCHED and line.amount > 0,
            form=MatchForm,
            initial=_match_initial,
            money=True,
            help="Records the line as a receipt from the invoice's customer, on its booking "
            "date, by bank transfer.",
        ),
        ObjectCommand(
            "ignore",
            "Ignore",
            _ignore,
            allowed=lambda line: line.status == BankLineStatus.UNMATCHED,
            help="Sets the line aside: it pays no invoice (a fee, a transfer between own "
            "accounts). It can still be matched later.",
        ),
    )

    amount_money = money_column("amount", "Amount")

    def changelist_view(self, request, extra_context=None):
        token = _open_invoices.set({})
        try:
            response = super().changelist_view(request, extra_context)
            # Rendered here, while the page's open invoices are at hand.
            if hasattr(response, "render"):
                response.render()
            return response
        finally:
            _open_invoices.reset(token)

    @admin.display(description="Suggestions")
    def suggestions(self, line):
        suggested = suggestions_of(line)
        if not suggested:
            return "—"
        return format_html(
            "<ul class='bank-suggestions'>{}</ul>",
            format_html_join(
                "",
                "<li><a href='{}?invoice={}' data-invoice='{}'>{} · {} · {} {}</a></li>",
                (
                    (
                        tool_url(line, "match"),
                        invoice.id,
                        invoice.id,
                        invoice.number,
                        invoice.customer_name,
                        format_plain(invoice.balance_due, invoice.currency),
                        invoice.currency,
                    )
                    for invoice in suggested
                ),
            ),
        )

    def command_facts(self, line):
        return [
            ("Date", line.date.isoformat()),
            ("Amount", f"{format_plain(line.amount, line.currency)} {line.currency}"),
            ("Counterparty", line.counterparty),
            ("Reference", line.reference),
        ]

    @admin.action(description="Ignore selected bank lines", permissions=["write"])
    def ignore(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda line: line.ignore(actor=request.user),
            "{count} bank line(s) set aside.",
        )


@admin.register(BankStatement)
class BankStatementAdmin(ViewOnlyMixin, OrganizationScopedAdmin):
    list_display = ("created_at", "format", "account", "entries", "added", "matched", "created_by")
    list_filter = ("format", "organization")
    list_select_related = ("organization", "created_by")
    search_fields = ("account", "digest")
    actions = None
