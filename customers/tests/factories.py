import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import OrganizationFactory
from customers.models import Customer


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"billing{n}@customer.example")
