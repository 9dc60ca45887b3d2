from django.contrib import admin

from emails.models import EmailMessage
from fintrack.admin import ReadOnlyOrganizationScopedAdmin


@admin.register(EmailMessage)
class EmailMessageAdmin(ReadOnlyOrganizationScopedAdmin):
    """The e-mail log (spec 16): what was sent to whom, and how it went."""

    list_display = ("created_at", "kind", "to", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "kind", "organization")
    search_fields = ("to", "subject", "invoice__number")
    date_hierarchy = "created_at"
    exclude = ("lease_token", "lease_until")
