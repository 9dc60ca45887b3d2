"""`Idempotency-Key` for every POST of the API (spec 11), as one middleware.

A POST carrying the header is run at most once per (user, organization, key), and a change
that committed always has its answer stored:

1. The key is claimed in a short transaction of its own (`IdempotencyKey.claim`): INSERT, or
   take over a claim whose lease expired because its request died.
2. THE REQUEST-WIDE TRANSACTION. The view runs inside one `transaction.atomic()` that first
   re-checks the lease (`hold`, a token-checked UPDATE) and, for a 2xx, stores the answer
   before committing: the change and its answer commit together or not at all. This is the
   one place where a transaction spans a whole request. `ATOMIC_REQUESTS` stays off:
   everywhere else (the admin, commands, requests without the header) the model method is
   the transaction boundary. Inside this one the model method's `atomic()` becomes a
   savepoint, its locks (invoice first, then its payments) are held until the answer is
   stored, and its `on_commit` work runs only once the change and its answer committed.
   Model steps that use `core.transactions.atomic_step` skip that savepoint here:
   a refusal rolls back the whole request anyway.
3. An answer of 400 or more rolls the work back. A 4xx that describes the request is then
   stored in its own write; an answer that depends on the moment (401, 409
   `concurrent_modification`/`idempotency_key_in_use`, 412, 429, 5xx) is not stored:
   the claim is released so a retry does the work.
4. A later request with the key replays the stored status and body with
   `Idempotent-Replayed: true`; for another method, path or body it is 422
   `idempotency_key_reused`; while the first still holds its lease, 409
   `idempotency_key_in_use` (not stored).

Credential-bearing endpoints (`NEVER_STORED`) and anonymous requests ignore the header: a
stored token pair would be handed to whoever sends the key again.

Keys older than `settings.IDEMPOTENCY_KEY_TTL` are ignored (and replaced on reuse);
`manage.py purge_idempotency_keys` deletes them.
"""

import functools
import hashlib
import logging

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpResponse
from django.urls import get_resolver
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import Membership
from api import authentication
from api.exceptions import DATABASE_UNAVAILABLE_ERRORS, error_response, service_unavailable
from api.models import IdempotencyKey, IdempotencyKeyStatus
from core.transactions import request_wide_transaction

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# URL names whose answers carry credentials (token pairs): never stored nor replayed, so the
# header is ignored there. Creating a webhook endpoint (its secret) belongs here too.
# Guesses (a verification code, the current password) must count: their refusal and its
# throttle counter are never rolled back nor replayed, else a new key per guess would
# make guessing free.
NEVER_STORED = frozenset({"register", "token", "token-refresh", "verify-email", "password-change"})
# Answers that describe the moment rather than the request: the same request retried later
# may get another answer, so they are not pinned to the key.
MOMENTARY_STATUSES = frozenset({401, 412, 429})
MOMENTARY_CODES = frozenset({"concurrent_modification", "idempotency_key_in_use"})


class LeaseLost(Exception):
    """Our claim was taken over (we outlived the lease): the work must not commit."""


def is_never_stored_path(path: str) -> bool:
    return path in _never_stored_paths(get_resolver())


@functools.lru_cache(maxsize=4)
def _never_stored_paths(resolver) -> frozenset[str]:
    """The paths of the `NEVER_STORED` routes (none takes an argument), looked up once per
    URL configuration: matching every keyed POST against the whole URL tree cost more than
    Django's own resolution of the same request."""
    return frozenset("/" + resolver.reverse(name) for name in NEVER_STORED)


def error_codes(response) -> set[str]:
    data = getattr(response, "data", None)
    if not isinstance(data, dict):
        return set()
    return {str(error.get("code")) for error in data.get("errors", []) if isinstance(error, dict)}


def is_storable(response) -> bool:
    status = response.status_code
    return not (
        status >= 500
        or status in MOMENTARY_STATUSES
        or response.streaming
        or (status == 409 and error_codes(response) & MOMENTARY_CODES)
    )


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
    """`user:<id>|org:<X-Organization>`, or None for an anonymous request (there is no
    one the key could belong to) or an invalid bearer token (the view will answer 401).

    A success is remembered on the request: DRF's authentication reuses it instead of
    loading the user again (`api.authentication`)."""
    try:
        authenticated = authentication.JWTAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    if not authenticated:
        return None
    authentication.remember(request, authenticated)
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
        if request.method != "POST" or key is None or is_never_stored_path(request.path_info):
            return self.get_response(request)
        try:
            scope = request_scope(request)
        except DATABASE_UNAVAILABLE_ERRORS:
            # This middleware runs before DRF's exception handler: same 503 as the views.
            return service_unavailable()
        if scope is None:
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return error_response(
                400,
                "invalid_idempotency_key",
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.",
            )
        try:
            fingerprint = request_fingerprint(request)
        except RequestDataTooBig:
            # Same answer as the view would give (api.exceptions.RequestTooLarge).
            return error_response(
                413, "request_too_large", "The request body is larger than the server accepts."
            )
        try:
            claim, existing = IdempotencyKey.claim(scope=scope, key=key, fingerprint=fingerprint)
        except DATABASE_UNAVAILABLE_ERRORS:
            return service_unavailable()
        if claim is None:
            return self._answer_for(existing, fingerprint)
        try:
            return self._run(request, claim)
        except LeaseLost:
            return self._in_use()
        except DATABASE_UNAVAILABLE_ERRORS:
            # Nothing committed (the answer is stored with the work): free the key for the
            # retry the 503 invites.
            self._release(claim)
            return service_unavailable()
        except BaseException:
            self._release(claim)
            raise

    def _run(self, request, claim):
        """The view and, for a 2xx, its stored answer, in the request-wide transaction."""
        with request_wide_transaction():
            if not claim.hold():
                raise LeaseLost
            response = self.get_response(request)
            succeeded = response.status_code < 400
            if not succeeded:
                # The work of a refused request is undone, whatever the view left behind.
                transaction.set_rollback(True)
            elif is_storable(response):
                if not self._store(claim, response):
                    raise LeaseLost
                return response
        if not succeeded and is_storable(response):
            # The work rolled back; a 4xx answer describes the request: store it alone.
            self._store(claim, response)
        else:
            self._release(claim)
        return response

    def _store(self, claim, response) -> bool:
        return claim.store(
            status=response.status_code,
            body=response.content,
            content_type=response.get("Content-Type", ""),
        )

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

    def _release(self, claim):
        try:
            claim.release()
        except Exception:  # the original failure matters more; the lease expires anyway
            logger.exception("Could not release idempotency key %s", claim.pk)
