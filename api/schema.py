from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
)
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import (
    ClientErrorEnum,
    ServerErrorEnum,
    ValidationErrorEnum,
)
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.viewsets import ViewSetMixin
from rest_framework_simplejwt.views import TokenViewBase

from accounts.exceptions import EmailNotVerified
from api.idempotency import is_never_stored_path
from api.tenancy import ORGANIZATION_HEADER, OrganizationScopedMixin
from core.money import NUMBER_PATTERN, SIGNED_NUMBER_PATTERN

# Spec 11: every POST may carry one (see api/idempotency.py).
IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Optional, up to 255 characters. Repeating a POST with the same key (same "
    "user and organization) replays the first response with `Idempotent-Replayed: true`; "
    "another path or body is 422 `idempotency_key_reused`; while the first is still "
    "running, 409 `idempotency_key_in_use`. Keys are kept 24 hours. Not stored, so a "
    "retry runs again: 401, 409 `concurrent_modification`/`idempotency_key_in_use`, 412, "
    "429 and 5xx. Ignored on anonymous requests.",
    # What IdempotencyMiddleware accepts (else 400 `invalid_idempotency_key`): 1-255
    # characters Python calls printable (Latin-1, as headers are), no surrounding space.
    pattern=r"^[^\x00-\x20\x7f-\xa0\xad](?:[^\x00-\x1f\x7f-\xa0\xad]{0,253}[^\x00-\x20\x7f-\xa0\xad])?$",
)


class JWTScheme(SimpleJWTScheme):
    """Our JWT authentication is simplejwt's (it only skips a second user load): the same
    `jwtAuth` security scheme."""

    target_class = "api.authentication.JWTAuthentication"


class ErrorSerializer(serializers.Serializer):
    # Open strings on purpose: domain errors (`DomainError` with its own `code` and
    # `attr`), simplejwt's 401 codes and `organization_required` are not in the per-field
    # enums drf-standardized-errors would infer, and a documented enum the API breaks is
    # worse than none. PRODUCT.md lists the codes.
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ClientErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ErrorSerializer(many=True)


class ServerErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ServerErrorEnum.choices)
    errors = ErrorSerializer(many=True)


class RequestValidationErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ValidationErrorEnum.choices)
    errors = ErrorSerializer(many=True)


# A 400 is either a validation error (a field, a filter, `organization_required`) or a
# client error (malformed JSON, a `DomainError` without `attr`, a bad Idempotency-Key).
ERROR_RESPONSE_400 = PolymorphicProxySerializer(
    component_name="ErrorResponse400",
    serializers={
        ValidationErrorEnum.VALIDATION_ERROR.value: RequestValidationErrorResponseSerializer,
        ClientErrorEnum.CLIENT_ERROR.value: ClientErrorResponseSerializer,
    },
    resource_type_field_name="type",
)

BODY_METHODS = ("POST", "PUT", "PATCH")

# Spec 20: with EMAIL_VERIFICATION=required, the money commands' other 403.
EMAIL_NOT_VERIFIED_EXAMPLE = OpenApiExample(
    "EmailNotVerified",
    value={
        "type": "client_error",
        "errors": [
            {
                "code": EmailNotVerified.code,
                "detail": EmailNotVerified.default_message,
                "attr": None,
            }
        ],
    },
    response_only=True,
    status_codes=["403"],
)


class MoneyFieldExtension(OpenApiSerializerFieldExtension):
    """Money is a string of the one number grammar (spec 3): a client generated from the
    schema learns that "1_000.00" or "1e3" is refused before sending it. Answers may carry a
    minus (refunds and reversals are negative); requests never do."""

    target_class = "api.fields.MoneyField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        pattern = NUMBER_PATTERN if direction == "request" else SIGNED_NUMBER_PATTERN
        return {"type": "string", "format": "decimal", "pattern": pattern, "example": "10.50"}


class AutoSchema(StandardizedErrorsAutoSchema):
    """Documents the X-Organization header on every tenant-scoped endpoint, and every error
    status the kernel can answer with (drf-standardized-errors knows only DRF's own)."""

    def _get_allowed_error_status_codes(self):
        # 503 `service_unavailable` (with Retry-After): the database is unreachable.
        return [*super()._get_allowed_error_status_codes(), "409", "412", "413", "422", "503"]

    def _should_add_error_response(self, responses, status_code):
        unsafe = self.method not in SAFE_METHODS
        scoped = isinstance(self.view, OrganizationScopedMixin)
        extra = {
            # ConcurrentModification, InvalidStatus and every ConflictError; and
            # `idempotency_key_in_use` on any POST.
            "409": unsafe,
            # If-Match is checked by `OrganizationScopedMixin.get_object()`.
            "412": unsafe and scoped and self._reads_one_object(),
            "413": self.method in BODY_METHODS,
            "422": self.method == "POST",  # idempotency_key_reused
        }
        if not extra.get(status_code, True):
            return False
        return super()._should_add_error_response(responses, status_code)

    def _reads_one_object(self):
        if isinstance(self.view, ViewSetMixin):
            return bool(getattr(self.view, "detail", False))
        return True

    def _should_add_http401_error_response(self):
        # simplejwt's token views authenticate nobody, yet answer bad credentials or a
        # bad refresh token with 401.
        return isinstance(self.view, TokenViewBase) or super()._should_add_http401_error_response()

    def _get_error_response_serializer(self, status_code):
        if status_code == "400":
            return ERROR_RESPONSE_400
        if status_code in ("401", "403", "409", "412", "413", "422"):
            # 401 codes are simplejwt's (`token_not_valid`, `no_active_account`, ...); 403
            # is `permission_denied` or `email_not_verified` (spec 20).
            return ClientErrorResponseSerializer
        if status_code == "503":
            return ServerErrorResponseSerializer
        return super()._get_error_response_serializer(status_code)

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        # An error status a view declares by its codes alone (`OpenApiResponse(description=
        # "`already_matched`")`) still answers in the one error shape: document that body,
        # or a client generated from the schema cannot read the code the description names.
        if (
            direction == "response"
            and isinstance(serializer, OpenApiResponse)
            and serializer.response is None
            and str(status_code)[:1] in ("4", "5")
        ):
            body = self._get_error_response_serializer(str(status_code))
            if body is not None:
                serializer = OpenApiResponse(
                    body, description=serializer.description, examples=serializer.examples
                )
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _get_error_response_examples(self):
        examples = super()._get_error_response_examples()
        if self._is_money_command():
            examples = [*examples, EMAIL_NOT_VERIFIED_EXAMPLE]
        return examples

    def _is_money_command(self):
        action = getattr(self.view, "action", None)
        return action in getattr(self.view, "money_actions", ())

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if isinstance(self.view, OrganizationScopedMixin):
            parameters = [ORGANIZATION_HEADER, *parameters]
        # Anonymous requests ignore the header, so endpoints that authenticate nobody
        # (password reset) do not offer it.
        if (
            self.method == "POST"
            and not is_never_stored_path(self.path)
            and self.view.authentication_classes
        ):
            parameters = [*parameters, IDEMPOTENCY_KEY_HEADER]
        return parameters
