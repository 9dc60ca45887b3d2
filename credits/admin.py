"""Credit notes and write-offs in the back office: immutable, so view-only here; they are
issued from the invoice admin's actions through the same model commands as the API."""

from django.contrib import admin

from credits.models import CreditNote, CreditNoteLine, CreditNoteSequence, WriteOff
from fintrack.admin import (
    OrganizationScopedAdmin,
    OrganizationScopedAdminMixin,
    ReadOnlyInline,
    ReadOnlyOrganizationScopedAdmin,
    ViewOnlyMixin,
)
from invoices.tax import LINE_INPUT_FIELDS


class CreditNoteLineInline(OrganizationScopedAdminMixin, ReadOnlyInline):
    model = CreditNoteLine
    fields = (*LINE_INPUT_FIELDS, "total")
    readonly_fields = fields
    show_change_link = False


@admin.register(CreditNote)
class CreditNoteAdmin(ViewOnlyMixin, OrganizationScopedAdmin):
    inlines = [CreditNoteLineInline]
    list_display = (
        "number",
        "invoice",
        "customer",
        "organization",
        "currency",
        "total",
        "credited_to_invoice",
        "refunded",
        "issued_on",
        "created_by",
    )
    list_filter = ("currency", "organization", "issued_on")
    list_select_related = ("invoice", "customer", "organization", "created_by")
    search_fields = ("number", "invoice__number", "customer__name", "reason")
    date_hierarchy = "issued_on"
    actions = None


@admin.register(WriteOff)
class WriteOffAdmin(ViewOnlyMixin, OrganizationScopedAdmin):
    list_display = ("invoice", "organization", "currency", "amount", "written_off_on", "reason")
    list_filter = ("currency", "organization", "written_off_on")
    list_select_related = ("invoice", "organization")
    search_fields = ("invoice__number", "invoice__customer__name", "reason")
    date_hierarchy = "written_off_on"
    actions = None


@admin.register(CreditNoteSequence)
class CreditNoteSequenceAdmin(ReadOnlyOrganizationScopedAdmin):
    list_display = ("organization", "last_number")
    list_select_related = ("organization",)
    search_fields = ("organization__name",)
