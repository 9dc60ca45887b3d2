from rest_framework import serializers

from webhooks.models import ALL_EVENTS, EVENT_TYPES, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[*EVENT_TYPES, ALL_EVENTS]),
        allow_empty=False,
        help_text='Event types, or ["*"] for all.',
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "active", "description", "created_at"]
        read_only_fields = ["created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The create answer: the only one that shows the signing secret."""

    secret = serializers.CharField(read_only=True, help_text="Shown once, at creation.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "response_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields
