from django.urls import path
from rest_framework.routers import SimpleRouter

from stripe_gateway.views import InvoicePaymentLinkViewSet, StripeWebhookView

router = SimpleRouter()
# Only the detail action: the invoices app owns `invoices/{pk}/` itself.
router.register("invoices", InvoicePaymentLinkViewSet, basename="invoice-payment-link")
urlpatterns = router.urls

# Outside /api/v1/: Stripe, not an API client, calls it.
webhook_urlpatterns = [
    path(
        "webhooks/stripe/<int:organization_id>/",
        StripeWebhookView.as_view(),
        name="stripe-webhook",
    ),
]
