"""The queue's figures in /metrics (spec 20) and its back-office pages (spec 16)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, UserFactory
from core.models import OutboxEvent
from core.outbox import emit
from emails.models import EmailMessage
from fintrack.tests.test_operations import metric_value
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def staff(organization, role):
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def delivery(organization):
    endpoint = WebhookEndpoint.create(
        organization=organization, url="https://hooks.example.com/", events=["*"]
    )
    event = emit("customer.created", organization_id=organization.pk, data={"id": 1})
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event=event, event_type=event.type, status=DeliveryStatus.FAILED
    )


@pytest.mark.django_db
def test_metrics_show_e_mails_deliveries_and_the_outbox_lag(client, organization, delivery):
    EmailMessage.queue(
        organization_id=organization.pk, to="a@example.test", subject="Hi", kind="invoice"
    )
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    body = client.get("/metrics").content.decode()

    assert metric_value(body, "fintrack_emails", kind="invoice", status="queued") == 1
    assert metric_value(body, "fintrack_webhook_deliveries", status="failed") == 1
    assert metric_value(body, "fintrack_outbox_pending") == 1
    assert metric_value(body, "fintrack_outbox_lag_seconds") >= 300


@pytest.mark.django_db
def test_an_admin_retries_a_delivery_from_the_back_office(
    client, organization, delivery, django_capture_on_commit_callbacks
):
    client.force_login(staff(organization, Role.ADMIN))
    changelist = reverse("admin:webhooks_webhookdelivery_changelist")

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            changelist, {"action": "retry", "_selected_action": [delivery.pk]}, follow=True
        )

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.lease_token is not None


@pytest.mark.django_db
def test_webhooks_are_hidden_from_staff_who_are_not_admins(client, organization, delivery):
    client.force_login(staff(organization, Role.FINANCE))

    response = client.get(reverse("admin:webhooks_webhookdelivery_changelist"))
    emails = client.get(reverse("admin:emails_emailmessage_changelist"))

    assert response.status_code == 403
    assert emails.status_code == 200  # the e-mail log is any member's
