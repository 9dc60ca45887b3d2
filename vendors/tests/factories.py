import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import OrganizationFactory
from vendors.models import Vendor


class VendorFactory(DjangoModelFactory):
    class Meta:
        model = Vendor

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Vendor {n}")
    email = factory.Sequence(lambda n: f"billing{n}@vendor.example")
