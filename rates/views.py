"""Exchange rates (spec 10): the organization's own rows and the global ones."""

from django.db import IntegrityError, transaction
from rest_framework import mixins, viewsets

from accounts.models import ADMIN_ONLY, ALL_ROLES
from api.tenancy import OrganizationScopedMixin
from rates import serializers
from rates.exceptions import DuplicateRate
from rates.filters import ExchangeRateFilterSet
from rates.models import ExchangeRate


class ExchangeRateViewSet(
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Global rates plus the organization's own; only admins write (their own rows)."""

    queryset = ExchangeRate.objects.all()
    serializer_class = serializers.ExchangeRateSerializer
    filterset_class = ExchangeRateFilterSet
    read_roles = ALL_ROLES
    write_roles = ADMIN_ONLY

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExchangeRate.objects.none()
        # Not the kernel's plain organization filter: global rows (NULL) are visible to
        # every organization, its own rows only to itself.
        return ExchangeRate.objects.visible_to(self.organization)

    def perform_create(self, serializer):
        try:
            with transaction.atomic():
                serializer.save(organization=self.organization, created_by=self.request.user)
        except IntegrityError:
            raise DuplicateRate() from None
