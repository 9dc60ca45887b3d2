"""The outbox (spec 16): events commit with their change, leases and the relay."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from core.models import OutboxEvent, OutboxStatus
from core.outbox import claim_due, emit, relay, take
from invoices.tests.factories import InvoiceFactory
from payments.exceptions import Overpayment
from payments.models import Payment


def events(type_=None):
    rows = OutboxEvent.objects.order_by("created_at")
    return list(rows.filter(type=type_) if type_ else rows)


@pytest.mark.django_db
def test_an_event_is_written_in_the_transaction_of_its_change_and_handed_on_after_commit(
    organization, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="50.00")
    with django_capture_on_commit_callbacks(execute=True):
        payment = Payment.pay(
            invoice, amount="10.00", method="cash", actor=User.objects.system_actor()
        )
        [event] = events("payment.created")
        # Before the commit the event exists, leased to its own hand-off.
        assert event.status == OutboxStatus.PENDING and event.lease_token is not None

    event.refresh_from_db()
    assert event.status == OutboxStatus.DONE  # the embedded consumer ran after the commit
    assert event.organization_id == organization.pk
    assert event.payload["id"] == payment.pk and event.payload["amount"] == "10.00"


@pytest.mark.django_db
def test_a_refused_change_leaves_no_event(organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="50.00")
    before = OutboxEvent.objects.count()

    with pytest.raises(Overpayment):
        Payment.pay(invoice, amount="60.00", method="cash", actor=User.objects.system_actor())

    assert OutboxEvent.objects.count() == before


@pytest.mark.django_db
def test_an_event_of_a_rolled_back_transaction_never_exists(organization):
    with pytest.raises(RuntimeError), transaction.atomic():
        emit("customer.updated", organization_id=organization.pk, data={"id": 1})
        raise RuntimeError("the change failed after the event was written")

    assert not OutboxEvent.objects.filter(type="customer.updated", payload={"id": 1}).exists()


@pytest.mark.django_db
def test_an_event_with_a_key_is_written_once(organization):
    first = emit("invoice.overdue", organization_id=organization.pk, data={}, key="k:1")
    second = emit("invoice.overdue", organization_id=organization.pk, data={}, key="k:1")

    assert first is not None and second is None
    assert OutboxEvent.objects.filter(key="k:1").count() == 1


@pytest.mark.django_db
def test_the_relay_leaves_a_row_alone_while_its_lease_holds_and_claims_it_once_it_expires(
    organization,
):
    # A hand-off that never ran: the process died between the commit and the broker.
    event = emit("customer.created", organization_id=organization.pk, data={})
    now = timezone.now()

    assert claim_due(OutboxEvent, now=now) == []
    [(pk, token)] = claim_due(OutboxEvent, now=event.lease_until + timedelta(seconds=1))

    assert pk == event.pk and token != event.lease_token
    # The first hand-off, if it turns up late, finds its lease gone and does nothing.
    assert take(OutboxEvent, event.pk, event.lease_token) is None
    assert take(OutboxEvent, pk, token) is not None


@pytest.mark.django_db
def test_run_outbox_hands_on_what_no_hand_off_handled(organization, time_machine):
    event = emit("customer.created", organization_id=organization.pk, data={})
    time_machine.move_to(event.lease_until + timedelta(seconds=1))

    call_command("run_outbox")

    event.refresh_from_db()
    assert event.status == OutboxStatus.DONE and event.done_at is not None
    assert relay() == {label: 0 for label in relay()}  # nothing left to hand on


@pytest.mark.django_db
def test_the_api_writes_the_event_with_the_answer(api, user_in, organization):
    client = api(user_in(Role.FINANCE, organization), organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="20.00")

    response = client.post(
        f"/api/v1/invoices/{invoice.pk}/pay/", {"amount": "20.00", "method": "cash"}
    )

    assert response.status_code == 201
    [created] = events("payment.created")
    [paid] = events("invoice.paid")
    assert created.payload == response.json()
    assert paid.payload["status"] == "paid" and paid.payload["balance_due"] == "0.00"


@pytest.fixture
def unreachable_broker(settings):
    """A broker nobody listens on: every publish fails."""
    from fintrack.celery import app

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    previous = app.conf.broker_url
    app.conf.broker_url = settings.CELERY_BROKER_URL
    app.pool.force_close_all()
    app._pool = None
    yield
    app.conf.broker_url = previous
    app.pool.force_close_all()
    app._pool = None


@pytest.mark.django_db
def test_a_hand_off_the_broker_refused_is_handed_on_by_the_relay_once_the_lease_ends(
    organization,
    unreachable_broker,
    settings,
    time_machine,
    caplog,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        event = emit("customer.created", organization_id=organization.pk, data={})

    assert "outbox.hand_off_failed" in caplog.text  # logged, never raised to the caller
    event.refresh_from_db()
    assert event.status == OutboxStatus.PENDING
    settings.CELERY_BROKER_URL = ""  # the broker is back (here: the embedded mode)
    time_machine.move_to(event.lease_until + timedelta(seconds=1))
    call_command("run_outbox")
    event.refresh_from_db()
    assert event.status == OutboxStatus.DONE
