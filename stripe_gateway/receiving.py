"""Stripe's webhook: verify, record each event once, and turn it into money (spec 15).

`receive_event` is the whole of it. The signature is checked with the organization's own
webhook secret by `stripe.Webhook.construct_event` (5-minute tolerance) before anything is
read; then, in one transaction, the event id is inserted (a unique constraint: a replayed
or concurrent duplicate finds it and changes nothing) and the event is handled. A refusal
rolls everything back, the event row included, so Stripe's retry can succeed later.

- `payment_intent.succeeded`, `checkout.session.completed` (when `payment_status` is
  `paid`) and `checkout.session.async_payment_succeeded` record the PaymentIntent's money
  once (`StripePayment`, unique per organization): within what the invoice can take as a
  payment row (method `card`, reference the PaymentIntent id), the rest to the customer's
  credit.
- `charge.refunded` records one refund per Stripe refund id listed in the charge.
- Any other type is recorded as ignored.
"""

import json
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from django.db import IntegrityError, transaction

from accounts.models import Organization, User
from core.errors import ConcurrentModification
from core.events import log_event
from core.locking import lock
from core.money import ZERO, has_excess_digits
from invoices.models import Invoice
from payments.credit import CreditKind, credit_customer, refund_credit
from payments.models import Payment, PaymentMethod
from stripe_gateway.currencies import from_stripe
from stripe_gateway.exceptions import (
    CurrencyMismatch,
    InvalidEvent,
    InvalidSignature,
    UnknownInvoice,
)
from stripe_gateway.models import StripeEvent, StripePayment, StripeRefund

TOLERANCE_SECONDS = 300
# The last moment a date can be given for in any time zone: a day before datetime's end.
LAST_SECOND = int(datetime(9999, 12, 30, tzinfo=UTC).timestamp())
Outcome = StripeEvent.Outcome
# The answer to an event id already handled: nothing was done, so no outcome was recorded.
DUPLICATE = "duplicate"
# Refunds Stripe has made or is making; failed and canceled ones returned no money.
REFUNDED_STATUSES = frozenset({"succeeded", "pending"})


def receive_event(organization_id, *, payload: bytes, signature: str | None) -> str:
    """Handle one delivery of Stripe's webhook; return its outcome (`StripeEvent.Outcome`,
    or `DUPLICATE` for an event id already handled). Refusals: `InvalidSignature`,
    `InvalidEvent`, `UnknownInvoice`, `CurrencyMismatch` (400, nothing written)."""
    organization = Organization.objects.filter(pk=organization_id).first()
    secret = organization.stripe_secret("stripe_webhook_secret") if organization else ""
    if not secret:
        # An unknown organization, or one without a webhook secret: nothing can be verified.
        raise InvalidSignature()
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError:
        raise InvalidSignature() from None
    except (ValueError, TypeError, AttributeError, KeyError):
        raise InvalidEvent() from None
    event = _read_event(payload)
    actor = User.objects.system_actor()
    with transaction.atomic():
        record = StripeEvent(
            organization=organization,
            event_id=event["id"],
            type=event["type"],
            outcome=Outcome.IGNORED,
        )
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            if StripeEvent.objects.filter(organization=organization, event_id=event["id"]).exists():
                return DUPLICATE
            raise
        handler = HANDLERS.get(event["type"])
        outcome = handler(organization, event, record, actor) if handler else Outcome.IGNORED
        if outcome != Outcome.IGNORED:
            record.outcome = outcome
            record.save(update_fields=["outcome"])
    log_event(
        "stripe.event_received",
        organization=organization.pk,
        stripe_event=event["id"],
        type=event["type"],
        outcome=outcome,
    )
    return outcome


