from customers.serializers import CustomerSerializer
from vendors.models import Vendor


# A vendor is the customer's record on the other side (spec 19): the same fields and rules.
class VendorSerializer(CustomerSerializer):
    class Meta(CustomerSerializer.Meta):
        model = Vendor
