"""Recurring invoices in the back office: the list, the template's page (its lines and
periods read-only) and the Pause / Resume buttons, which call the model methods the API's
`pause/` and `resume/` call. Templates are written through the API."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from backoffice.commands import CommandButtonsMixin, ObjectCommand
from fintrack.admin import OrganizationScopedAdmin, ReadOnlyInline, ViewOnlyMixin
from recurring.models import RecurringInvoice, RecurringInvoiceLine, RecurringRun


class RecurringInvoiceLineInline(ReadOnlyInline):
    model = RecurringInvoiceLine
    show_change_link = False
    fields = ("description", "quantity", "unit_price", "discount_percent", "tax_rate", "total")
    readonly_fields = fields


class RecurringRunInline(ReadOnlyInline):
    """Each period done: invoiced (linked) or skipped while paused."""

    model = RecurringRun
    show_change_link = False
    fields = ("period_start", "outcome", "invoice_link")
    readonly_fields = fields
    ordering = ("-period_start",)
    verbose_name_plural = "Periods"

    @admin.display(description="Invoice")
    def invoice_link(self, run):
        if run.invoice_id is None:
            return "—"
        url = reverse("admin:invoices_invoice_change", args=[run.invoice_id])
        return format_html('<a href="{}">{}</a>', url, run.invoice)


@admin.register(RecurringInvoice)
class RecurringInvoiceAdmin(CommandButtonsMixin, ViewOnlyMixin, OrganizationScopedAdmin):
    list_display = (
        "__str__",
        "organization",
        "customer",
        "status",
        "currency",
        "total",
        "interval_text",
        "next_run_on",
        "last_invoice_link",
    )
    list_filter = ("status", "interval", "auto_send", "organization")
    list_select_related = ("organization", "customer", "last_invoice")
    search_fields = ("customer__name", "reference")
    date_hierarchy = "start_date"
    inlines = [RecurringInvoiceLineInline, RecurringRunInline]
    history_list_display = ("status", "next_run_on", "last_invoice")
    commands = (
        ObjectCommand(
            "pause",
            "Pause",
            lambda admin_, request, template, data: template.pause(actor=request.user),
            allowed=RecurringInvoice.can_pause,
            help="No invoice while paused: the periods that start before the resume are skipped.",
            done="Paused.",
        ),
        ObjectCommand(
            "resume",
            "Resume",
            lambda admin_, request, template, data: template.resume(actor=request.user),
            allowed=RecurringInvoice.can_resume,
            help="The periods that started while paused are skipped; the next one is invoiced.",
            done="Resumed.",
        ),
    )

    def command_facts(self, template):
        return [
            ("Customer", template.customer.name),
            ("Currency", template.currency),
            ("Every", template.describe_interval()),
            ("Status", template.get_status_display()),
            ("Next run", template.next_run_on.isoformat() if template.next_run_on else "—"),
        ]

    # The change page is read-only (ViewOnlyMixin) but still the place of the buttons.
    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Every")
    def interval_text(self, template):
        return template.describe_interval()

    @admin.display(description="Last invoice")
    def last_invoice_link(self, template):
        if template.last_invoice_id is None:
            return "—"
        url = reverse("admin:invoices_invoice_change", args=[template.last_invoice_id])
        return format_html('<a href="{}">{}</a>', url, template.last_invoice)
