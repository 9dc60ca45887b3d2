"""The savings of the pay path keep their guarantees: the version check inside the UPDATE,
savepoints only outside the request-wide transaction, a lock reused only where it holds."""

import pytest
from django.db import transaction

from core.errors import ConcurrentModification
from core.transactions import (
    atomic_step,
    current_request_transaction,
    is_locked,
    mark_locked,
    request_wide_transaction,
)
from customers.models import Customer
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_stale_save_leaves_the_version_it_had_and_the_callers_transaction_usable(
    organization,
):
    customer = CustomerFactory(organization=organization, name="Original")
    Customer.objects.get(pk=customer.pk).save()  # another writer: version 2
    customer.name = "Stale"
    with transaction.atomic():
        with pytest.raises(ConcurrentModification):
            customer.save()
        assert customer.version == 1
        # The refusal rolled back only its savepoint: the caller may go on.
        assert Customer.objects.get(pk=customer.pk).name == "Original"


def test_saving_a_row_deleted_meanwhile_is_a_lost_race_never_an_insert(organization):
    customer = CustomerFactory(organization=organization, name="Gone")
    Customer.objects.filter(pk=customer.pk).delete()
    customer.name = "Back"
    with pytest.raises(ConcurrentModification):
        customer.save()
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_atomic_step_is_a_savepoint_only_outside_the_request_wide_transaction():
    assert current_request_transaction() is None
    assert atomic_step().savepoint is True
    with request_wide_transaction():
        assert atomic_step().savepoint is False
    assert atomic_step().savepoint is True


def test_a_lock_counts_only_in_the_request_transaction_that_took_it(organization):
    customer = CustomerFactory(organization=organization)
    mark_locked(customer)  # outside a request transaction: nothing is known to be held
    assert not is_locked(customer)
    with request_wide_transaction():
        mark_locked(customer)
        assert is_locked(customer)
        assert customer.lock() is customer
    assert not is_locked(customer)
    with request_wide_transaction():
        assert not is_locked(customer)  # another transaction: the lock was released
        assert customer.lock() is not customer
