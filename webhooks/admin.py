from django.contrib import admin

from accounts.models import ADMIN_ONLY
from fintrack.admin import ReadOnlyOrganizationScopedAdmin, organization_ids
from webhooks.models import WebhookDelivery, WebhookEndpoint


class AdminsOnly:
    """Webhooks are the organization admins' business, reads included (spec 16)."""

    write_roles = ADMIN_ONLY

    def can_read(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        readable = organization_ids(request, ADMIN_ONLY)
        return bool(readable) if obj is None else bool(self.organizations_of(obj) & readable)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return self.scope(queryset, organization_ids(request, ADMIN_ONLY))


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AdminsOnly, ReadOnlyOrganizationScopedAdmin):
    list_display = ("url", "active", "events", "failing_since", "disabled_at", "created_at")
    list_filter = ("active", "organization")
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AdminsOnly, ReadOnlyOrganizationScopedAdmin):
    organization_field = "endpoint__organization"
    list_display = (
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type")
    exclude = ("lease_token", "lease_until")
    actions = ["retry"]

    def organizations_of(self, obj) -> set[int]:
        return {obj.endpoint.organization_id}

    def has_write_permission(self, request):
        return self.can_write(request)

    @admin.action(description="Retry the selected deliveries now", permissions=["write"])
    def retry(self, request, queryset):
        done = 0
        for delivery in queryset.select_related("endpoint"):
            if self.can_write(request, delivery) and delivery.endpoint.active:
                delivery.retry()
                done += 1
        self.message_user(request, f"{done} deliveries will be retried now.")
