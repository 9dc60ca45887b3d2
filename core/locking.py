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
6. the organization's credit-note sequence row (spec 14);
7. a customer's credit balance row in one currency (`payments.credit.CustomerCredit`,
   spec 14): after the invoices whose money it takes or gives, never before one.

Receipts (spec 14): a command over several invoices (recording a receipt) locks them in
ascending id order, the lock order of every multi-invoice command; a receipt's reversal
locks the receipt row first (nothing else locks one), then its invoices in ascending id,
then the customer's credit balance row.

A bill (bills) and its vendor are locked in the same way, the bill first; no command locks
a bill and an invoice together.

A bank line (spec 15) is locked before everything its match takes (the receipt's invoices,
then the customer's credit balance); a bank statement's row only to count its automatic
matches, with no other lock held.

A recurring invoice template (recurring) is locked before everything above that its run
takes (the customer, the new invoice, the sequence); no command locks a template after
any of them. Its period rows are only inserted, under the template's lock.

Payment, bill-payment, reminder, credit-note and write-off rows are only inserted, never
locked: their invoice's (or bill's) lock guards them (a credit entry: its balance row's). A
Stripe webhook delivery (spec 15) inserts its event row first (a duplicate waits on that
row's unique key, holding nothing), then locks the invoice the event names, then (for money
that goes to or comes from credit) the customer's credit balance row; its PaymentIntent and
refund records are only inserted, under that invoice's lock. A command that locks several
rows of one table locks them in ascending id order (`lock(...)` one by one over sorted ids,
or `select_for_update().order_by("pk")`).
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
