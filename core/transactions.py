"""Savepoints that the request-wide transaction makes redundant.

A model method opens `transaction.atomic()` so that its writes commit together, and, when
called inside someone else's transaction, so that a refusal rolls back only its own part
(a savepoint) and leaves the caller's transaction usable: the admin, commands and tests
rely on that.

Inside the request-wide transaction of an idempotent POST (`api.idempotency`) that
savepoint buys nothing: any answer of 400 or more rolls the whole request back, and the
view does nothing but call the model method and render its result. There `atomic_step()`
joins the enclosing transaction instead (`savepoint=False`), which saves two round trips
(SAVEPOINT and RELEASE) per step. Everywhere else it is a plain `transaction.atomic()`.

A row a view read `FOR UPDATE` inside the request-wide transaction stays locked until that
transaction ends, so `VersionedModel.lock()` need not read it again (`mark_locked`).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

# Set by the idempotency middleware around the view it runs in its own transaction: a new
# object per transaction, so a row locked in one is never taken as locked in another.
_request_wide = ContextVar("request_wide_transaction", default=None)


@contextmanager
def request_wide_transaction():
    """`transaction.atomic()` for a whole request whose every refusal is rolled back."""
    with transaction.atomic():
        token = _request_wide.set(object())
        try:
            yield
        finally:
            _request_wide.reset(token)


def current_request_transaction():
    """The running request-wide transaction's identity, or None outside one."""
    return _request_wide.get()


def atomic_step():
    """A model method's transaction: a savepoint only outside a request-wide one."""
    return transaction.atomic(savepoint=current_request_transaction() is None)


LOCKED_IN = "_locked_in_request_transaction"


def mark_locked(obj) -> None:
    """Record that `obj` was just read `FOR UPDATE` in the running request-wide transaction."""
    setattr(obj, LOCKED_IN, current_request_transaction())


def is_locked(obj) -> bool:
    """True when `obj` was read `FOR UPDATE` in the request-wide transaction still running."""
    current = current_request_transaction()
    return current is not None and getattr(obj, LOCKED_IN, None) is current
