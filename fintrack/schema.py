from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema

from fintrack.api import ORGANIZATION_HEADER, OrganizationScopedMixin

# Spec 11: every POST may carry one (see fintrack/idempotency.py).
IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Optional, up to 255 characters. Repeating a POST with the same key (same "
    "user and organization) replays the first response with `Idempotent-Replayed: true`; "
    "another path or body is 422 `idempotency_key_reused`; while the first is still "
    "running, 409 `idempotency_key_in_use`. Keys are kept 24 hours.",
)


class AutoSchema(StandardizedErrorsAutoSchema):
    """Documents the X-Organization header on every tenant-scoped endpoint."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if isinstance(self.view, OrganizationScopedMixin):
            parameters = [ORGANIZATION_HEADER, *parameters]
        if self.method == "POST":
            parameters = [*parameters, IDEMPOTENCY_KEY_HEADER]
        return parameters
