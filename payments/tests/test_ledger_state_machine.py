"""Random sequences of pay / refund / reverse / void in USD, JPY and KWD against a model of
the ledger: after every step every money invariant of spec 5 and 6 holds on every invoice,
each command succeeds exactly when the model says it may (a refusal changes nothing), and
`verify_ledger` is clean."""

from dataclasses import dataclass
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
from fintrack.tests.helpers import snapshot
from invoices.models import Invoice, InvoiceStatus, status_for_amount_paid
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment, PaymentKind

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
    void: bool = False
    had_payment: bool = False


@dataclass
class ModelPayment:
    pk: int
    invoice: ModelInvoice
    amount: Decimal
    reversed: bool = False


def money(minor_amount, currency):
    return Decimal(minor_amount).scaleb(-MINOR_UNITS[currency])


class LedgerMachine(RuleBasedStateMachine):
    """One organization's books; each example runs in a savepoint rolled back at teardown."""

    invoices = Bundle("invoices")
    payments = Bundle("payments")

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.organization = OrganizationFactory(base_currency="USD")
        self.actor = MembershipFactory(organization=self.organization, role=Role.FINANCE).user
        self.models = []

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- a command either does what the model says or is refused and changes nothing ----

    def attempt(self, invoice, allowed, command):
        before = snapshot(Invoice(pk=invoice.pk))
        try:
            result = command()
        except DomainError as error:
            assert not allowed, f"refused although allowed: {error.code}"
            assert snapshot(Invoice(pk=invoice.pk)) == before
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
        allowed = not invoice.void and amount > 0 and invoice.paid + amount <= invoice.total
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
        invoice.had_payment = True
        return ModelPayment(pk=row.pk, invoice=invoice, amount=amount)

    @rule(invoice=invoices, minor_amount=MINOR_AMOUNTS)
    def refund(self, invoice, minor_amount):
        self._refund(invoice, money(minor_amount, invoice.currency))

    @rule(invoice=invoices)
    def refund_everything(self, invoice):
        self._refund(invoice, invoice.paid)

    def _refund(self, invoice, amount):
        allowed = not invoice.void and 0 < amount <= invoice.paid
        row = self.attempt(
            invoice,
            allowed,
            lambda: Payment.refund(Invoice(pk=invoice.pk), amount=amount, actor=self.actor),
        )
        if row is not None:
            invoice.paid -= amount

    @rule(payment=payments)
    def reverse(self, payment):
        invoice = payment.invoice
        allowed = not payment.reversed and invoice.paid - payment.amount >= 0
        row = self.attempt(
            invoice,
            allowed,
            lambda: Payment.objects.get(pk=payment.pk).reverse(actor=self.actor),
        )
        if row is not None:
            payment.reversed = True
            invoice.paid -= payment.amount

    @rule(invoice=invoices)
    def void(self, invoice):
        allowed = not invoice.void and not invoice.had_payment

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
            assert invoice.balance_due == invoice.total - invoice.amount_paid
            for figure in (invoice.amount_paid, invoice.balance_due, invoice.total):
                assert figure == figure.quantize(Decimal(1).scaleb(-digits))
            if invoice.status == InvoiceStatus.VOID:
                assert rows == []
            else:
                assert invoice.status == status_for_amount_paid(paid, invoice.total)
                assert invoice.number
            assert (invoice.status == InvoiceStatus.PAID) == (invoice.paid_at is not None)
            for row in rows:
                assert (row.currency, row.organization_id) == (
                    invoice.currency,
                    invoice.organization_id,
                )
                assert (row.amount > 0) == (row.kind == PaymentKind.PAYMENT)
                if row.kind == PaymentKind.REVERSAL:
                    assert row.reverses.invoice_id == invoice.pk
                    assert row.amount == -row.reverses.amount

    @invariant()
    def the_database_agrees_with_the_model(self):
        for model in self.models:
            stored = Invoice.objects.get(pk=model.pk)
            assert stored.amount_paid == model.paid
            assert (stored.status == InvoiceStatus.VOID) == model.void

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
            stateful_step_count=15,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
