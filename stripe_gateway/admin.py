from django.contrib import admin

from fintrack.admin import ReadOnlyOrganizationScopedAdmin
from stripe_gateway.models import StripeEvent, StripePayment, StripeRefund


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyOrganizationScopedAdmin):
    """Every Stripe event handled, once each (spec 15)."""

    list_display = ("received_at", "type", "event_id", "outcome")
    list_filter = ("outcome", "type", "organization")
    search_fields = ("event_id",)
    date_hierarchy = "received_at"


@admin.register(StripePayment)
class StripePaymentAdmin(ReadOnlyOrganizationScopedAdmin):
    """Money of each PaymentIntent: its card payment and what went to the customer's credit."""

    list_display = ("created_at", "payment_intent", "invoice", "currency", "amount", "credited")
    list_filter = ("organization",)
    search_fields = ("payment_intent", "invoice__number")
    date_hierarchy = "created_at"


@admin.register(StripeRefund)
class StripeRefundAdmin(ReadOnlyOrganizationScopedAdmin):
    """Refunds made in Stripe, one per refund id."""

    list_display = ("created_at", "stripe_refund_id", "stripe_payment", "amount", "from_credit")
    list_filter = ("organization",)
    search_fields = ("stripe_refund_id", "stripe_payment__payment_intent")
    date_hierarchy = "created_at"
