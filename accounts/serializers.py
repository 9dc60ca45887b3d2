"""Serializers of spec 2. Passwords are write-only everywhere and never rendered."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import (
    REMINDER_DAY_LIMIT,
    STRIPE_SECRET_FIELDS,
    Membership,
    Organization,
    Role,
    User,
    validate_reminder_days,
)
from api.fields import CurrencyField
from core.tax_ids import clean_party_numbers

# More reminders than this would e-mail a customer every few days; also bounds the payload.
MAX_REMINDER_STAGES = 20


class UserSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name"]
        read_only_fields = fields


class OrganizationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]
        read_only_fields = fields


class RegisteredOrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "base_currency"]
        read_only_fields = fields


class RegisterInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    name = serializers.CharField(max_length=150)
    organization_name = serializers.CharField(max_length=200)
    base_currency = CurrencyField()

    def validate_email(self, value):
        value = value.lower()
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError(
                "A user with this e-mail address already exists.", code="unique"
            )
        return value

    def validate(self, attrs):
        # The unsaved user lets UserAttributeSimilarityValidator compare against e-mail/name.
        candidate = User(email=attrs["email"], name=attrs["name"])
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisterResponseSerializer(TokenPairSerializer):
    user = UserSummarySerializer()
    organization = RegisteredOrganizationSerializer()


class LogoutInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


class MeMembershipSerializer(serializers.ModelSerializer):
    organization = OrganizationSummarySerializer()

    class Meta:
        model = Membership
        fields = ["organization", "role"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    memberships = MeMembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name", "email_verified", "memberships"]
        read_only_fields = fields


class OrganizationSerializer(serializers.ModelSerializer):
    """The current organization's settings; model validators check zone, locale, country."""

    base_currency = CurrencyField()
    reminder_days = serializers.ListField(
        # The model's rule (`validate_reminder_days`) runs as is; the child's bounds are the
        # same constant, so an out-of-range day is still named by its index.
        child=serializers.IntegerField(min_value=-REMINDER_DAY_LIMIT, max_value=REMINDER_DAY_LIMIT),
        max_length=MAX_REMINDER_STAGES,
        validators=[validate_reminder_days],
        help_text="Days relative to the due date on which reminders are sent.",
    )

    # Write-only (spec 15): stored encrypted, never shown; "" disconnects.
    stripe_secret_key = serializers.RegexField(
        r"^(sk|rk)_(test|live)_[A-Za-z0-9]+$",
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="The Stripe account's secret (or restricted) API key; write-only.",
    )
    stripe_webhook_secret = serializers.RegexField(
        r"^whsec_[A-Za-z0-9+/=]+$",
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="The signing secret of the Stripe webhook endpoint; write-only.",
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "base_currency",
            "invoice_prefix",
            "credit_note_prefix",
            "payment_terms_days",
            "reminder_days",
            "time_zone",
            "locale",
            "address_line1",
            "address_line2",
            "city",
            "postal_code",
            "region",
            "country",
            "tax_id",
            "email",
            "iban",
            "bic",
            "payment_instructions",
            "stripe_secret_key",
            "stripe_webhook_secret",
        ]

    def validate_reminder_days(self, value):
        return sorted(value)

    def validate(self, attrs):
        # The tax id (against the country), IBAN and BIC: 400 invalid_tax_id / invalid_iban
        # / invalid_bic naming the field (spec 18).
        return {**attrs, **clean_party_numbers(self.instance, attrs)}

    def update(self, instance, validated_data):
        secrets = {
            name: validated_data.pop(name)
            for name in STRIPE_SECRET_FIELDS
            if name in validated_data
        }
        # Encrypted first: without FIELD_ENCRYPTION_KEY the request is refused before
        # anything is set.
        secret_fields = instance.set_stripe_secrets(**secrets)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        # Only the fields this request changed are written, so two admins editing different
        # settings at the same time do not overwrite each other.
        instance.save(update_fields=[*validated_data, *secret_fields, "updated_at"])
        return instance


class MembershipSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]
        read_only_fields = fields


class MembershipCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)


class MembershipUpdateInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


def validated_password(password, user):
    """Django's password validators (spec 2) for `user`: a 400 on `new_password` with every
    reason."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise serializers.ValidationError({"new_password": list(error.messages)}) from error
    return password


def password_field():
    return serializers.CharField(
        write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = password_field()
    new_password = password_field()


class PasswordResetInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token from the e-mailed link.")
    new_password = password_field()


class VerificationCodeField(serializers.RegexField):
    """Six ASCII digits, as a string: a JSON number would lose leading zeros."""

    def __init__(self, **kwargs):
        super().__init__(r"^[0-9]{6}$", max_length=6, min_length=6, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class VerifyEmailInputSerializer(serializers.Serializer):
    code = VerificationCodeField(help_text="The 6-digit code e-mailed, as a string.")


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()
