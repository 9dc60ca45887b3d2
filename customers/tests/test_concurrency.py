"""A write that loses a race is 409 concurrent_modification, never a lost update (spec 5.3)."""

import threading

import pytest

from core.errors import ConcurrentModification
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from customers.views import CustomerViewSet
from fintrack.tests.helpers import error_code
from fintrack.tests.races import raised, run_in_threads

URL = "/api/v1/customers/"


@pytest.mark.django_db
def test_saving_a_stale_instance_raises_concurrent_modification(organization):
    customer = CustomerFactory(organization=organization, name="Original")
    first = Customer.objects.get(pk=customer.pk)
    stale = Customer.objects.get(pk=customer.pk)
    first.name = "First"
    first.save()
    stale.name = "Stale"
    with pytest.raises(ConcurrentModification):
        stale.save()
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("First", 2)


@pytest.mark.django_db
def test_api_write_that_lost_a_race_is_409_and_keeps_the_winners_change(
    admin_api, organization, monkeypatch
):
    customer = CustomerFactory(organization=organization, name="Original")
    original_get_object = CustomerViewSet.get_object

    def get_object_then_another_writer_commits(self):
        obj = original_get_object(self)
        winner = Customer.objects.get(pk=obj.pk)
        winner.name = "Winner"
        winner.save()
        return obj

    monkeypatch.setattr(CustomerViewSet, "get_object", get_object_then_another_writer_commits)
    response = admin_api.patch(f"{URL}{customer.pk}/", {"name": "Loser"})
    assert response.status_code == 409
    assert error_code(response) == "concurrent_modification"
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("Winner", 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_patches_one_wins_the_other_gets_409(
    api, admin_user, organization, monkeypatch
):
    customer = CustomerFactory(organization=organization, name="Original")
    both_have_read = threading.Barrier(2, timeout=10)
    original_get_object = CustomerViewSet.get_object

    def get_object_and_wait_for_the_other_reader(self):
        obj = original_get_object(self)
        # Both requests hold version 1 before either writes: a genuine lost-update race.
        both_have_read.wait()
        return obj

    monkeypatch.setattr(CustomerViewSet, "get_object", get_object_and_wait_for_the_other_reader)

    def patch(name):
        response = api(admin_user).patch(f"{URL}{customer.pk}/", {"name": name})
        return response.status_code, name, response.json()

    results = run_in_threads(patch, ["A", "B"])
    assert raised(results) == []

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200, 409]
    winner = next(name for status, name, _ in results if status == 200)
    loser_body = next(body for status, _, body in results if status == 409)
    assert loser_body["errors"][0]["code"] == "concurrent_modification"
    customer.refresh_from_db()
    assert (customer.name, customer.version) == (winner, 2)
