"""Customer events in the outbox (spec 16), written by every path that saves a customer."""

import pytest

from accounts.models import Role
from core.models import OutboxEvent
from customers.models import Customer
from customers.serializers import CustomerSerializer


def payloads(event_type):
    rows = OutboxEvent.objects.filter(type=event_type).order_by("created_at")
    return [event.payload for event in rows]


@pytest.mark.django_db
def test_creating_and_updating_a_customer_through_the_api_write_their_events(
    api, user_in, organization
):
    client = api(user_in(Role.FINANCE, organization), organization)

    created = client.post("/api/v1/customers/", {"name": "Initech", "email": "ap@initech.test"})
    customer_id = created.json()["id"]
    updated = client.patch(f"/api/v1/customers/{customer_id}/", {"name": "Initech Ltd"})

    assert created.status_code == 201 and updated.status_code == 200
    assert payloads("customer.created") == [created.json()]
    assert payloads("customer.updated") == [updated.json()]


@pytest.mark.django_db
def test_archiving_a_customer_is_an_update_event(organization, finance_user):
    customer = Customer.objects.create(organization=organization, name="Globex")

    customer.archive(actor=finance_user)

    [archived] = payloads("customer.updated")
    assert archived == CustomerSerializer(Customer.objects.get(pk=customer.pk)).data
    assert archived["archived_at"] is not None
