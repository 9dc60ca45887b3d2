from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema

from fintrack.api import ORGANIZATION_HEADER, OrganizationScopedMixin


class AutoSchema(StandardizedErrorsAutoSchema):
    """Documents the X-Organization header on every tenant-scoped endpoint."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if isinstance(self.view, OrganizationScopedMixin):
            parameters = [ORGANIZATION_HEADER, *parameters]
        return parameters
