"""Domain events in the logs (spec 20): one line per business event, once it is committed.

The audit trail (django-simple-history) is the record; these lines are for the people and
tools watching the logs. Written on commit, so a refused or rolled-back command logs
nothing and a line always describes something that happened.
"""

from functools import partial

import structlog
from django.db import transaction

logger = structlog.get_logger("fintrack.events")


def log_event(name: str, **fields) -> None:
    """Log `name` with `fields` when the current transaction commits (at once outside one)."""
    # The request's context (request_id, user, organization) as it is now: the commit may
    # come after the request's context is gone (a transaction opened around the request).
    context = structlog.contextvars.get_contextvars()
    event = {**context, "kind": "domain_event", **fields}
    transaction.on_commit(partial(logger.info, name, **event))