def _read_event(payload: bytes) -> dict:
    try:
        event = json.loads(payload)
    except ValueError:
        raise InvalidEvent() from None
    if not (
        isinstance(event, dict)
        and _is_text(event.get("id"))
        and _is_text(event.get("type"))
        and _is_timestamp(event.get("created"))
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise InvalidEvent()
    return event


def _is_timestamp(value) -> bool:
    """Seconds since 1970 that name a day in every time zone (Stripe's `created`; a bool is
    not one, and a time past year 9999 cannot be dated)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= LAST_SECOND


def _is_text(value) -> bool:
    """A Stripe id or type as a column can hold it (PostgreSQL's text holds no NUL)."""
    return isinstance(value, str) and 0 < len(value) <= 255 and "\x00" not in value


def _stripe_id(value) -> str | None:
    """An id Stripe may send as a string or as the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if _is_text(value) else None


def _units(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidEvent()
    return value


# --- payments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """A PaymentIntent's money as an event describes it."""

    payment_intent: str
    units: int
    currency: str
    invoice_id: object


def _from_payment_intent(intent) -> Money | None:
    metadata = intent.get("metadata") or {}
    return _money(intent.get("id"), intent.get("amount_received"), intent, metadata)


def _from_session(session, *, require_paid=True) -> Money | None:
    if require_paid and session.get("payment_status") != "paid":
        return None
    metadata = session.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    if "invoice_id" not in metadata and session.get("client_reference_id"):
        metadata = {**metadata, "invoice_id": session["client_reference_id"]}
    return _money(session.get("payment_intent"), session.get("amount_total"), session, metadata)


def _money(payment_intent, units, obj, metadata) -> Money | None:
    payment_intent = _stripe_id(payment_intent)
    if not isinstance(metadata, dict) or "invoice_id" not in metadata or payment_intent is None:
        # Not a payment FinTrack asked for (no invoice), or no PaymentIntent to record.
        return None
    currency = obj.get("currency")
    if not (isinstance(currency, str) and len(currency) == 3):
        raise InvalidEvent()
    return Money(payment_intent, _units(units), currency.upper(), metadata["invoice_id"])


def _locked_invoice(organization, invoice_id) -> Invoice:
    """The organization's invoice named by an event, locked (lock order: core.locking)."""
    text = str(invoice_id)
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise UnknownInvoice()
    try:
        return lock(Invoice, pk=int(text), organization_id=organization.pk)
    except Invoice.DoesNotExist:
        raise UnknownInvoice() from None


def _received_on(organization, event):
    """The day Stripe took the money, in the organization's time zone (never after today)."""
    moment = datetime.fromtimestamp(event["created"], tz=UTC)
    day = moment.astimezone(zoneinfo.ZoneInfo(organization.time_zone)).date()
    return min(day, organization.today())


def record_payment(organization, money: Money, event: StripeEvent, *, actor, received_on):
    """The PaymentIntent's money, once: on the invoice as far as it can take it (its balance
    due, or on an uncollectible invoice its `written_off_total`; nothing when it is paid,
    void or issued after the money arrived), the rest to the customer's credit."""
    already = StripePayment.objects.filter(
        organization=organization, payment_intent=money.payment_intent
    )
    if already.exists():
        return Outcome.ALREADY_RECORDED
    invoice = _locked_invoice(organization, money.invoice_id)
    # Checked again under the invoice's lock: the other event of the same checkout waited
    # for it, and finds the PaymentIntent recorded.
    if already.exists():
        return Outcome.ALREADY_RECORDED
    if money.currency != invoice.currency:
        raise CurrencyMismatch()
    amount = from_stripe(money.units, money.currency)
    if amount <= 0 or has_excess_digits(amount, invoice.minor_unit):
        raise InvalidEvent()
    payment = None
    if invoice.can("pay") and received_on >= invoice.issue_date:
        # Within the invoice's bound (its balance due; on an uncollectible invoice its
        # written_off_total) a card payment; the excess an `overpayment` entry.
        payment = Payment.pay_locked(
            invoice,
            amount=amount,
            method=PaymentMethod.CARD,
            reference=money.payment_intent,
            received_on=received_on,
            notes="Paid by card through Stripe.",
            excess="credit",
            actor=actor,
        )
        credited = payment.credited_to_balance
    else:
        # Paid, void, or issued after the money arrived: all of it to the customer's credit.
        credit_customer(
            invoice.customer,
            currency=invoice.currency,
            amount=amount,
            kind=CreditKind.OVERPAYMENT,
            invoice=invoice,
            method=PaymentMethod.CARD,
            reference=money.payment_intent,
            received_on=received_on,
            reason="Paid by card through Stripe.",
            actor=actor,
        )
        credited = amount
    record = StripePayment(
        organization=organization,
        payment_intent=money.payment_intent,
        invoice=invoice,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        amount=amount,
        payment=payment,
        credited=credited,
        event=event,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        # The same PaymentIntent recorded meanwhile through another invoice: refuse (the
        # whole transaction rolls back); Stripe's retry then finds it recorded.
        raise ConcurrentModification() from None
    return Outcome.PAYMENT


def _on_payment_intent(organization, event, record, actor):
    money = _from_payment_intent(event["data"]["object"])
    return _record_if_any(organization, money, event, record, actor)


def _on_session_completed(organization, event, record, actor):
    money = _from_session(event["data"]["object"])
    return _record_if_any(organization, money, event, record, actor)


def _on_session_async_succeeded(organization, event, record, actor):
    money = _from_session(event["data"]["object"], require_paid=False)
    return _record_if_any(organization, money, event, record, actor)


def _record_if_any(organization, money, event, record, actor):
    if money is None:
        return Outcome.IGNORED
    received_on = _received_on(organization, event)
    return record_payment(organization, money, record, actor=actor, received_on=received_on)


# --- refunds --------------------------------------------------------------------------------


def _on_charge_refunded(organization, event, record, actor):
    """One refund per Stripe refund id listed in the charge (never from its cumulative
    `amount_refunded`): on the invoice as far as the PaymentIntent's payment row still
    stands there, the rest out of the customer's credit."""
    charge = event["data"]["object"]
    payment_intent = _stripe_id(charge.get("payment_intent"))
    refunds = charge.get("refunds") or {}
    listed = refunds.get("data") if isinstance(refunds, dict) else None
    if not isinstance(listed, list):
        raise InvalidEvent()
    stripe_payment = StripePayment.objects.filter(
        organization=organization, payment_intent=payment_intent
    ).first()
    if payment_intent is None or stripe_payment is None:
        # Not money FinTrack recorded (a charge made outside it): nothing to refund here.
        return Outcome.IGNORED
    invoice = lock(Invoice, pk=stripe_payment.invoice_id)
    outcome = Outcome.IGNORED
    made = [
        refund
        for refund in listed
        if isinstance(refund, dict) and refund.get("status") in REFUNDED_STATUSES
    ]
    for refund in sorted(made, key=lambda refund: (_created(refund), str(refund.get("id")))):
        refund_id = _stripe_id(refund.get("id"))
        if refund_id is None:
            raise InvalidEvent()
        if StripeRefund.objects.filter(
            organization=organization, stripe_refund_id=refund_id
        ).exists():
            continue
        currency = str(refund.get("currency") or charge.get("currency") or "").upper()
        if currency != invoice.currency:
            raise CurrencyMismatch()
        amount = from_stripe(_units(refund.get("amount")), currency)
        if amount <= 0 or has_excess_digits(amount, invoice.minor_unit):
            raise InvalidEvent()
        record_refund(invoice, stripe_payment, refund_id, amount, record, actor=actor)
        outcome = Outcome.REFUND
    return outcome


def _created(refund):
    created = refund.get("created")
    return created if isinstance(created, int) else 0


def record_refund(invoice, stripe_payment, refund_id, amount, event, *, actor):
    """A Stripe refund of `stripe_payment`'s money (the invoice is locked by the caller)."""
    standing = ZERO
    if stripe_payment.payment_id is not None:
        refunded_before = sum(
            (
                refund.refund.amount
                for refund in stripe_payment.refunds.select_related("refund")
                if refund.refund_id
            ),
            ZERO,
        )
        # What this PaymentIntent still has on the invoice (refund rows are negative).
        standing = stripe_payment.payment.amount + refunded_before
        if hasattr(stripe_payment.payment, "reversed_by"):
            standing = ZERO
    on_invoice = max(ZERO, min(amount, standing, invoice.amount_paid))
    from_credit = amount - on_invoice
    refund_row = None
    if on_invoice > 0:
        refund_row = Payment.refund(
            invoice,
            amount=on_invoice,
            reference=refund_id,
            reason="Refunded in Stripe.",
            actor=actor,
        )
    if from_credit > 0:
        # The part of this PaymentIntent's money that sits on the customer's credit goes
        # back to the card: a `refunded` entry (`insufficient_credit` when it was used).
        refund_credit(
            stripe_payment.customer,
            currency=stripe_payment.currency,
            amount=from_credit,
            method=PaymentMethod.CARD,
            reference=refund_id,
            reason="Refunded in Stripe.",
            actor=actor,
        )
    StripeRefund.objects.create(
        organization_id=stripe_payment.organization_id,
        stripe_refund_id=refund_id,
        stripe_payment=stripe_payment,
        amount=amount,
        refund=refund_row,
        from_credit=from_credit,
        event=event,
        created_by=actor,
    )


HANDLERS = {
    "payment_intent.succeeded": _on_payment_intent,
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_session_async_succeeded,
    "charge.refunded": _on_charge_refunded,
}
