from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.tenancy import OrganizationViewSet
from customers.filters import CustomerFilterSet
from customers.models import Customer
from customers.serializers import CustomerSerializer


class CustomerViewSet(OrganizationViewSet):
    """Customers of the current organization. DELETE archives (soft delete)."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet

    def filter_queryset(self, queryset):
        # Filters (and the default "active only") shape lists; by id a customer stays
        # readable whatever its state (spec 4: archived customers stay readable by id).
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    def perform_create(self, serializer):
        serializer.save(organization=self.organization)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        customer = self.get_object()
        customer.archive(actor=request.user, expected_version=self.expected_version(customer))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: CustomerSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        customer = self.get_object()
        customer.restore(actor=request.user, expected_version=self.expected_version(customer))
        return Response(self.get_serializer(customer).data)
