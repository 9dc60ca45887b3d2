"""The ledger invariants of spec 14 for customer credit and receipts, part of
`credits.invariants.CreditLedgerCheck` (verify_ledger):

- each customer's credit balance row equals the sum of its entries and is never negative,
  nor was its running sum at any entry;
- each `credit` row has its `applied` entry of the opposite amount, each reversal of one
  its `reversed` entry giving the amount back, and no such entry exists without its row;
- each receipt's amount is its allocations (payment rows of its customer and currency)
  plus its `receipt` entry; a reversed receipt has every allocation reversed and its rest
  taken back by one `reversed` entry, a receipt not reversed has neither.
"""

from collections import defaultdict

from core.money import ZERO, at_stored_scale, format_plain
from payments.credit import CreditEntry, CreditKind, CustomerCredit
from payments.models import Payment, PaymentKind
from payments.receipts import Receipt


class CustomerCreditChecks:
    """Mixed into the ledger check: needs `organizations` and `_report`."""

    credit_entry_count = 0
    receipt_count = 0

    def check_customer_credit(self):
        self.check_credit_balances()
        self.check_credit_rows()
        self.check_receipts()

    def check_credit_balances(self):
        entries = (
            CreditEntry.objects.filter(organization__in=self.organizations)
            .values_list("organization_id", "customer_id", "currency", "amount", "pk")
            .order_by("customer_id", "currency", "created_at", "pk")
        )
        running = defaultdict(lambda: ZERO)
        owners = {}
        count = 0
        for organization_id, customer_id, currency, amount, pk in entries.iterator(chunk_size=5000):
            count += 1
            key = (customer_id, currency)
            owners[key] = organization_id
            running[key] += amount
            if running[key] < 0:
                self._report(
                    organization_id,
                    f"customer id {customer_id} credit in {currency}",
                    "credit_never_negative",
                    f"entry {pk} takes the credit to {format_plain(running[key], currency)}",
                )
        self.credit_entry_count = count
        balances = CustomerCredit.objects.filter(organization__in=self.organizations)
        stored = {}
        for balance in balances:
            key = (balance.customer_id, balance.currency)
            stored[key] = balance
            if balance.amount < 0:
                self._report(
                    balance.organization_id,
                    f"customer id {balance.customer_id} credit in {balance.currency}",
                    "credit_never_negative",
                    f"balance {format_plain(balance.amount, balance.minor_unit)}",
                )
        for key in set(stored) | set(running):
            balance = stored.get(key)
            summed = at_stored_scale(running.get(key, ZERO))
            if balance is None or balance.amount != summed:
                customer_id, currency = key
                self._report(
                    balance.organization_id if balance else owners[key],
                    f"customer id {customer_id} credit in {currency}",
                    "credit_balance_equals_entries",
                    f"balance {format_plain(balance.amount, currency) if balance else 'missing'}"
                    f" but its entries sum to {format_plain(summed, currency)}",
                )

    def check_credit_rows(self):
        """`credit` rows and their reversals against their `applied` / `reversed` entries."""
        entries = defaultdict(list)
        owners = {}
        linked = CreditEntry.objects.filter(
            organization__in=self.organizations,
            kind__in=[CreditKind.APPLIED, CreditKind.REVERSED],
            payment__isnull=False,
        ).values_list("payment_id", "kind", "amount", "customer_id", "organization_id")
        for payment_id, kind, amount, customer_id, organization_id in linked:
            entries[payment_id].append((kind, amount, customer_id))
            owners[payment_id] = organization_id
        rows = (
            Payment.objects.filter(organization__in=self.organizations)
            .filter(kind__in=[PaymentKind.CREDIT, PaymentKind.REVERSAL])
            .select_related("invoice", "reverses")
        )
        seen = set()
        for row in rows.iterator(chunk_size=2000):
            is_credit = row.kind == PaymentKind.CREDIT
            if not is_credit and (row.reverses is None or row.reverses.kind != PaymentKind.CREDIT):
                continue
            seen.add(row.pk)
            expected = (
                CreditKind.APPLIED if is_credit else CreditKind.REVERSED,
                -row.amount,
                row.invoice.customer_id,
            )
            found = [
                (kind, at_stored_scale(amount), customer)
                for kind, amount, customer in entries[row.pk]
            ]
            if found != [expected]:
                self._report(
                    row.organization_id,
                    self._payment_label(row),
                    "credit_rows_match_their_entries",
                    f"expected one {expected[0]} entry of "
                    f"{format_plain(-row.amount, row.invoice.minor_unit)} for customer id "
                    f"{expected[2]}, found {len(found)} other(s)",
                )
        for payment_id in set(entries) - seen:
            self._report(
                owners[payment_id],
                f"payment id {payment_id}",
                "credit_rows_match_their_entries",
                "an applied or reversed entry names a row that is no credit row nor its reversal",
            )

    def check_receipts(self):
        receipts = Receipt.objects.filter(organization__in=self.organizations)
        self.receipt_count = receipts.count()
        allocations = defaultdict(list)
        for row in Payment.objects.filter(receipt__in=receipts).select_related("invoice"):
            allocations[row.receipt_id].append(row)
        reversed_ids = set(
            Payment.objects.filter(
                reverses__receipt__in=receipts, kind=PaymentKind.REVERSAL
            ).values_list("reverses_id", flat=True)
        )
        credit = defaultdict(lambda: defaultdict(lambda: ZERO))
        for receipt_id, kind, amount in CreditEntry.objects.filter(
            receipt__in=receipts
        ).values_list("receipt_id", "kind", "amount"):
            credit[receipt_id][kind] += amount
        for receipt in receipts.order_by("pk").iterator(chunk_size=2000):
            label = f"receipt id {receipt.pk}"

            def money(value, receipt=receipt):
                return format_plain(value, receipt.minor_unit)

            rows = allocations[receipt.pk]
            allocated = at_stored_scale(sum((row.amount for row in rows), ZERO))
            on_credit = at_stored_scale(credit[receipt.pk][CreditKind.RECEIPT])
            if (
                receipt.allocated != allocated
                or receipt.unallocated != on_credit
                or receipt.amount != receipt.allocated + receipt.unallocated
            ):
                self._report(
                    receipt.organization_id,
                    label,
                    "receipt_equals_allocations_plus_credit",
                    f"amount {money(receipt.amount)}: allocations {money(allocated)} "
                    f"(stored {money(receipt.allocated)}), credit {money(on_credit)} "
                    f"(stored {money(receipt.unallocated)})",
                )
            strays = [
                row
                for row in rows
                if row.kind != PaymentKind.PAYMENT
                or row.currency != receipt.currency
                or row.invoice.customer_id != receipt.customer_id
            ]
            if strays:
                self._report(
                    receipt.organization_id,
                    label,
                    "receipt_allocations_match_receipt",
                    f"row(s) {[row.pk for row in strays]} are not payments of the receipt's "
                    "customer in its currency",
                )
            taken_back = at_stored_scale(credit[receipt.pk][CreditKind.REVERSED])
            unreversed = [row.pk for row in rows if row.pk not in reversed_ids]
            if receipt.reversed_at is not None:
                complete = not unreversed and taken_back == -receipt.unallocated
            else:
                complete = taken_back == 0 and len(unreversed) == len(rows)
            if not complete:
                self._report(
                    receipt.organization_id,
                    label,
                    "receipt_reversed_whole_or_not_at_all",
                    f"reversed_at {receipt.reversed_at}, allocations not reversed "
                    f"{unreversed}, credit taken back {money(-taken_back)}",
                )
