from decimal import Decimal

from accounts.models import User
from bills.models import Bill
from vendors.tests.factories import VendorFactory


def make_bill(organization, *, total="100.00", approved=False, vendor=None, number=None, **fields):
    """A bill of one line worth `total` (no tax), a draft or, with `approved`, approved."""
    vendor = vendor or VendorFactory(organization=organization, currency=organization.base_currency)
    actor = User.objects.system_actor()
    bill = Bill.create_draft(
        organization=organization,
        vendor=vendor,
        actor=actor,
        number=number or f"V-{Bill.objects.count() + 1}",
        lines=[{"description": "Supplies", "quantity": Decimal("1"), "unit_price": Decimal(total)}],
        **fields,
    )
    if approved:
        bill.approve(actor=actor)
    return bill
