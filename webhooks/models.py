"""Outbound webhooks (spec 16): endpoints per organization and the delivery of each event.

An event of the outbox becomes one `WebhookDelivery` per endpoint that wants it (the
unique pair is the consumer's memory: redelivering an event creates no second delivery).
Each delivery is POSTed, signed, until a 2xx answers, with an exponential backoff over
about four days; an endpoint that has failed for 3 days is disabled and its organization's
admins are e-mailed.
"""

import json
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import models, transaction
from django.utils import timezone

from accounts.models import Membership, Role
from core.models import LeasedWork
from core.outbox import hand_off_on_commit, new_lease
from emails.models import EmailKind, EmailMessage
from webhooks.addresses import url_host_is_forbidden
from webhooks.exceptions import (
    EndpointInactive,
    UnknownEventType,
    WebhookUrlInvalid,
    WebhookUrlNotAllowed,
)
from webhooks.signing import new_secret

# Spec 16's event list (`receipt.created`: `payments.receipts.Receipt.record`).
EVENT_TYPES = (
    "invoice.created",
    "invoice.sent",
    "invoice.paid",
    "invoice.voided",
    "invoice.written_off",
    "invoice.overdue",
    "payment.created",
    "payment.refunded",
    "payment.reversed",
    "credit_note.created",
    "receipt.created",
    "customer.created",
    "customer.updated",
)
ALL_EVENTS = "*"
# The wait after each failed try: ten tries over about four days (spec 16: at least six
# over at least 24 hours), so a single stuck event outlives the 3-day rule below.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# An endpoint that has answered nothing but failures for this long is disabled.
DISABLE_AFTER = timedelta(days=3)


