"""The consumers of the outbox (spec 16): an event becomes webhook deliveries, and each
delivery is POSTed. Both take a row id and the lease token they were handed, and do
nothing when the token no longer holds the row (done, or claimed again by the relay)."""

import structlog
from celery import shared_task
from django.db import transaction
from django.utils import timezone

from core.models import OutboxEvent, OutboxStatus
from core.outbox import take
from webhooks.models import WebhookDelivery
from webhooks.sender import post
from webhooks.signing import signature

logger = structlog.get_logger(__name__)


@shared_task(name="webhooks.tasks.dispatch_event")
def dispatch_event(pk, token):
    """Fan the event out to the endpoints that want it, and mark it done, in one transaction:
    a crash in between leaves the event pending and nothing half-recorded."""
    with transaction.atomic():
        event = take(OutboxEvent.objects.select_for_update(), pk, token)
        if event is None:
            return "skipped"
        WebhookDelivery.fan_out(event)
        OutboxEvent.objects.filter(pk=event.pk).update(
            status=OutboxStatus.DONE, done_at=timezone.now(), lease_token=None, lease_until=None
        )
    return "done"


@shared_task(name="webhooks.tasks.deliver_webhook")
def deliver_webhook(pk, token):
    """One signed POST of the delivery `pk`; its outcome recorded on the row."""
    delivery = take(WebhookDelivery.objects.select_related("endpoint", "event"), pk, token)
    if delivery is None:
        return "skipped"
    if not delivery.endpoint.active:
        delivery.record_endpoint_disabled()
        return "failed"
    body = delivery.body()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "FinTrack-Webhooks/1",
        "FinTrack-Event-Id": str(delivery.event_id),
        "FinTrack-Signature": signature(
            delivery.endpoint.secret, int(timezone.now().timestamp()), body
        ),
    }
    try:
        answer = post(delivery.endpoint.url, body, headers)
    except Exception as error:
        # Whatever kept the POST from being answered (a non-public address, a name that
        # does not resolve, a refused or timed-out connection, TLS, a malformed answer)
        # is a failed try, retried after its backoff.
        delivery.record_failure(error, now=timezone.now())
        return "failed"
    if 200 <= answer.status < 300:
        # The one window of a repeat (README, "Operations"): a crash between the
        # receiver's 2xx and this record delivers the event again on the next hand-off.
        delivery.record_delivered(answer.status, now=timezone.now())
        logger.info("webhook.delivered", delivery=delivery.pk, event_id=str(delivery.event_id))
        return "delivered"
    delivery.record_failure(
        f"The receiver answered {answer.status}.", now=timezone.now(), response_code=answer.status
    )
    return "failed"
