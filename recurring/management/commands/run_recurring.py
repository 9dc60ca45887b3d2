"""`manage.py run_recurring [--as-of YYYY-MM-DD]` (cron-friendly; beat runs it hourly)."""

import structlog
from django.core.management.base import BaseCommand

from accounts.models import User
from invoices.management.commands.send_reminders import iso_date
from recurring.models import run_recurring

logger = structlog.get_logger(__name__)


class Command(BaseCommand):
    help = (
        "Create the invoice of every due period of every active recurring invoice, once "
        "per period, catching up the periods missed while nothing ran (each its own invoice, "
        "dated on its period's start). Safe to run on several machines at once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=str,
            metavar="YYYY-MM-DD",
            help="Treat this date as today for every organization (default: each "
            "organization's today in its own time zone).",
        )

    def handle(self, *args, as_of=None, **options):
        as_of = iso_date(as_of) if as_of else None
        report = run_recurring(actor=User.objects.system_actor(), as_of=as_of, logger=logger)
        for template, invoice in report.created:
            name = invoice.number or f"draft #{invoice.pk}"
            self.stdout.write(
                f"created: recurring invoice {template.pk} ({template.organization}) period "
                f"{invoice.issue_date.isoformat()}: invoice {name}"
            )
        for template, error in report.skipped:
            self.stderr.write(
                f"skipped: recurring invoice {template.pk} ({template.organization}): "
                f"{error.code}: {error.message} The period stays due."
            )
        for template in report.ended:
            self.stdout.write(f"ended: recurring invoice {template.pk} ({template.organization})")
        self.stdout.write(
            self.style.SUCCESS(
                f"Recurring invoices: {len(report.created)} invoice(s) created; "
                f"{len(report.skipped)} template(s) skipped; {len(report.ended)} ended."
            )
        )
