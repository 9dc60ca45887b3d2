from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from banking.invariants import BankLedgerCheck
from stripe_gateway.invariants import stripe_violations


class Command(BaseCommand):
    help = (
        "Check every ledger invariant (spec 5, 6 and 14) for every organization: totals equal "
        "the sum of the lines and each line's figures, amount_paid equals the sum of the "
        "payment rows and lies within 0..total, balance_due = total - amount_paid - "
        "credited_total - written_off_total, status and paid_at follow them, reversals cancel "
        "a payment of the same invoice, credit notes' totals, lines, refunds and per-rate caps, "
        "credited_total and written_off_on against their rows, customer credit balances against "
        "their entries (never negative) and receipts against their allocations and credit, "
        "and invoice and credit-note numbers are gapless and unique; bills and bill payments "
        "alike. Prints each violation; exits 1 if there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--organization",
            type=int,
            action="append",
            metavar="ID",
            help="Check only this organization (repeatable). Default: all.",
        )

    def handle(self, *args, organization=None, **options):
        organizations = Organization.objects.order_by("pk")
        if organization:
            organizations = organizations.filter(pk__in=organization)
            missing = set(organization) - set(organizations.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"Unknown organization id(s): {sorted(missing)}")
        # The check of every app that keeps money rows, bank lines (spec 15) the topmost.
        check = BankLedgerCheck(organizations)
        violations = check.run()
        # What Stripe brought in (spec 15): its records against their rows and credit.
        for item in stripe_violations(list(check.organizations)):
            check._report(*item)
        for violation in violations:
            self.stderr.write(f"VIOLATION {violation}")
        checked = (
            f"{len(check.organizations)} organization(s), {check.invoice_count} invoice(s), "
            f"{check.payment_count} payment row(s), {check.credit_note_count} credit note(s), "
            f"{check.write_off_count} write-off(s), {check.bill_count} bill(s), "
            f"{check.bill_payment_count} bill payment row(s), {check.credit_entry_count} credit "
            f"entry(ies), {check.receipt_count} receipt(s), "
            f"{check.bank_statement_count} bank statement(s), {check.bank_line_count} bank line(s)"
        )
        if violations:
            raise CommandError(f"Ledger check failed: {len(violations)} violation(s) in {checked}.")
        self.stdout.write(self.style.SUCCESS(f"Ledger OK: checked {checked}; no violations."))
