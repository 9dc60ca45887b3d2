from customers.filters import CustomerFilterSet
from vendors.models import Vendor


class VendorFilterSet(CustomerFilterSet):
    """Spec 4's customer filters: `search`, `archived`, `currency`, `ordering`."""

    class Meta(CustomerFilterSet.Meta):
        model = Vendor
