"""Dates and times as the API writes them, for renderers that run without DRF (the
invoice list's fast path, the outbox's event payloads)."""


def date_text(value):
    return None if value is None else value.isoformat()


def datetime_text(value, zone):
    """DRF's DateTimeField: in the current time zone, ISO 8601, UTC written as "Z"."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
