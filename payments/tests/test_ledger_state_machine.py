"""Random sequences of pay / refund / reverse / void, credit notes, write-offs and
recoveries, and customer credit (overpayments to credit, applying and refunding credit,
receipts over several invoices and their reversal) in USD, JPY and KWD against a model of
the ledger: after every step every money invariant of spec 5, 6 and 14 holds on every
invoice and on the customer's credit, each command succeeds exactly when the model says it
may (a refusal changes nothing), and `verify_ledger` is clean."""

from dataclasses import dataclass, field
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, OrganizationFactory
from core.errors import DomainError
from credits.models import CreditNote, WriteOff
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import snapshot
from invoices.models import Invoice, InvoiceStatus, settled_figures
from invoices.tests.factories import InvoiceFactory, line
from payments.credit import CreditEntry, credit_balances, refund_credit
from payments.models import Payment, PaymentKind
from payments.receipts import Receipt

pytestmark = pytest.mark.django_db

MINOR_UNITS = {"USD": 2, "JPY": 0, "KWD": 3}

# Amounts in minor units: small ones that cancel out in binary floating point
# (0.10 + 0.20 - 0.30), and anything up to a large invoice.
SMALL = st.sampled_from([1, 3, 7, 10, 20, 30, 33, 70, 100])
MINOR_AMOUNTS = st.one_of(SMALL, SMALL, st.integers(1, 10**7))


@dataclass
class ModelInvoice:
    pk: int
    currency: str
    total: Decimal
    paid: Decimal = Decimal(0)
    # What of `paid` is cash (spec 14: refunds are bounded by it); the rest is credit.
    cash: Decimal = Decimal(0)
    void: bool = False
    had_payment: bool = False
    # Spec 14: what credit notes settled, their totals (capped by the invoice's one rate),
    # and whether the invoice was written off.
    credited: Decimal = Decimal(0)
    notes_total: Decimal = Decimal(0)
    written_off: bool = False

    @property
    def claim(self):
        """What the invoice still claims, owed or written off."""
        return self.total - self.paid - self.credited


@dataclass
class ModelPayment:
    pk: int
    invoice: ModelInvoice
    amount: Decimal
    reversed: bool = False
    kind: str = PaymentKind.PAYMENT
    # A receipt's allocation: reversed only with its receipt.
    in_receipt: bool = False


@dataclass
class ModelReceipt:
    pk: int
    currency: str
    unallocated: Decimal
    rows: list = field(default_factory=list)
    reversed: bool = False


def money(minor_amount, currency):
    return Decimal(minor_amount).scaleb(-MINOR_UNITS[currency])


