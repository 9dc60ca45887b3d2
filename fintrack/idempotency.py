"""`Idempotency-Key` for every POST of the API (spec 11), as one middleware.

A POST carrying the header is run at most once per (user, organization, key):

1. The key is *claimed* by INSERTing its row (status `in_progress`). The unique
   (scope, key) constraint makes the claim atomic: of two concurrent requests exactly one
   inserts, the other gets an IntegrityError — there is no check-then-insert window.
2. The claimant runs the view. A 2xx/4xx response is stored on the row; a 5xx, a 429 or an
   exception releases the key (deletes the row) so the client may retry.
3. A later request with the key replays the stored status and body with
   `Idempotent-Replayed: true`; with another method, path or body it is 422
   `idempotency_key_reused`; while the first is still running it is 409
   `idempotency_key_in_use`.

Keys older than `settings.IDEMPOTENCY_KEY_TTL` are ignored (and replaced on reuse);
`manage.py purge_idempotency_keys` deletes them.
"""

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.models import Membership
from fintrack.models import IdempotencyKey, IdempotencyKeyStatus
from fintrack.views import error_response

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Responses that describe a passing condition rather than the request: retrying the same
# request later may succeed, so they are not pinned to the key.
TRANSIENT_STATUSES = frozenset({429})


def request_fingerprint(request) -> str:
    """Method, full path (with query string) and raw body: what makes it "the same request"."""
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0")
    digest.update(request.get_full_path().encode())
    digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def request_scope(request) -> str | None:
    """`user:<id>|org:<X-Organization>`, `anonymous|org:...`, or None when the bearer token
    is invalid (the view will answer 401; nothing is worth remembering)."""
    try:
        authenticated = JWTAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    if not authenticated:
        return f"anonymous|org:{request.headers.get('X-Organization', '').strip()[:40]}"
    return f"user:{authenticated[0].pk}|org:{organization_of(request, authenticated[0])}"


def organization_of(request, user) -> str:
    """The organization the request acts in, as the API resolves it: the header, or the
    user's only membership when the header is omitted (so both forms share one key)."""
    header = request.headers.get("X-Organization", "").strip()[:40]
    if header:
        return header
    memberships = list(
        Membership.objects.filter(user=user).values_list("organization_id", flat=True)[:2]
    )
    return str(memberships[0]) if len(memberships) == 1 else ""


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return error_response(
                400,
                "invalid_idempotency_key",
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.",
            )
        scope = request_scope(request)
        if scope is None:
            return self.get_response(request)
        try:
            fingerprint = request_fingerprint(request)
        except RequestDataTooBig:
            # Same answer as the view would give (fintrack.exceptions.RequestTooLarge).
            return error_response(
                413, "request_too_large", "The request body is larger than the server accepts."
            )

        record, answer = self._claim(scope, key, fingerprint)
        if answer is not None:
            return answer
        try:
            response = self.get_response(request)
        except BaseException:
            self._release(record)
            raise
        self._finish(record, response)
        return response

    def _claim(self, scope, key, fingerprint):
        """Insert the key's row, or return the answer for a key someone already holds."""
        # Two rounds: the holder may release (5xx) or expire between our INSERT and SELECT.
        for _ in range(2):
            now = timezone.now()
            try:
                with transaction.atomic():
                    # An expired key is as good as unused: drop it so it can be claimed anew.
                    IdempotencyKey.objects.filter(
                        scope=scope, key=key, created_at__lt=now - settings.IDEMPOTENCY_KEY_TTL
                    ).delete()
                    record = IdempotencyKey.objects.create(
                        scope=scope, key=key, fingerprint=fingerprint, created_at=now
                    )
                return record, None
            except IntegrityError:
                existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if existing is None:
                continue
            return None, self._answer_for(existing, fingerprint)
        return None, self._in_use()

    def _answer_for(self, existing, fingerprint):
        if existing.fingerprint != fingerprint:
            return error_response(
                422,
                "idempotency_key_reused",
                f"This {HEADER} was already used for a different request "
                "(another method, path or body).",
            )
        if existing.status != IdempotencyKeyStatus.COMPLETED:
            return self._in_use()
        response = HttpResponse(
            bytes(existing.response_body),
            status=existing.response_status,
            content_type=existing.response_content_type or None,
        )
        response[REPLAYED_HEADER] = "true"
        return response

    def _in_use(self):
        return error_response(
            409,
            "idempotency_key_in_use",
            f"A request with this {HEADER} is still being processed; retry later.",
        )

    def _finish(self, record, response):
        storable = (
            response.status_code < 500
            and response.status_code not in TRANSIENT_STATUSES
            and not response.streaming
        )
        if not storable:
            self._release(record)
            return
        # The row is this request's own claim and has no history: a plain UPDATE is right.
        IdempotencyKey.objects.filter(pk=record.pk).update(
            status=IdempotencyKeyStatus.COMPLETED,
            response_status=response.status_code,
            response_body=response.content,
            response_content_type=response.get("Content-Type", ""),
        )

    def _release(self, record):
        try:
            IdempotencyKey.objects.filter(pk=record.pk).delete()
        except Exception:  # the original failure matters more than the cleanup
            logger.exception("Could not release idempotency key %s", record.pk)
