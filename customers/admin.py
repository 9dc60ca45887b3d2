from django.contrib import admin

from customers.models import Customer
from fintrack.admin import OrganizationScopedAdmin, VersionedAdminForm


class CustomerAdminForm(VersionedAdminForm):
    class Meta:
        model = Customer
        fields = ("organization", *Customer.INPUT_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, they default to the organization's (Customer.save), as in the API.
        for name in ("currency", "payment_terms_days"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = "Defaults to the organization's."


@admin.register(Customer)
class CustomerAdmin(OrganizationScopedAdmin):
    """Customers are archived, never deleted: their invoices keep pointing at them.
    Vendors (`vendors.admin`) are the same record and share this page."""

    form = CustomerAdminForm
    list_display = ("name", "organization", "email", "currency", "country", "archived_at")
    list_filter = ("organization", "currency", ("archived_at", admin.EmptyFieldListFilter))
    list_select_related = ("organization",)
    search_fields = ("name", "email", "tax_id")
    date_hierarchy = "created_at"
    readonly_fields = ("archived_at", "version", "created_at", "updated_at")
    actions = ["archive", "restore"]

    def get_readonly_fields(self, request, obj=None):
        # A customer's (vendor's) documents live in its organization: it cannot move to another one.
        if obj is not None:
            return ("organization", *self.readonly_fields)
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Archive selected %(verbose_name_plural)s", permissions=["write"])
    def archive(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda party: party.archive(actor=request.user),
            f"{{count}} {self.model._meta.verbose_name}(s) archived.",
        )

    @admin.action(description="Restore selected %(verbose_name_plural)s", permissions=["write"])
    def restore(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda party: party.restore(actor=request.user),
            f"{{count}} {self.model._meta.verbose_name}(s) restored.",
        )