class LedgerMachine(RuleBasedStateMachine):
    """One organization's books; each example runs in a savepoint rolled back at teardown."""

    invoices = Bundle("invoices")
    payments = Bundle("payments")
    receipts = Bundle("receipts")

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.organization = OrganizationFactory(base_currency="USD")
        self.actor = MembershipFactory(organization=self.organization, role=Role.FINANCE).user
        # One customer for every invoice: its credit is what moves between them.
        self.customer = CustomerFactory(organization=self.organization, currency="USD")
        self.credit = {currency: Decimal(0) for currency in MINOR_UNITS}
        self.models = []

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- a command either does what the model says or is refused and changes nothing ----

    def attempt(self, invoice, allowed, command):
        """`invoice`: the model invoice the command touches, a list of them, or None."""
        touched = invoice if isinstance(invoice, list) else [invoice] if invoice else []

        def state():
            return (
                [snapshot(Invoice(pk=model.pk)) for model in touched],
                credit_balances(self.customer),
                CreditEntry.objects.count(),
                Receipt.objects.filter(reversed_at__isnull=True).count(),
            )

        before = state()
        try:
            result = command()
        except DomainError as error:
            assert not allowed, f"refused although allowed: {error.code}"
            assert state() == before
            return None
        assert allowed, "accepted although the model refuses it"
        return result

    @initialize(
        target=invoices, minor_totals=st.lists(st.integers(1000, 10**8), min_size=3, max_size=3)
    )
    def one_invoice_per_currency(self, minor_totals):
        return multiple(
            *(
                self._send(currency, minor_total)
                for currency, minor_total in zip(sorted(MINOR_UNITS), minor_totals, strict=True)
            )
        )

    @rule(
        target=invoices,
        currency=st.sampled_from(sorted(MINOR_UNITS)),
        minor_total=st.integers(1, 10**8),
    )
    def send_invoice(self, currency, minor_total):
        return self._send(currency, minor_total)

    def _send(self, currency, minor_total):
        total = money(minor_total, currency)
        invoice = InvoiceFactory(
            organization=self.organization,
            customer=self.customer,
            sent=True,
            total=str(total),
            currency=currency,
            actor=self.actor,
        )
        assert invoice.total == total
        model = ModelInvoice(pk=invoice.pk, currency=currency, total=total)
        self.models.append(model)
        return model

    @rule(target=payments, invoice=invoices, minor_amount=MINOR_AMOUNTS)
    def pay(self, invoice, minor_amount):
        amount = money(minor_amount, invoice.currency)
        return self._pay(invoice, amount)

    @rule(target=payments, invoice=invoices, minor_amounts=st.lists(SMALL, min_size=2, max_size=4))
    def pay_in_instalments(self, invoice, minor_amounts):
        rows = [self._pay(invoice, money(minor, invoice.currency)) for minor in minor_amounts]
        return multiple(*(row for row in rows if isinstance(row, ModelPayment)))

    @rule(target=payments, invoice=invoices)
    def pay_the_balance(self, invoice):
        return self._pay(invoice, invoice.total - invoice.paid)

    def _pay(self, invoice, amount):
        # Owed or written off (a recovery), the bound is what the invoice still claims.
        allowed = not invoice.void and 0 < amount <= invoice.claim
        row = self.attempt(
            invoice,
            allowed,
            lambda: Payment.pay(
                Invoice(pk=invoice.pk), amount=amount, method="card", actor=self.actor
            ),
        )
        if row is None:
            return multiple()
        invoice.paid += amount
        invoice.cash += amount
        invoice.had_payment = True
        return ModelPayment(pk=row.pk, invoice=invoice, amount=amount)

    @rule(target=payments, invoice=invoices, minor_excess=MINOR_AMOUNTS)
    def overpay_to_credit(self, invoice, minor_excess):
        excess = money(minor_excess, invoice.currency)
        claim = invoice.claim
        row = self.attempt(
            invoice,
            not invoice.void and claim > 0,
            lambda: Payment.pay(
                Invoice(pk=invoice.pk),
                amount=claim + excess,
                method="card",
                excess="credit",
                actor=self.actor,
            ),
        )
        if row is None:
            return multiple()
        assert (row.amount, row.credited_to_balance) == (claim, excess)
        invoice.paid += claim
        invoice.cash += claim
        invoice.had_payment = True
        self.credit[invoice.currency] += excess
        return ModelPayment(pk=row.pk, invoice=invoice, amount=claim)

    @rule(target=payments, invoice=invoices, minor_amount=MINOR_AMOUNTS)
    def apply_credit(self, invoice, minor_amount):
        amount = money(minor_amount, invoice.currency)
        allowed = (
            not invoice.void
            and invoice.claim > 0
            and amount <= invoice.claim
            and amount <= self.credit[invoice.currency]
        )
        row = self.attempt(
            invoice,
            allowed,
            lambda: Payment.apply_credit(Invoice(pk=invoice.pk), amount=amount, actor=self.actor),
        )
        if row is None:
            return multiple()
        invoice.paid += amount
        invoice.had_payment = True
        self.credit[invoice.currency] -= amount
        return ModelPayment(pk=row.pk, invoice=invoice, amount=amount, kind=PaymentKind.CREDIT)

    @rule(currency=st.sampled_from(sorted(MINOR_UNITS)), minor_amount=MINOR_AMOUNTS)
    def refund_credit(self, currency, minor_amount):
        amount = money(minor_amount, currency)
        entry = self.attempt(
            None,
            amount <= self.credit[currency],
            lambda: refund_credit(
                self.customer, currency=currency, amount=amount, method="cash", actor=self.actor
            ),
        )
        if entry is not None:
            self.credit[currency] -= amount

    @rule(
        target=receipts,
        chosen=st.lists(invoices, max_size=3),
        shares=st.lists(SMALL, min_size=3, max_size=3),
        minor_rest=st.sampled_from([0, 0, 1, 50]),
    )
    def receipt(self, chosen, shares, minor_rest):
        currency = chosen[0].currency if chosen else "USD"
        chosen = [invoice for invoice in chosen if invoice.currency == currency]
        allocations = [
            (invoice, money(minor, currency))
            for invoice, minor in zip(chosen, shares, strict=False)
        ]
        rest = money(minor_rest, currency)
        amount = sum((share for _, share in allocations), Decimal(0)) + rest
        allowed = (
            amount > 0
            and len({invoice.pk for invoice in chosen}) == len(chosen)
            and all(not inv.void and 0 < share <= inv.claim for inv, share in allocations)
        )
        receipt = self.attempt(
            chosen,
            allowed,
            lambda: Receipt.record(
                self.customer,
                currency=currency,
                amount=amount,
                method="bank_transfer",
                allocations=[{"invoice": inv.pk, "amount": share} for inv, share in allocations],
                actor=self.actor,
            ),
        )
        if receipt is None:
            return multiple()
        model = ModelReceipt(pk=receipt.pk, currency=currency, unallocated=rest)
        written = {row.invoice_id: row for row in receipt.allocation_rows}
        assert len(written) == len(allocations)
        for invoice, share in allocations:
            row = written[invoice.pk]
            invoice.paid += share
            invoice.cash += share
            invoice.had_payment = True
            model.rows.append(
                ModelPayment(pk=row.pk, invoice=invoice, amount=share, in_receipt=True)
            )
        self.credit[currency] += rest
        return model

    @rule(receipt=receipts)
    def reverse_receipt(self, receipt):
        allowed = (
            not receipt.reversed
            and all(row.invoice.cash - row.amount >= 0 for row in receipt.rows)
            and self.credit[receipt.currency] >= receipt.unallocated
        )
        done = self.attempt(
            [row.invoice for row in receipt.rows],
            allowed,
            lambda: Receipt.objects.get(pk=receipt.pk).reverse(actor=self.actor),
        )
        if done is not None:
            receipt.reversed = True
            for row in receipt.rows:
                row.reversed = True
                row.invoice.paid -= row.amount
                row.invoice.cash -= row.amount
            self.credit[receipt.currency] -= receipt.unallocated

    @rule(invoice=invoices, minor_amount=MINOR_AMOUNTS)
    def refund(self, invoice, minor_amount):
        self._refund(invoice, money(minor_amount, invoice.currency))

    @rule(invoice=invoices)
    def refund_everything(self, invoice):
        self._refund(invoice, invoice.cash)

    def _refund(self, invoice, amount):
        allowed = not invoice.void and 0 < amount <= invoice.cash
        row = self.attempt(
            invoice,
            allowed,
            lambda: Payment.refund(Invoice(pk=invoice.pk), amount=amount, actor=self.actor),
        )
        if row is not None:
            invoice.paid -= amount
            invoice.cash -= amount

    @rule(payment=payments)
    def reverse(self, payment):
        invoice = payment.invoice
        is_credit = payment.kind == PaymentKind.CREDIT
        # A payment takes back cash; a credit row gives its amount back to the credit.
        left = invoice.paid if is_credit else invoice.cash
        allowed = not payment.reversed and left - payment.amount >= 0
        row = self.attempt(
            invoice,
            allowed,
            lambda: Payment.objects.get(pk=payment.pk).reverse(actor=self.actor),
        )
        if row is not None:
            payment.reversed = True
            invoice.paid -= payment.amount
            if is_credit:
                self.credit[invoice.currency] += payment.amount
            else:
                invoice.cash -= payment.amount

    @rule(invoice=invoices, minor_amount=MINOR_AMOUNTS, refund=st.booleans())
    def credit_note(self, invoice, minor_amount, refund):
        amount = money(minor_amount, invoice.currency)
        to_invoice = min(amount, invoice.claim)
        refunded = min(amount - to_invoice, invoice.cash) if refund else Decimal(0)
        # The rest goes to the customer's credit (spec 14).
        to_credit = amount - to_invoice - refunded
        allowed = not invoice.void and invoice.notes_total + amount <= invoice.total
        note = self.attempt(
            invoice,
            allowed,
            lambda: CreditNote.issue(
                Invoice(pk=invoice.pk),
                lines=[line("Correction", unit_price=str(amount))],
                reason="test",
                refund=refund,
                actor=self.actor,
            ),
        )
        if note is not None:
            assert (note.credited_to_invoice, note.refunded, note.credited_to_balance) == (
                to_invoice,
                refunded,
                to_credit,
            )
            invoice.notes_total += amount
            invoice.credited += to_invoice + refunded
            invoice.paid -= refunded
            invoice.cash -= refunded
            self.credit[invoice.currency] += to_credit

    @rule(invoice=invoices)
    def write_off(self, invoice):
        allowed = not invoice.void and not invoice.written_off and invoice.claim > 0
        row = self.attempt(
            invoice,
            allowed,
            lambda: WriteOff.write_off(Invoice(pk=invoice.pk), reason="test", actor=self.actor),
        )
        if row is not None:
            invoice.written_off = True

    @rule(invoice=invoices)
    def void(self, invoice):
        allowed = (
            not invoice.void
            and not invoice.had_payment
            and not invoice.notes_total
            and not invoice.written_off
        )

        def void():
            Invoice.objects.get(pk=invoice.pk).void(reason="test", actor=self.actor)
            return True

        if self.attempt(invoice, allowed, void):
            invoice.void = True

    # --- spec 5 and 6, after every step --------------------------------------------------

    @invariant()
    def every_invoice_keeps_the_money_invariants(self):
        for invoice in Invoice.objects.filter(organization=self.organization):
            rows = list(invoice.payments.all())
            paid = sum((row.amount for row in rows), Decimal(0))
            digits = MINOR_UNITS[invoice.currency]
            assert invoice.minor_unit == digits
            assert invoice.amount_paid == paid
            assert Decimal(0) <= invoice.amount_paid <= invoice.total
            credited = sum(
                (n.credited_to_invoice + n.refunded for n in invoice.credit_notes.all()),
                Decimal(0),
            )
            assert invoice.credited_total == credited
            assert invoice.balance_due == (
                invoice.total - paid - credited - invoice.written_off_total
            )
            assert min(invoice.balance_due, invoice.written_off_total) >= 0
            figures = (
                invoice.amount_paid,
                invoice.balance_due,
                invoice.total,
                invoice.credited_total,
                invoice.written_off_total,
            )
            for figure in figures:
                assert figure == figure.quantize(Decimal(1).scaleb(-digits))
            if invoice.status == InvoiceStatus.VOID:
                assert rows == []
            else:
                assert (invoice.written_off_total, invoice.balance_due, invoice.status) == (
                    settled_figures(
                        total=invoice.total,
                        amount_paid=paid,
                        credited_total=credited,
                        written_off=invoice.written_off_on is not None,
                    )
                )
                assert invoice.number
            assert (invoice.status == InvoiceStatus.PAID) == (invoice.paid_at is not None)
            for row in rows:
                assert (row.currency, row.organization_id) == (
                    invoice.currency,
                    invoice.organization_id,
                )
                assert (row.amount > 0) == (row.kind in (PaymentKind.PAYMENT, PaymentKind.CREDIT))
                if row.kind == PaymentKind.REVERSAL:
                    assert row.reverses.invoice_id == invoice.pk
                    assert row.amount == -row.reverses.amount

    @invariant()
    def the_database_agrees_with_the_model(self):
        for model in self.models:
            stored = Invoice.objects.get(pk=model.pk)
            assert stored.amount_paid == model.paid
            assert stored.credited_total == model.credited
            assert (stored.written_off_on is not None) == model.written_off
            assert stored.written_off_total == (model.claim if model.written_off else 0)
            assert (stored.status == InvoiceStatus.VOID) == model.void
            for row in stored.payments.all():
                # A recovery is money moved once the invoice was written off.
                if row.recovery:
                    assert model.written_off

    @invariant()
    def the_customers_credit_agrees_with_the_model(self):
        stored = credit_balances(self.customer)
        for currency, amount in self.credit.items():
            assert amount >= 0
            assert stored.get(currency, Decimal(0)) == amount
            entries = CreditEntry.objects.filter(customer=self.customer, currency=currency)
            assert sum((entry.amount for entry in entries), Decimal(0)) == amount

    @invariant()
    def verify_ledger_is_clean(self):
        out = StringIO()
        call_command("verify_ledger", stdout=out, stderr=out)
        assert "Ledger OK" in out.getvalue()


def test_random_ledger_histories_keep_every_invariant(db):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=16,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
