"""Concurrent sends and edits (spec 5.3) with real threads and row locks (PostgreSQL).

`transaction=True`: a wrapping test transaction would hide a missing atomic() and make the
threads' connections unable to see the test's rows.
"""

import threading

import pytest
from django.db import connection

from accounts.tests.factories import OrganizationFactory, UserFactory
from fintrack.exceptions import ConcurrentModification, InvalidStatus
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import InvoiceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(work, arguments):
    """Run `work(arg)` in one thread per argument, released together; return the errors."""
    barrier = threading.Barrier(len(arguments))
    errors = []

    def worker(argument):
        try:
            barrier.wait()
            work(argument)
        except Exception as error:  # collected and asserted on by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(arg,)) for arg in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_twenty_concurrent_sends_get_twenty_consecutive_numbers():
    organization = OrganizationFactory()
    actor = UserFactory()
    drafts = [InvoiceFactory(organization=organization).pk for _ in range(20)]

    errors = run_at_once(lambda pk: Invoice.objects.get(pk=pk).send(actor=actor), drafts)

    assert errors == []
    numbers = sorted(Invoice.objects.filter(pk__in=drafts).values_list("number", flat=True))
    assert numbers == [f"INV-{n:05d}" for n in range(1, 21)]
    assert organization.invoice_sequence.last_number == 20


def test_concurrent_sends_of_one_draft_number_it_once():
    organization = OrganizationFactory()
    actor = UserFactory()
    draft = InvoiceFactory(organization=organization)

    errors = run_at_once(lambda _: Invoice.objects.get(pk=draft.pk).send(actor=actor), range(5))

    # The losers wait on the row lock, then see a sent invoice.
    assert len(errors) == 4
    assert all(isinstance(error, InvalidStatus) for error in errors)
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (InvoiceStatus.SENT, "INV-00001")
    organization.refresh_from_db()
    assert organization.invoice_sequence.last_number == 1


def test_concurrent_edits_of_one_draft_never_lose_an_update():
    organization = OrganizationFactory()
    actor = UserFactory()
    draft = InvoiceFactory(organization=organization)
    stale_copies = [Invoice.objects.get(pk=draft.pk) for _ in range(5)]

    errors = run_at_once(
        lambda copy: copy.update_draft(actor=actor, notes=f"edit {id(copy)}"), stale_copies
    )

    # All five read version 1: exactly one write wins, the others are refused, not lost.
    assert len(errors) == 4
    assert all(isinstance(error, ConcurrentModification) for error in errors)
    draft.refresh_from_db()
    assert draft.version == 2
