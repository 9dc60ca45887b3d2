"""The client's address, also behind proxies (spec 20: `TRUSTED_PROXY_COUNT`).

Each proxy appends the address it received the request from to `X-Forwarded-For`, so
only the rightmost entries are written by proxies we run; everything to their left was
sent by the client and may be invented. With N trusted proxies the client is the N-th
entry from the right (the last proxy's own peer is REMOTE_ADDR). With 0 (the default)
the header is ignored: without a proxy anyone could pick a new "address" for every
request and never be throttled.
"""

from django.conf import settings


def client_ip(request) -> str:
    """The address the throttles and logs count for this request (a Django request or
    anything with its `META`)."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote_addr
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote_addr
    # Fewer entries than trusted proxies: the leftmost is the furthest any proxy saw.
    return hops[-min(trusted, len(hops))]
