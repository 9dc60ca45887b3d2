"""The ledger invariants of spec 15 for bank statements and lines, added to the ledger check
of specs 5, 6 and 14 (`credits.invariants.CreditLedgerCheck`); `verify_ledger` runs them.

- a statement's `added` is the number of lines it added, and `matched` at most that;
- a line's key is unique per organization and account (the database says so too);
- a line's amount has its currency's digits;
- a line is `matched` exactly when it has a receipt, and that receipt is the line's money:
  same organization, currency and amount, by bank transfer, received on its booking date,
  and only incoming lines have one.
"""

from django.db.models import Count

from banking.models import BankLine, BankLineStatus, BankStatement
from core.money import has_excess_digits, is_currency
from credits.invariants import CreditLedgerCheck


class BankLedgerCheck(CreditLedgerCheck):
    def __init__(self, organizations):
        super().__init__(organizations)
        self.bank_statement_count = 0
        self.bank_line_count = 0

    def run(self):
        super().run()
        self.check_bank_statements()
        self.check_bank_lines()
        return self.violations

    def check_bank_statements(self):
        statements = BankStatement.objects.filter(
            organization__in=list(self.organizations)
        ).annotate(line_count=Count("lines"))
        for statement in statements.order_by("pk"):
            self.bank_statement_count += 1
            subject = f"bank statement {statement.pk}"
            if statement.added != statement.line_count:
                self._report(
                    statement.organization_id,
                    subject,
                    "statement_added_equals_its_lines",
                    f"added {statement.added}, lines {statement.line_count}",
                )
            if statement.matched > statement.added:
                self._report(
                    statement.organization_id,
                    subject,
                    "statement_matched_within_added",
                    f"matched {statement.matched} of {statement.added} added",
                )

    def check_bank_lines(self):
        lines = BankLine.objects.filter(organization__in=list(self.organizations))
        lines = lines.select_related("receipt")
        for line in lines.order_by("pk").iterator(chunk_size=2000):
            self.bank_line_count += 1
            subject = f"bank line {line.pk}"
            if not is_currency(line.currency) or has_excess_digits(line.amount, line.currency):
                self._report(
                    line.organization_id,
                    subject,
                    "bank_line_amount_in_its_currency",
                    f"{line.amount} {line.currency}",
                )
            self.check_bank_receipt(line, subject)

    def check_bank_receipt(self, line, subject):
        receipt = line.receipt
        if (line.status == BankLineStatus.MATCHED) != (receipt is not None):
            self._report(
                line.organization_id,
                subject,
                "bank_line_matched_has_receipt",
                f"status {line.status}, receipt {line.receipt_id}",
            )
        if receipt is None:
            return
        found = (
            receipt.organization_id,
            receipt.currency,
            receipt.amount,
            receipt.method,
            receipt.received_on,
        )
        wanted = (line.organization_id, line.currency, line.amount, "bank_transfer", line.date)
        if found != wanted:
            self._report(
                line.organization_id,
                subject,
                "bank_line_receipt_is_its_money",
                f"receipt {receipt.pk}: {found!r}, line: {wanted!r}",
            )
