from customers.views import CustomerViewSet
from vendors.filters import VendorFilterSet
from vendors.models import Vendor
from vendors.serializers import VendorSerializer


class VendorViewSet(CustomerViewSet):
    """Vendors of the current organization. DELETE archives (soft delete)."""

    queryset = Vendor.objects.all()
    serializer_class = VendorSerializer
    filterset_class = VendorFilterSet
