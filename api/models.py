"""The API layer's own table: stored answers of `Idempotency-Key` requests (spec 11).

The table keeps the name it was created with (`fintrack_idempotencykey`): the model moved
here from the `fintrack` app, and existing databases were migrated in place.
"""

import secrets
from contextlib import nullcontext

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.compiled_query import CompiledQuery, CompiledUpdate


def _alone():
    """Around a single INSERT that may be refused: in autocommit (a request's claim) the
    statement is its own transaction, with no BEGIN and COMMIT round trips; inside a
    transaction (a caller's, a test's) a savepoint keeps the refusal from breaking it."""
    return transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()


class IdempotencyKeyStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class IdempotencyKey(models.Model):
    """One client-chosen `Idempotency-Key` (spec 11) and the response it produced.

    `scope` is the user and organization the key belongs to; `fingerprint` hashes the
    method, path and body so a key reused for another request is detected.

    Life of a key (the HTTP side is `api.idempotency`):

    1. `claim()` — a short transaction of its own: INSERT the row (the unique (scope, key)
       constraint lets exactly one of two concurrent requests in), or take over an
       `in_progress` row whose lease has expired (its owner died). The claimant holds a
       random `lease_token` until `lease_expires_at`.
    2. `hold()` — the first statement of the request's work transaction: an UPDATE that
       matches only while the token is still ours. On PostgreSQL it also row-locks the
       key until the work commits or rolls back, so nobody can take it over meanwhile.
    3. `store()` — in that same transaction for a 2xx (the change and its answer commit
       together, or neither does); in a write of its own for a 4xx, whose work rolled back.
    4. `release()` — deletes our claim when the answer is not worth keeping (5xx, 401, 429…)
       so an immediate retry does the work.

    Every write after the claim is conditioned on our token and `in_progress`, so a request
    that lost its lease can neither overwrite nor delete what its successor did.
    """

    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20,
        choices=IdempotencyKeyStatus.choices,
        default=IdempotencyKeyStatus.IN_PROGRESS,
    )
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(blank=True, default=b"")
    response_content_type = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "fintrack_idempotencykey"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key"], name="idempotency_key_unique_per_scope"
            )
        ]

    def __str__(self):
        return f"{self.scope} {self.key} ({self.status})"

    @classmethod
    def claim(cls, *, scope: str, key: str, fingerprint: str):
        """Return `(claimed_row, None)`, or `(None, existing_row)` held by someone else.

        `existing_row` is returned as read (completed, still leased, or for another
        fingerprint); the caller decides the answer. A row older than the TTL counts as
        unused and is taken over whatever its state.
        """
        # Two rounds: the holder may release or be taken over between our reads and writes.
        existing = None
        for _ in range(2):
            now = timezone.now()
            # Read before writing, never INSERT first: on PostgreSQL an INSERT of a key whose
            # live request holds its row lock (`hold`) would wait for that request to end
            # instead of answering `idempotency_key_in_use` at once.
            existing = next(iter(KEY_IN_SCOPE.objects(limit=1, scope=scope, key=key)), None)
            if existing is None:
                try:
                    with _alone():
                        return cls.objects.create(
                            scope=scope,
                            key=key,
                            fingerprint=fingerprint,
                            created_at=now,
                            **cls._new_lease(now),
                        ), None
                except IntegrityError:
                    continue  # a concurrent request inserted first: read its row
            forgotten = existing.created_at < now - settings.IDEMPOTENCY_KEY_TTL
            abandoned = (
                existing.status == IdempotencyKeyStatus.IN_PROGRESS
                and existing.fingerprint == fingerprint
                and (existing.lease_expires_at is None or existing.lease_expires_at <= now)
            )
            if not (forgotten or abandoned):
                return None, existing
            taken = existing._take_over(fingerprint=fingerprint, now=now)
            if taken is not None:
                return taken, None
        if existing is None:  # inserted and released twice under our feet: try later
            existing = cls(scope=scope, key=key, fingerprint=fingerprint, lease_expires_at=now)
        return None, existing

    @staticmethod
    def _new_lease(now) -> dict:
        return {
            "lease_token": secrets.token_hex(16),
            "lease_expires_at": now + settings.IDEMPOTENCY_KEY_LEASE,
        }

    def _take_over(self, *, fingerprint: str, now):
        """Claim this row as read, if nobody changed or locked it since (compare-and-set)."""
        as_read = type(self).objects.filter(
            pk=self.pk, status=self.status, lease_token=self.lease_token
        )
        lease = self._new_lease(now)
        with transaction.atomic():
            # SKIP LOCKED: a locked row is being worked on by its live owner (see `hold`);
            # waiting for it would only turn into "in use" later, so do not wait.
            if not list(as_read.select_for_update(skip_locked=True).values_list("pk", flat=True)):
                return None
            fields = {"status": IdempotencyKeyStatus.IN_PROGRESS, **lease}
            if self.created_at < now - settings.IDEMPOTENCY_KEY_TTL:
                # A forgotten key starts a new life: new request, no stored answer.
                fields.update(
                    fingerprint=fingerprint,
                    created_at=now,
                    response_status=None,
                    response_body=b"",
                    response_content_type="",
                )
            if as_read.update(**fields) != 1:
                return None
        return type(self).objects.get(pk=self.pk)

    @staticmethod
    def leased_to(pk, token):
        """The key row `pk` while its lease is `token`'s and its work is in progress."""
        return IdempotencyKey.objects.filter(
            pk=pk, lease_token=token, status=IdempotencyKeyStatus.IN_PROGRESS
        )

    def _lease(self) -> dict:
        return {"pk": self.pk, "token": self.lease_token}

    def hold(self) -> bool:
        """True while the lease is still ours; call first inside the work's transaction.

        On PostgreSQL the UPDATE keeps the row locked until that transaction ends, so the
        lease cannot be taken over while the work runs, however long it takes.
        """
        return KEY_OF_LEASE.update(self._lease(), {"lease_expires_at": self.lease_expires_at}) == 1

    def store(self, *, status: int, body: bytes, content_type: str) -> bool:
        """Pin the answer to the key; False if the lease is no longer ours."""
        # The key rows have no history: a plain conditional UPDATE is right.
        answer = {
            "status": IdempotencyKeyStatus.COMPLETED,
            "response_status": status,
            "response_body": body,
            "response_content_type": content_type,
        }
        return KEY_OF_LEASE.update(self._lease(), answer) == 1

    def release(self) -> None:
        """Drop our claim so the same key may be used again at once."""
        self.leased_to(self.pk, self.lease_token).delete()


# Hold and store, run by every POST that carries a key: compiled once (core.compiled_query).
KEY_OF_LEASE = CompiledUpdate(
    IdempotencyKey,
    IdempotencyKey.leased_to,
    pk=IdempotencyKey._meta.pk,
    token=IdempotencyKey._meta.get_field("lease_token"),
)

# The claim's read, run by every POST that carries a key: compiled once (core.compiled_query).
KEY_IN_SCOPE = CompiledQuery(
    IdempotencyKey,
    lambda scope, key: IdempotencyKey.objects.filter(scope=scope, key=key),
    scope=IdempotencyKey._meta.get_field("scope"),
    key=IdempotencyKey._meta.get_field("key"),
)
