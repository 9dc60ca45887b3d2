"""What the payments tests share: a finance actor, a customer, and two of its sent invoices
(100.00 and 50.00) for its payments, receipts and credit to settle."""

import pytest

from customers.tests.factories import CustomerFactory
from invoices.tests.factories import InvoiceFactory


@pytest.fixture
def actor(finance_user):
    return finance_user


@pytest.fixture
def customer(organization):
    return CustomerFactory(organization=organization)


@pytest.fixture
def invoices(organization, customer):
    return [
        InvoiceFactory(organization=organization, customer=customer, sent=True, total=total)
        for total in ("100.00", "50.00")
    ]
