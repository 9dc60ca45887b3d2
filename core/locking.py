"""Row locks: the one way every command takes them.

A command that changes a row reads it with `lock()` (or `VersionedModel.lock()`, which
calls it) inside its transaction and checks its rules against that locked copy, never
against an instance read before.

Lock order, everywhere (a command takes only the locks it needs, in this order, so two
commands never wait for each other in a cycle):

1. the organization row, NO KEY (membership changes only: it serializes a tenant's
   membership changes without blocking the KEY SHARE locks that inserting its invoices
   and payments takes on the organization);
2. a membership;
3. an invoice;
4. a customer (the invoice's, the one a draft moves to, or one being archived);
5. the organization's invoice-number sequence row;
6. the organization's credit-note sequence row (spec 14).

A bill (bills) and its vendor are locked in the same way, the bill first; no command locks
a bill and an invoice together.

A recurring invoice template (recurring) is locked before everything above that its run
takes (the customer, the new invoice, the sequence); no command locks a template after
any of them. Its period rows are only inserted, under the template's lock.

Payment, bill-payment, reminder, credit-note and write-off rows are only inserted, never
locked: their invoice's (or bill's) lock guards them. A command that locks several rows of
one table locks them in ascending id order (`lock(...)` one by one over sorted ids, or
`select_for_update().order_by("pk")`).
"""

from django.db import models


def lock(model: type[models.Model], *, no_key=False, skip_locked=False, **lookup):
    """The row of `model` matching `lookup`, read `SELECT ... FOR UPDATE` (call inside a
    transaction). `no_key`: FOR NO KEY UPDATE (see the lock order). `skip_locked`: None
    instead of waiting when another transaction holds the row. `DoesNotExist` otherwise."""
    rows = model._base_manager.select_for_update(no_key=no_key, skip_locked=skip_locked)
    if skip_locked:
        return rows.filter(**lookup).first()
    return rows.get(**lookup)
