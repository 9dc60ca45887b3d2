from django.contrib import admin

from customers.admin import CustomerAdmin, CustomerAdminForm
from vendors.models import Vendor


class VendorAdminForm(CustomerAdminForm):
    class Meta(CustomerAdminForm.Meta):
        model = Vendor


@admin.register(Vendor)
class VendorAdmin(CustomerAdmin):
    """Vendors are archived, never deleted: their bills and expenses keep pointing at them."""

    form = VendorAdminForm
