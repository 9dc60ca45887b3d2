"""`manage.py send_reminders [--dry-run] [--as-of YYYY-MM-DD]` (cron-friendly)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from invoices.reminders import plan_reminders, send_due_reminders


def iso_date(value: str) -> date:
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        parsed = None
    # The schedule reaches a year either side; keep clear of `date`'s limits.
    if parsed is None or not 1900 <= parsed.year <= 9000:
        raise CommandError(f"--as-of must be a date like 2025-01-31, not {value!r}")
    return parsed


class Command(BaseCommand):
    help = (
        "E-mail every payment reminder that is due and not yet sent (one per invoice: the "
        "latest due stage of the organization's reminder_days), record it, and print a "
        "summary. Safe to run on several machines at once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be sent; send and record nothing.",
        )
        parser.add_argument(
            "--as-of",
            type=str,
            metavar="YYYY-MM-DD",
            help="Treat this date as today for every organization (default: each "
            "organization's today in its own time zone).",
        )

    def handle(self, *args, dry_run=False, as_of=None, **options):
        as_of = iso_date(as_of) if as_of else None
        if dry_run:
            plans = plan_reminders(as_of=as_of)
            # The same split as the real run: a customer without e-mail is skipped there,
            # so it is neither listed nor counted as a reminder that would be sent.
            sendable = [plan for plan in plans if plan.email]
            skipped = [plan for plan in plans if not plan.email]
            for plan in sendable:
                self.stdout.write(f"would send: {self._describe(plan)} to {plan.email}")
            for plan in skipped:
                self.stdout.write(f"would skip (customer has no e-mail): {self._describe(plan)}")
            self.stdout.write(
                f"Dry run: {len(sendable)} reminder(s) would be sent; customer without "
                f"e-mail: {len(skipped)}; nothing was sent."
            )
            return
        run = send_due_reminders(as_of=as_of)
        for plan in run.sent:
            self.stdout.write(f"sent: {self._describe(plan)} to {plan.email}")
        for plan in run.no_email:
            self.stderr.write(f"skipped (customer has no e-mail): {self._describe(plan)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Reminders sent: {len(run.sent)}; already sent elsewhere: {run.already_sent}; "
                f"locked by another run: {run.locked}; customer without e-mail: "
                f"{len(run.no_email)}."
            )
        )

    @staticmethod
    def _describe(plan):
        return f"{plan.organization} invoice {plan.number} stage {plan.stage:+d}"
