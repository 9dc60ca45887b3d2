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
    """Customers are archived, never deleted: their invoices keep pointing at them."""

    form = CustomerAdminForm
    list_display = ("name", "organization", "email", "currency", "country", "archived_at")
    list_filter = ("organization", "currency", ("archived_at", admin.EmptyFieldListFilter))
    list_select_related = ("organization",)
    search_fields = ("name", "email", "tax_id")
    date_hierarchy = "created_at"
    readonly_fields = ("archived_at", "version", "created_at", "updated_at")
    actions = ["archive", "restore"]

    def get_readonly_fields(self, request, obj=None):
        # A customer's invoices live in its organization: it cannot move to another one.
        if obj is not None:
            return ("organization", *self.readonly_fields)
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Archive selected customers", permissions=["write"])
    def archive(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda customer: customer.archive(actor=request.user),
            "{count} customer(s) archived.",
        )

    @admin.action(description="Restore selected customers", permissions=["write"])
    def restore(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda customer: customer.restore(actor=request.user),
            "{count} customer(s) restored.",
        )
