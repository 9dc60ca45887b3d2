from rest_framework import serializers

from stripe_gateway.models import StripeEvent
from stripe_gateway.receiving import DUPLICATE


class PaymentLinkInputSerializer(serializers.Serializer):
    success_url = serializers.URLField(
        required=False,
        max_length=2000,
        help_text="Where Stripe sends the payer after paying (default: the server's "
        "STRIPE_CHECKOUT_RETURN_URL).",
    )
    cancel_url = serializers.URLField(
        required=False,
        max_length=2000,
        help_text="Where Stripe sends a payer who goes back without paying.",
    )


class PaymentLinkSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The Stripe Checkout page for the balance due.")
    expires_at = serializers.DateTimeField(help_text="When Stripe stops accepting the link.")


class StripeEventReceivedSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    outcome = serializers.ChoiceField(
        choices=[*StripeEvent.Outcome.values, DUPLICATE],
        help_text="`duplicate`: this event id was already handled; nothing changed.",
    )
