"""Spec 5.3 at the model layer: lifecycle commands, numbering, history and the actor."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import F

from accounts.tests.factories import OrganizationFactory, UserFactory
from core.errors import ConcurrentModification, DomainError, InvalidStatus
from customers.tests.factories import CustomerFactory
from invoices.exceptions import (
    AmountTooLarge,
    CustomerArchived,
    InvalidDates,
    InvalidLine,
    InvoiceEmpty,
    InvoiceHasPayments,
    InvoiceNotEditable,
)
from invoices.models import Invoice, InvoiceLine, InvoiceStatus
from invoices.tests.factories import InvoiceFactory, line
from payments.models import Payment
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    return UserFactory()


# --- creation and editing ------------------------------------------------------------------


def test_create_draft_writes_one_history_row_with_the_actor(organization, actor):
    invoice = InvoiceFactory(organization=organization, actor=actor, lines=[line(), line()])
    history = list(invoice.history.all())
    assert len(history) == 1
    assert history[0].history_type == "+"
    assert history[0].history_user == actor
    assert history[0].total == invoice.total == Decimal("200.00")
    assert {h.history_user for h in InvoiceLine.history.filter(invoice_id=invoice.pk)} == {actor}


def test_currency_defaults_to_the_customers(organization, actor):
    customer = CustomerFactory(organization=organization, currency="JPY")
    invoice = Invoice.create_draft(organization=organization, customer=customer, actor=actor)
    assert invoice.currency == "JPY"
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number is None


def test_draft_may_be_created_without_lines(organization, actor):
    invoice = InvoiceFactory(organization=organization, lines=[])
    assert invoice.total == Decimal("0")


def test_archived_customer_cannot_get_a_new_invoice(organization, actor):
    customer = CustomerFactory(organization=organization)
    customer.archive(actor=actor)
    with pytest.raises(CustomerArchived):
        Invoice.create_draft(organization=organization, customer=customer, actor=actor)


def test_customer_of_another_organization_is_refused(organization, other_organization, actor):
    customer = CustomerFactory(organization=other_organization)
    with pytest.raises(ValueError):
        Invoice.create_draft(organization=organization, customer=customer, actor=actor)


@pytest.mark.parametrize(
    "bad",
    [
        {"quantity": "0"},
        {"quantity": "-1"},
        {"unit_price": "-0.01"},
        {"discount_percent": "100.0001"},
        {"tax_rate": "-1"},
        {"quantity": "0.00001"},
        {"description": ""},
        {"description": "x" * 501},
        {"description": None},
        {"quantity": None},
        {"unit_price": "abc"},
        {"tax_rate": "NaN"},
        {"quantity": "Infinity"},
    ],
)
def test_invalid_line_values_are_refused_before_any_write(organization, actor, bad):
    data = {**line(), **bad}
    with pytest.raises(InvalidLine):
        InvoiceFactory(organization=organization, lines=[data])
    assert not Invoice.objects.exists()


def test_amount_beyond_storage_is_amount_too_large(organization, actor):
    huge = line(quantity="999999999999999", unit_price="999999999999999")
    with pytest.raises(AmountTooLarge):
        InvoiceFactory(organization=organization, lines=[huge])


def test_update_draft_replaces_lines_as_a_whole(organization, actor):
    invoice = InvoiceFactory(organization=organization, lines=[line(), line()])
    invoice.update_draft(actor=actor, lines=[line(unit_price="5.00")])
    assert [item.unit_price for item in invoice.lines.all()] == [Decimal("5.00")]
    assert invoice.total == Decimal("5.00")
    assert invoice.version == 2
    assert invoice.history.first().history_user == actor


def test_update_draft_without_lines_keeps_them(organization, actor):
    invoice = InvoiceFactory(organization=organization, lines=[line(unit_price="7.00")])
    invoice.update_draft(actor=actor, reference="PO-1")
    assert invoice.reference == "PO-1"
    assert invoice.lines.count() == 1
    assert invoice.total == Decimal("7.00")


def test_changing_the_currency_recomputes_kept_lines_for_its_minor_unit(organization, actor):
    invoice = InvoiceFactory(organization=organization, lines=[line(unit_price="10.50")])
    invoice.update_draft(actor=actor, currency="JPY")
    assert invoice.lines.get().amount == Decimal("11")
    assert invoice.total == Decimal("11")


def test_due_date_before_issue_date_is_refused(organization, actor):
    with pytest.raises(InvalidDates):
        InvoiceFactory(
            organization=organization, issue_date=date(2025, 5, 2), due_date=date(2025, 5, 1)
        )


def test_stale_instance_update_is_concurrent_modification(organization, actor):
    invoice = InvoiceFactory(organization=organization)
    stale = Invoice.objects.get(pk=invoice.pk)
    invoice.update_draft(actor=actor, notes="first")
    with pytest.raises(ConcurrentModification):
        stale.update_draft(actor=actor, notes="second")
    invoice.refresh_from_db()
    assert invoice.notes == "first"


def test_delete_draft_removes_it_and_its_lines(organization, actor):
    invoice = InvoiceFactory(organization=organization)
    invoice.delete_draft(actor=actor)
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()


def test_deleting_a_stale_draft_is_refused_and_keeps_the_newer_edit(organization, actor):
    invoice = InvoiceFactory(organization=organization)
    stale = Invoice.objects.get(pk=invoice.pk)
    invoice.update_draft(actor=actor, notes="edited meanwhile")
    with pytest.raises(ConcurrentModification):
        stale.delete_draft(actor=actor)
    assert Invoice.objects.get(pk=invoice.pk).notes == "edited meanwhile"


def test_sent_invoice_can_be_neither_edited_nor_deleted(organization, actor):
    invoice = InvoiceFactory(organization=organization, sent=True)
    with pytest.raises(InvoiceNotEditable):
        invoice.update_draft(actor=actor, notes="x")
    with pytest.raises(InvoiceNotEditable):
        invoice.delete_draft(actor=actor)


# --- send ---------------------------------------------------------------------------------


def test_send_assigns_number_and_default_dates(organization, actor):
    customer = CustomerFactory(organization=organization, payment_terms_days=14)
    invoice = InvoiceFactory(organization=organization, customer=customer)
    invoice.send(actor=actor)
    today = organization.today()
    assert invoice.status == InvoiceStatus.SENT
    assert invoice.number == "INV-00001"
    assert invoice.issue_date == today
    assert invoice.due_date == today + timedelta(days=14)
    assert invoice.sent_at is not None
    assert invoice.history.first().history_user == actor


def test_send_keeps_given_dates(organization, actor):
    invoice = InvoiceFactory(
        organization=organization, issue_date=date(2025, 1, 10), due_date=date(2025, 1, 20)
    )
    invoice.send(actor=actor)
    assert (invoice.issue_date, invoice.due_date) == (date(2025, 1, 10), date(2025, 1, 20))


def test_send_runs_on_sent_inside_the_transaction(organization, actor):
    invoice = InvoiceFactory(organization=organization)
    seen = []
    invoice.send(actor=actor, on_sent=lambda sent: seen.append(sent.number))
    assert seen == ["INV-00001"]


def test_failing_on_sent_rolls_the_send_back_without_using_a_number(organization, actor):
    invoice = InvoiceFactory(organization=organization)

    def fail(sent):
        raise InvoiceEmpty()

    with pytest.raises(InvoiceEmpty):
        invoice.send(actor=actor, on_sent=fail)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT
    InvoiceFactory(organization=organization, sent=True)
    assert Invoice.objects.exclude(number=None).get().number == "INV-00001"


@pytest.mark.parametrize(
    "lines", [[], [line(unit_price="0")], [line(unit_price="10", discount_percent="100")]]
)
def test_send_needs_a_line_and_a_positive_total(organization, actor, lines):
    invoice = InvoiceFactory(organization=organization, lines=lines)
    with pytest.raises(InvoiceEmpty):
        invoice.send(actor=actor)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == (InvoiceStatus.DRAFT, None)


@pytest.mark.parametrize("status", ["sent", "void"])
def test_send_is_only_for_drafts(organization, actor, status):
    invoice = InvoiceFactory(organization=organization, sent=status == "sent")
    if status == "void":
        invoice.void(reason="mistake", actor=actor)
    with pytest.raises(InvalidStatus):
        invoice.send(actor=actor)


# --- numbering ----------------------------------------------------------------------------


def test_numbers_are_consecutive_per_organization(organization, other_organization):
    first = InvoiceFactory(organization=organization, sent=True)
    second = InvoiceFactory(organization=organization, sent=True)
    elsewhere = InvoiceFactory(organization=other_organization, sent=True)
    assert (first.number, second.number) == ("INV-00001", "INV-00002")
    assert elsewhere.number == "INV-00001"


def test_numbers_use_the_organizations_prefix():
    organization = OrganizationFactory(invoice_prefix="ACME")
    assert InvoiceFactory(organization=organization, sent=True).number == "ACME-00001"


def test_drafts_do_not_consume_numbers(organization, actor):
    InvoiceFactory(organization=organization)
    InvoiceFactory(organization=organization).delete_draft(actor=actor)
    assert InvoiceFactory(organization=organization, sent=True).number == "INV-00001"


def test_void_keeps_its_number_and_it_is_never_reused(organization, actor):
    voided = InvoiceFactory(organization=organization, sent=True)
    voided.void(reason="duplicate", actor=actor)
    assert voided.number == "INV-00001"
    assert InvoiceFactory(organization=organization, sent=True).number == "INV-00002"


# --- void ---------------------------------------------------------------------------------


def test_void_a_draft(organization, actor):
    invoice = InvoiceFactory(organization=organization)
    invoice.void(reason="not needed", actor=actor)
    assert invoice.status == InvoiceStatus.VOID
    assert invoice.number is None
    assert invoice.void_reason == "not needed"
    assert invoice.voided_at is not None
    assert invoice.history.first().history_user == actor


def test_void_a_sent_invoice_without_payments(organization, actor):
    invoice = InvoiceFactory(organization=organization, sent=True)
    assert invoice.can_void()
    invoice.void(reason="wrong customer", actor=actor)
    assert invoice.status == InvoiceStatus.VOID


def test_void_twice_is_invalid_status(organization, actor):
    invoice = InvoiceFactory(organization=organization)
    invoice.void(reason="x", actor=actor)
    with pytest.raises(InvalidStatus):
        invoice.void(reason="again", actor=actor)


@pytest.mark.parametrize("paid", ["40.00", "100.00"])
def test_void_with_payments_is_refused(organization, actor, paid):
    invoice = InvoiceFactory(organization=organization, sent=True)
    PaymentFactory(invoice=invoice, amount=paid, actor=actor)
    assert not invoice.can_void()
    with pytest.raises(InvoiceHasPayments):
        invoice.void(reason="x", actor=actor)


def test_void_after_a_reversed_payment_is_still_refused(organization, actor):
    invoice = InvoiceFactory(organization=organization, sent=True)
    payment = PaymentFactory(invoice=invoice, amount="40.00", actor=actor)
    payment.reverse(actor=actor)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SENT
    with pytest.raises(InvoiceHasPayments):
        invoice.void(reason="x", actor=actor)


# --- payments and status ------------------------------------------------------------------


def test_apply_payments_moves_status_with_amount_paid(organization, actor):
    invoice = InvoiceFactory(organization=organization, sent=True)
    PaymentFactory(invoice=invoice, amount="40.00", actor=actor)
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == (
        InvoiceStatus.PARTIALLY_PAID,
        Decimal("40.00"),
        Decimal("60.00"),
    )
    PaymentFactory(invoice=invoice, amount="60.00", actor=actor)
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_at is not None
    Payment.refund(invoice, amount=Decimal("100.00"), actor=actor)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_at, invoice.balance_due) == (
        InvoiceStatus.SENT,
        None,
        Decimal("100.00"),
    )


def test_overdue_twin_matches_the_sql_annotation(organization, actor):
    today = organization.today()
    overdue = InvoiceFactory(
        organization=organization,
        issue_date=today - timedelta(days=40),
        due_date=today - timedelta(days=1),
        sent=True,
    )
    current = InvoiceFactory(organization=organization, issue_date=today, due_date=today, sent=True)
    draft = InvoiceFactory(organization=organization, due_date=today - timedelta(days=1))
    # Partly paid and past due is overdue too (the rule is "receivable", not "sent").
    partial = InvoiceFactory(
        organization=organization,
        issue_date=today - timedelta(days=40),
        due_date=today - timedelta(days=1),
        sent=True,
    )
    PaymentFactory(invoice=partial, amount="40.00")
    paid = InvoiceFactory(
        organization=organization,
        issue_date=today - timedelta(days=40),
        due_date=today - timedelta(days=1),
        paid=True,
    )
    annotated = {i.pk: i.is_overdue for i in Invoice.objects.with_is_overdue(today)}
    assert annotated == {
        overdue.pk: True,
        current.pk: False,
        draft.pk: False,
        partial.pk: True,
        paid.pk: False,
    }
    assert set(
        Invoice.objects.filter(Invoice.objects.overdue_q(today)).values_list("pk", flat=True)
    ) == {
        overdue.pk,
        partial.pk,
    }
    for invoice in (overdue, current, draft, partial, paid):
        assert invoice.overdue_on(today) == annotated[invoice.pk]


def test_is_overdue_needs_a_positive_balance_due(organization):
    today = organization.today()
    invoice = InvoiceFactory(
        organization=organization,
        issue_date=today - timedelta(days=40),
        due_date=today - timedelta(days=1),
        sent=True,
    )
    # The commands never leave a receivable status with nothing owed (status follows
    # amount_paid), so shape such a row directly: it pins spec 5.3's third condition in
    # both the SQL annotation and its Python twin.
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=F("total"), balance_due=0)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SENT
    assert Invoice.objects.with_is_overdue(today).get(pk=invoice.pk).is_overdue is False
    assert invoice.overdue_on(today) is False


def test_the_paid_trait_pays_the_whole_balance_through_the_pay_command(organization):
    invoice = InvoiceFactory(organization=organization, paid=True, total="42.50")
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == (
        InvoiceStatus.PAID,
        Decimal("42.50"),
        Decimal("0.00"),
    )
    assert list(invoice.payments.values_list("kind", "amount")) == [("payment", Decimal("42.50"))]


# --- transitions as data ------------------------------------------------------------------

EXPECTED_SOURCES = {
    "update_draft": {"draft"},
    "delete_draft": {"draft"},
    "send": {"draft"},
    "void": {"draft", "sent"},
    "pay": {"sent", "partially_paid"},
    "refund": {"sent", "partially_paid", "paid"},
    "reverse": {"sent", "partially_paid", "paid"},
    "remind": {"sent", "partially_paid"},
}
EXPECTED_REFUSALS = {
    "update_draft": "invoice_not_editable",
    "delete_draft": "invoice_not_editable",
    "send": "invalid_status",
    "pay": "invalid_status",
    "refund": "invalid_status",
    "reverse": "invalid_status",
    "remind": "invalid_status",
}


@pytest.mark.parametrize("command", sorted(EXPECTED_SOURCES))
@pytest.mark.parametrize("status", InvoiceStatus.values)
def test_the_transition_table_answers_can_and_ensure_can_alike(command, status):
    invoice = Invoice(status=status)
    allowed = status in EXPECTED_SOURCES[command]
    assert invoice.can(command) is allowed
    if allowed:
        invoice.ensure_can(command)
        return
    with pytest.raises(DomainError) as refused:
        invoice.ensure_can(command)
    if command == "void":
        expected = "invalid_status" if status == "void" else "invoice_has_payments"
    else:
        expected = EXPECTED_REFUSALS[command]
    assert refused.value.code == expected


def test_the_queryset_filters_with_the_same_table(organization):
    draft = InvoiceFactory(organization=organization)
    sent = InvoiceFactory(organization=organization, sent=True)
    assert list(Invoice.objects.allowing("send")) == [draft]
    assert list(Invoice.objects.allowing("remind")) == [sent]


def test_a_command_refuses_an_expected_version_its_locked_row_is_not_at(organization, actor):
    invoice = InvoiceFactory(organization=organization)
    seen = invoice.version
    invoice.update_draft(actor=actor, reference="changed meanwhile")
    with pytest.raises(ConcurrentModification):
        invoice.send(actor=actor, expected_version=seen)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.version) == ("draft", None, seen + 1)
    invoice.send(actor=actor, expected_version=invoice.version)
    assert invoice.status == "sent"