def check_url(url: str) -> None:
    """400 unless `url` is http(s) with a host, and not a literal non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookUrlInvalid(attr="url")
    if url_host_is_forbidden(url):
        raise WebhookUrlNotAllowed(attr="url")


def check_events(events) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise UnknownEventType(attr="events")
    if list(events) == [ALL_EVENTS]:
        return [ALL_EVENTS]
    if any(event not in EVENT_TYPES for event in events):
        raise UnknownEventType(attr="events")
    return list(dict.fromkeys(events))


class WebhookEndpoint(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=500, blank=True)
    # Signs every delivery; shown once, in the answer that creates the endpoint.
    secret = models.CharField(max_length=100, editable=False)
    # The first failure since the last success: the 3-day rule counts from here.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.url

    @classmethod
    def create(cls, *, organization, url, events, active=True, description=""):
        check_url(url)
        return cls.objects.create(
            organization=organization,
            url=url,
            events=check_events(events),
            active=active,
            description=description or "",
            secret=new_secret(),
        )

    def change(self, **fields):
        """Update url, events, active, description. Enabling again forgets past failures."""
        if "url" in fields:
            check_url(fields["url"])
        if "events" in fields:
            fields["events"] = check_events(fields["events"])
        if fields.get("active") and not self.active:
            self.failing_since = None
            self.disabled_at = None
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()

    def wants(self, event_type: str) -> bool:
        return ALL_EVENTS in self.events or event_type in self.events

    def record_success(self):
        if self.failing_since is not None:
            type(self).objects.filter(pk=self.pk).update(failing_since=None)

    def record_failure(self, *, now):
        """Start the 3-day count, or disable the endpoint when it has run out (spec 16)."""
        with transaction.atomic():
            endpoint = type(self).objects.select_for_update().get(pk=self.pk)
            if endpoint.failing_since is None:
                endpoint.failing_since = now
                endpoint.save(update_fields=["failing_since"])
            elif endpoint.active and now - endpoint.failing_since >= DISABLE_AFTER:
                endpoint.active = False
                endpoint.disabled_at = now
                endpoint.save(update_fields=["active", "disabled_at"])
                endpoint.tell_admins_disabled()

    def tell_admins_disabled(self):
        admins = Membership.objects.filter(
            organization_id=self.organization_id, role=Role.ADMIN
        ).select_related("user")
        body = (
            f"The webhook endpoint {self.url} has failed every delivery since "
            f"{self.failing_since:%Y-%m-%d %H:%M} UTC and is now disabled. Its undelivered "
            "events are kept: fix the receiver, enable the endpoint again (PATCH "
            f'webhook-endpoints/{self.pk}/ {{"active": true}}) and retry its deliveries.'
        )
        for membership in admins:
            EmailMessage.queue(
                organization_id=self.organization_id,
                to=membership.user.email,
                subject=f"Webhook endpoint disabled: {self.url}",
                kind=EmailKind.WEBHOOK_DISABLED,
                body=body,
            )


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(LeasedWork):
    """One event for one endpoint, and how its delivery went."""

    PENDING = DeliveryStatus.PENDING
    TASK = "webhooks.tasks.deliver_webhook"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        "core.OutboxEvent", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event_type = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=PENDING)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        constraints = [
            # The consumer's memory: an event redelivered by the outbox is one delivery.
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_once_per_event")
        ]

    def __str__(self):
        return f"{self.event_type} to {self.endpoint}"

    @classmethod
    def fan_out(cls, event):
        """A delivery of `event` for each active endpoint of its organization that wants it,
        each handed to the queue when the transaction commits. Call with the event locked."""
        endpoints = WebhookEndpoint.objects.filter(
            organization_id=event.organization_id, active=True
        )
        existing = set(cls.objects.filter(event=event).values_list("endpoint_id", flat=True))
        for endpoint in endpoints:
            if endpoint.wants(event.type) and endpoint.pk not in existing:
                delivery = cls(endpoint=endpoint, event=event, event_type=event.type)
                new_lease(delivery)
                delivery.save(force_insert=True)
                hand_off_on_commit(delivery)

    def body(self) -> bytes:
        event = self.event
        envelope = {
            "id": str(event.pk),
            "type": event.type,
            "created": int(event.created_at.timestamp()),
            "organization": event.organization_id,
            "data": event.payload,
        }
        return json.dumps(envelope, separators=(",", ":")).encode()

    def retry(self):
        """Manual retry (spec 16): one more try now, whatever the backoff said."""
        if not self.endpoint.active:
            raise EndpointInactive()
        with transaction.atomic():
            delivery = type(self).objects.select_for_update().get(pk=self.pk)
            delivery.status = DeliveryStatus.PENDING
            delivery.next_attempt_at = timezone.now()
            new_lease(delivery)
            delivery.save(update_fields=["status", "next_attempt_at", "lease_token", "lease_until"])
            hand_off_on_commit(delivery)
        self.refresh_from_db()

    def record_delivered(self, response_code, *, now):
        type(self).objects.filter(pk=self.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.DELIVERED,
            attempts=self.attempts + 1,
            response_code=response_code,
            last_error="",
            delivered_at=now,
            lease_token=None,
            lease_until=None,
        )
        self.endpoint.record_success()

    def record_failure(self, error, *, now, response_code=None):
        attempts = self.attempts + 1
        done = attempts >= MAX_ATTEMPTS
        type(self).objects.filter(pk=self.pk, lease_token=self.lease_token).update(
            status=DeliveryStatus.FAILED if done else DeliveryStatus.PENDING,
            attempts=attempts,
            response_code=response_code,
            last_error=(str(error) or type(error).__name__)[:2000],
            next_attempt_at=now if done else now + RETRY_DELAYS[attempts - 1],
            lease_token=None,
            lease_until=None,
        )
        self.endpoint.record_failure(now=now)

    def record_endpoint_disabled(self):
        type(self).objects.filter(pk=self.pk, lease_token=self.lease_token).update(
            status=DeliveryStatus.FAILED,
            last_error="The endpoint is disabled.",
            lease_token=None,
            lease_until=None,
        )
