"""The `FinTrack-Signature` header (spec 16): `t=<unix time>,v1=<hex HMAC-SHA256>`.

The HMAC covers `"<t>.<raw body>"` with the endpoint's secret, so a receiver can check that
the body came from us unchanged and refuse old replays by `t` (README, "Webhooks").
"""

import hashlib
import hmac
import secrets


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
