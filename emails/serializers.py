from rest_framework import serializers

from emails.models import EmailMessage


class EmailMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = EmailMessage
        fields = [
            "id",
            "to",
            "subject",
            "kind",
            "invoice",
            "status",
            "attempts",
            "last_error",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields
