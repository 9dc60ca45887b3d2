"""A customer as the API shows it (`CustomerSerializer`), rendered without DRF for the
outbox (spec 16); `customers/tests/test_events.py` holds the two to one output."""

from django.utils import timezone

from core.rendering import datetime_text


def customer_payload(customer):
    zone = timezone.get_current_timezone()
    data = {"id": customer.pk}
    data.update({name: getattr(customer, name) for name in customer.INPUT_FIELDS})
    for name in ("archived_at", "version", "created_at", "updated_at"):
        value = getattr(customer, name)
        data[name] = datetime_text(value, zone) if hasattr(value, "astimezone") else value
    return data
