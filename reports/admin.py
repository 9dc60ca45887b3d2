from django.contrib import admin

from reports.models import ExchangeRate


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Global rates come from `import_rates`; staff see them and their organizations' own
    rows, and only superusers may change global ones."""

    list_display = ["base", "quote", "rate", "effective_date", "organization", "source"]
    list_filter = ["base", "quote", "source", ("organization", admin.EmptyFieldListFilter)]
    search_fields = ["base", "quote", "source", "organization__name"]
    date_hierarchy = "effective_date"
    readonly_fields = ["created_by", "created_at"]
    list_select_related = ["organization"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(organization__isnull=True) | queryset.filter(
            organization__memberships__user=request.user
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization" and not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model.objects.filter(
                memberships__user=request.user
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.organization_id is None and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
