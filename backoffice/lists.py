"""What the back office's lists share (spec 17): the overdue filter, money columns in the
organization's locale, links between related rows, and totals per currency of the
filtered rows."""

import zoneinfo

from django.contrib import admin
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import Organization
from backoffice.money import money_cell, money_text
from invoices.models import InvoiceQuerySet


def admin_url(obj, view="change"):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


def link_to(obj, text=None):
    """A link to `obj`'s admin page (the queryset already holds only the user's rows)."""
    if obj is None:
        return "—"
    return format_html('<a href="{}">{}</a>', admin_url(obj), text or str(obj))


def link_column(path: str, description: str, *, ordering=None):
    """A list column linking to the related row at `path` ("invoice__customer")."""

    @admin.display(description=description, ordering=ordering or path)
    def column(self, obj):
        related = obj
        for name in path.split("__"):
            related = getattr(related, name)
        return link_to(related)

    column.__name__ = f"{path}_link"
    return column


def minor_unit_of(obj) -> int | None:
    """The minor unit a document stored (invoices), or its invoice's (payments)."""
    if hasattr(obj, "minor_unit"):
        return obj.minor_unit
    invoice = getattr(obj, "invoice", None)
    return invoice.minor_unit if invoice is not None else None


def money_column(field: str, description: str, *, document=None):
    """A right-aligned column (list or read-only field): `obj.<field>` in the currency of
    `document(obj)` (default: `obj` itself), with its symbol and stored digits, as the
    row's organization writes money."""

    @admin.display(description=description, ordering=field)
    def column(self, obj):
        owner = document(obj) if document else obj
        return money_cell(
            getattr(obj, field),
            owner.currency,
            locale=owner.organization.locale,
            minor_unit=minor_unit_of(owner),
        )

    column.__name__ = f"{field}_money"
    return column


def overdue_q_for_today(organizations) -> Q:
    """Spec 5.3's overdue rule with each organization's own today (its time zone): one Q
    per time zone among `organizations`."""
    condition = Q(pk__in=[])
    zones = organizations.values_list("time_zone", flat=True).distinct()
    for zone in zones:
        today = timezone.localdate(timezone=zoneinfo.ZoneInfo(zone))
        condition |= Q(organization__time_zone=zone) & InvoiceQuerySet.overdue_q(today)
    return condition


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", "Overdue"), ("no", "Not overdue"))

    def queryset(self, request, queryset):
        if self.value() not in {"yes", "no"}:
            return queryset
        organizations = Organization.objects.filter(
            pk__in=queryset.values("organization_id").distinct()
        )
        overdue = overdue_q_for_today(organizations)
        return queryset.filter(overdue) if self.value() == "yes" else queryset.exclude(overdue)


class CurrencyTotalsMixin:
    """Under the list: the sums of `totals_fields` over every filtered row (not only the
    page), per organization and currency — money of two organizations or two currencies
    is never added together."""

    totals_fields: tuple[tuple[str, str], ...] = ()  # (field, label)
    totals_note = ""
    change_list_template = "backoffice/change_list.html"

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context and self.totals_fields:
            rows = self.totals_scope(context["cl"].queryset)
            context["currency_totals"] = self.currency_totals(rows)
            context["totals_note"] = self.totals_note
            context["totals_labels"] = [label for _, label in self.totals_fields]
        return response

    def totals_scope(self, queryset):
        """The filtered rows that count in the totals (all, unless an admin says less)."""
        return queryset

    def currency_totals(self, queryset):
        rows = (
            queryset.order_by()
            .values("organization", "currency")
            .annotate(**{field: Sum(field) for field, _ in self.totals_fields})
            .order_by("organization", "currency")
        )
        rows = list(rows)
        organizations = Organization.objects.in_bulk({row["organization"] for row in rows})
        several = len(organizations) > 1
        totals = []
        for row in rows:
            organization = organizations[row["organization"]]
            totals.append(
                {
                    "organization": organization.name if several else "",
                    "currency": row["currency"],
                    "amounts": [
                        money_text(row[field] or 0, row["currency"], locale=organization.locale)
                        for field, _ in self.totals_fields
                    ],
                }
            )
        return totals
