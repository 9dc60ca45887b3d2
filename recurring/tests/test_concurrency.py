"""Runners at once on real PostgreSQL row locks (spec 16: "safe with several runners").

`transaction=True`: each thread commits for real, as two machines running `run_recurring`
(or two beat jobs that overlapped) would.
"""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from fintrack.tests.races import raised, run_at_once
from invoices.models import Invoice
from recurring.models import RecurringRun, run_recurring
from recurring.tests.factories import recurring_invoice

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_runners_at_once_create_each_periods_invoice_exactly_once(organization):
    templates = [
        recurring_invoice(organization, start_date=date(2026, 1, 1), auto_send=True)
        for _ in range(3)
    ]
    actor = User.objects.system_actor()

    results = run_at_once(lambda _: run_recurring(actor=actor, as_of=date(2026, 4, 1)), range(2))

    assert raised(results) == []
    # Four periods (January to April) of three templates, each invoiced once.
    assert sum(len(report.created) for report in results) == 12
    for template in templates:
        dates = sorted(
            Invoice.objects.filter(recurring_invoice=template.pk).values_list(
                "issue_date", flat=True
            )
        )
        assert dates == [date(2026, month, 1) for month in (1, 2, 3, 4)]
    assert RecurringRun.objects.count() == 12
    # Numbers stay one gapless series however the runners interleaved.
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-{n:05d}" for n in range(1, 13)]
    call_command("verify_ledger", stdout=StringIO(), stderr=StringIO())
