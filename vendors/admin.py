from django.contrib import admin

from customers.admin import CustomerAdminForm, PartyAdmin
from vendors.models import Vendor


class VendorAdminForm(CustomerAdminForm):
    class Meta(CustomerAdminForm.Meta):
        model = Vendor


@admin.register(Vendor)
class VendorAdmin(PartyAdmin):
    """Vendors are archived, never deleted: their bills and expenses keep pointing at them."""

    form = VendorAdminForm
