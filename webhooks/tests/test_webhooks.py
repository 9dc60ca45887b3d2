"""Outbound webhooks (spec 16): endpoints, signed deliveries to a real receiver, backoff,
the 3-day rule and the SSRF rules. Time is driven by an injected clock, never slept."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role, User
from core.models import OutboxEvent
from emails.models import EmailKind, EmailMessage
from fintrack.tests.helpers import error_code
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment
from webhooks.models import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from webhooks.tests.receiver import Receiver

DELIVERY_FIELDS = {
    "id",
    "event_id",
    "event_type",
    "status",
    "attempts",
    "response_code",
    "last_error",
    "next_attempt_at",
    "delivered_at",
    "created_at",
}


@pytest.fixture
def private_networks(settings):
    # The receivers listen on 127.0.0.1, which production refuses.
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def endpoint(private_networks, receiver, organization):
    endpoint = WebhookEndpoint.create(organization=organization, url=receiver.url, events=["*"])
    receiver.secret = endpoint.secret
    return endpoint


def pay(invoice, amount, capture):
    with capture(execute=True):
        return Payment.pay(invoice, amount=amount, method="cash", actor=User.objects.system_actor())


def delivery_of(endpoint, event_type):
    return WebhookDelivery.objects.get(endpoint=endpoint, event_type=event_type)


@pytest.mark.django_db
def test_an_event_is_posted_signed_and_recorded_delivered(
    endpoint, receiver, organization, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="30.00")
    payment = pay(invoice, "30.00", django_capture_on_commit_callbacks)

    types = [event_type for _, event_type, _, _ in receiver.received]
    assert types == ["payment.created", "invoice.paid"]
    assert all(valid for _, _, valid, _ in receiver.received)
    event_id, _, _, body = receiver.received[0]
    event = OutboxEvent.objects.get(pk=event_id)
    assert body == {
        "id": event_id,
        "type": "payment.created",
        "created": int(event.created_at.timestamp()),
        "organization": organization.pk,
        "data": event.payload,
    }
    assert body["data"]["id"] == payment.pk
    delivery = delivery_of(endpoint, "payment.created")
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)


@pytest.mark.django_db
def test_a_receiver_checking_with_another_secret_refuses_and_the_delivery_is_retried(
    endpoint, receiver, organization, django_capture_on_commit_callbacks
):
    receiver.secret = "whsec_not-the-endpoints"
    invoice = InvoiceFactory(organization=organization, sent=True, total="30.00")
    pay(invoice, "10.00", django_capture_on_commit_callbacks)

    assert [valid for _, _, valid, _ in receiver.received] == [False]
    delivery = delivery_of(endpoint, "payment.created")
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.PENDING, 400)


@pytest.mark.django_db
def test_an_endpoint_gets_only_the_events_it_subscribed_to(
    private_networks, receiver, organization, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpoint.create(
        organization=organization, url=receiver.url, events=["invoice.paid"]
    )
    receiver.secret = endpoint.secret
    invoice = InvoiceFactory(organization=organization, sent=True, total="30.00")

    pay(invoice, "10.00", django_capture_on_commit_callbacks)
    pay(invoice, "20.00", django_capture_on_commit_callbacks)

    assert [event_type for _, event_type, _, _ in receiver.received] == ["invoice.paid"]


@pytest.mark.django_db
def test_failures_back_off_exponentially_for_more_than_24_hours_then_fail(
    endpoint, receiver, organization, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    receiver.answers = [500] * MAX_ATTEMPTS
    invoice = InvoiceFactory(organization=organization, sent=True, total="30.00")
    endpoint.events = ["payment.created"]
    endpoint.save()
    first = timezone.now()
    pay(invoice, "10.00", django_capture_on_commit_callbacks)
    delivery = delivery_of(endpoint, "payment.created")

    waits = []
    while delivery.status == DeliveryStatus.PENDING:
        assert (delivery.response_code, delivery.last_error) == (500, "The receiver answered 500.")
        waits.append(delivery.next_attempt_at - timezone.now())
        call_command("run_outbox")  # not due yet: nothing happens
        assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == delivery.attempts
        time_machine.move_to(delivery.next_attempt_at)
        call_command("run_outbox")
        delivery.refresh_from_db()

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS >= 6
    assert waits == list(RETRY_DELAYS)
    assert all(later >= earlier for earlier, later in pairwise(waits))
    assert timezone.now() - first >= timedelta(hours=24)
    assert len(receiver.received) == MAX_ATTEMPTS


@pytest.mark.django_db
def test_an_endpoint_failing_for_3_days_is_disabled_and_its_admins_are_e_mailed(
    endpoint, receiver, organization, user_in, django_capture_on_commit_callbacks, time_machine
):
    admin = user_in(Role.ADMIN, organization)
    user_in(Role.FINANCE, organization)
    time_machine.move_to(timezone.now(), tick=False)
    receiver.answers = [503] * MAX_ATTEMPTS
    endpoint.events = ["payment.created"]
    endpoint.save()
    started = timezone.now()
    pay(
        InvoiceFactory(organization=organization, sent=True),
        "10.00",
        django_capture_on_commit_callbacks,
    )
    delivery = delivery_of(endpoint, "payment.created")

    while timezone.now() - started < timedelta(days=3):
        endpoint.refresh_from_db()
        assert endpoint.active
        time_machine.move_to(delivery.next_attempt_at)
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_outbox")
        delivery.refresh_from_db()

    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at == timezone.now()
    [notice] = EmailMessage.objects.filter(kind=EmailKind.WEBHOOK_DISABLED)
    assert notice.to == admin.email and endpoint.url in notice.subject
    # Nothing more goes to a disabled endpoint.
    attempts = len(receiver.received)
    time_machine.move_to(timezone.now() + timedelta(days=2))
    call_command("run_outbox")
    assert len(receiver.received) == attempts


@pytest.mark.django_db
def test_a_success_restarts_the_3_day_count(
    endpoint, receiver, organization, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    receiver.answers = [500]
    pay(
        InvoiceFactory(organization=organization, sent=True),
        "10.00",
        django_capture_on_commit_callbacks,
    )
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None  # the payment.created try failed

    # invoice.created etc. were delivered after it (answers run out: 200).
    time_machine.move_to(timezone.now() + timedelta(minutes=1))
    call_command("run_outbox")
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.active


@pytest.mark.django_db
def test_an_admin_retries_a_failed_delivery_by_hand(
    endpoint, receiver, organization, admin_api, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    pay(
        InvoiceFactory(organization=organization, sent=True),
        "10.00",
        django_capture_on_commit_callbacks,
    )
    delivery = delivery_of(endpoint, "payment.created")
    assert delivery.status == DeliveryStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/retry/")

    assert response.status_code == 202
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


@pytest.mark.django_db
def test_the_delivery_log_has_the_specs_fields(
    endpoint, receiver, organization, admin_api, django_capture_on_commit_callbacks
):
    pay(
        InvoiceFactory(organization=organization, sent=True),
        "10.00",
        django_capture_on_commit_callbacks,
    )

    response = admin_api.get(f"/api/v1/webhook-endpoints/{endpoint.pk}/deliveries/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows and all(set(row) == DELIVERY_FIELDS for row in rows)
    assert {row["event_type"] for row in rows} >= {"payment.created"}


@pytest.mark.django_db
def test_redelivering_an_event_creates_no_second_delivery(
    endpoint, receiver, organization, django_capture_on_commit_callbacks
):
    pay(
        InvoiceFactory(organization=organization, sent=True),
        "10.00",
        django_capture_on_commit_callbacks,
    )
    event = OutboxEvent.objects.get(type="payment.created")
    # As if the event's consumer had crashed before marking it done.
    OutboxEvent.objects.filter(pk=event.pk).update(status="pending", lease_until=None)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_outbox")

    assert WebhookDelivery.objects.filter(event=event).count() == 1
    assert [e for e, *_ in receiver.received].count(str(event.pk)) == 1


# --- endpoints API --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_secret_is_shown_in_the_create_answer_only(admin_api):
    created = admin_api.post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://books.example.com/hook", "events": ["invoice.paid"]},
    )
    read = admin_api.get(f"/api/v1/webhook-endpoints/{created.json()['id']}/")

    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    assert created.json()["active"] is True
    assert "secret" not in read.json()
    assert set(read.json()) == {"id", "url", "events", "active", "description", "created_at"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.FINANCE, Role.VIEWER])
def test_only_admins_see_or_manage_endpoints(api, user_in, organization, role):
    client = api(user_in(role, organization))
    endpoint = WebhookEndpoint.create(
        organization=organization, url="https://a.example.com/", events=["*"]
    )

    assert client.get("/api/v1/webhook-endpoints/").status_code == 403
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint.pk}/deliveries/").status_code == 403
    response = client.post(
        "/api/v1/webhook-endpoints/", {"url": "https://b.example.com/", "events": ["*"]}
    )
    assert response.status_code == 403
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db
def test_another_organizations_endpoints_and_deliveries_are_404(
    api,
    user_in,
    other_organization,
    endpoint,
    receiver,
    organization,
    django_capture_on_commit_callbacks,
):
    pay(
        InvoiceFactory(organization=organization, sent=True),
        "10.00",
        django_capture_on_commit_callbacks,
    )
    stranger = api(user_in(Role.ADMIN, other_organization))
    delivery = delivery_of(endpoint, "payment.created")

    assert stranger.get(f"/api/v1/webhook-endpoints/{endpoint.pk}/").status_code == 404
    assert stranger.post(f"/api/v1/webhook-deliveries/{delivery.pk}/retry/").status_code == 404
    assert stranger.get("/api/v1/webhook-endpoints/").json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_a_literal_non_public_address_is_refused_at_create(admin_api, url):
    response = admin_api.post("/api/v1/webhook-endpoints/", {"url": url, "events": ["*"]})

    assert response.status_code == 400
    assert error_code(response) == "webhook_url_not_allowed"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["ftp://files.example.com/hook", "file:///etc/passwd", "hook"])
def test_a_url_that_is_not_http_is_refused(admin_api, url):
    response = admin_api.post("/api/v1/webhook-endpoints/", {"url": url, "events": ["*"]})

    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_unknown_event_types_are_refused(admin_api):
    response = admin_api.post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://a.example.com/", "events": ["invoice.exploded"]},
    )

    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_host_name_resolving_to_loopback_fails_each_attempt(
    settings, receiver, organization, django_capture_on_commit_callbacks
):
    port = receiver.server.server_port
    endpoint = WebhookEndpoint.create(
        organization=organization, url=f"http://localhost:{port}/hooks", events=["*"]
    )
    receiver.secret = endpoint.secret
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    pay(
        InvoiceFactory(organization=organization, sent=True),
        "10.00",
        django_capture_on_commit_callbacks,
    )

    assert receiver.received == []
    delivery = delivery_of(endpoint, "payment.created")
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "non-public address" in delivery.last_error


@pytest.mark.django_db
def test_changing_the_url_to_a_non_public_address_is_refused_and_changes_nothing(
    admin_api, organization
):
    endpoint = WebhookEndpoint.create(
        organization=organization, url="https://a.example.com/", events=["*"]
    )

    response = admin_api.patch(
        f"/api/v1/webhook-endpoints/{endpoint.pk}/", {"url": "http://10.0.0.8/"}
    )

    assert response.status_code == 400
    assert error_code(response) == "webhook_url_not_allowed"
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).url == "https://a.example.com/"


@pytest.mark.django_db
def test_enabling_a_disabled_endpoint_again_restarts_its_count(admin_api, organization):
    endpoint = WebhookEndpoint.create(
        organization=organization, url="https://a.example.com/", events=["*"]
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False, failing_since=timezone.now(), disabled_at=timezone.now()
    )

    response = admin_api.patch(f"/api/v1/webhook-endpoints/{endpoint.pk}/", {"active": True})

    assert response.status_code == 200 and response.json()["active"] is True
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.disabled_at is None


@pytest.mark.django_db
def test_a_delivery_of_a_disabled_endpoint_cannot_be_retried(admin_api, organization):
    endpoint = WebhookEndpoint.create(
        organization=organization, url="https://a.example.com/", events=["*"], active=False
    )
    event = OutboxEvent.objects.create(
        type="customer.created", organization_id=organization.pk, payload={}
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=event, event_type=event.type, status=DeliveryStatus.FAILED
    )

    response = admin_api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/retry/")

    assert response.status_code == 409
    assert error_code(response) == "endpoint_inactive"
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.FAILED
