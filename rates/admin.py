from django.contrib import admin

from accounts.models import ADMIN_ONLY
from fintrack.admin import OrganizationScopedAdminMixin, organization_ids
from rates.models import ExchangeRate


@admin.register(ExchangeRate)
class ExchangeRateAdmin(OrganizationScopedAdminMixin, admin.ModelAdmin):
    """Global rates come from `import_rates`; staff see them and their organizations' own
    rows, write their organizations' rows as admins (the API's role matrix), and only
    superusers may change global ones."""

    list_display = ["base", "quote", "rate", "effective_date", "organization", "source"]
    list_filter = ["base", "quote", "source", ("organization", admin.EmptyFieldListFilter)]
    search_fields = ["base", "quote", "source", "organization__name"]
    date_hierarchy = "effective_date"
    readonly_fields = ["created_by", "created_at"]
    list_select_related = ["organization"]
    write_roles = ADMIN_ONLY

    def scope(self, queryset, org_ids):
        return queryset.filter(organization__isnull=True) | queryset.filter(
            organization__in=org_ids
        )

    def can_read(self, request, obj=None) -> bool:
        # A global rate is readable by every member of any organization.
        if obj is not None and obj.organization_id is None:
            return request.user.is_superuser or bool(organization_ids(request))
        return super().can_read(request, obj)

    def can_write(self, request, obj=None) -> bool:
        if obj is not None and obj.organization_id is None:
            return request.user.is_superuser
        return super().can_write(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # An empty organization would make a global rate, which only superusers write.
        if not request.user.is_superuser and "organization" in form.base_fields:
            form.base_fields["organization"].required = True
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
