"""The ledger invariants of what Stripe brought in (spec 15), for `verify_ledger`: each
record's money is exactly its payment row plus what went to the customer's credit, the row
is the card payment named by the PaymentIntent on the record's invoice, and refunds likewise.
"""

from core.money import ZERO, at_stored_scale
from payments.credit import CreditEntry, CreditKind
from payments.models import PaymentKind, PaymentMethod
from stripe_gateway.models import StripePayment, StripeRefund


def stripe_violations(organization_ids):
    """`(organization id, subject, rule, detail)` for every broken rule."""
    payments = StripePayment.objects.filter(organization__in=organization_ids).select_related(
        "payment"
    )
    refunded = {}
    for record in StripeRefund.objects.filter(organization__in=organization_ids).select_related(
        "refund"
    ):
        subject = f"Stripe refund {record.stripe_refund_id}"
        row = record.refund
        on_invoice = -row.amount if row else ZERO
        amount = at_stored_scale(record.amount)
        refunded[record.stripe_payment_id] = refunded.get(record.stripe_payment_id, ZERO) + amount
        if amount != at_stored_scale(on_invoice + record.from_credit):
            yield (
                record.organization_id,
                subject,
                "stripe_refund_split",
                f"amount {record.amount} != refund row {on_invoice} + from credit "
                f"{record.from_credit}",
            )
        if row and (row.kind != PaymentKind.REFUND or row.reference != record.stripe_refund_id):
            yield (
                record.organization_id,
                subject,
                "stripe_refund_row",
                f"its row {row.pk} is not the refund named {record.stripe_refund_id}",
            )
    credited = {}
    entries = CreditEntry.objects.filter(
        organization__in=organization_ids,
        kind=CreditKind.OVERPAYMENT,
        method=PaymentMethod.CARD,
    ).exclude(reference="")
    for customer_id, reference, amount in entries.values_list("customer", "reference", "amount"):
        key = (customer_id, reference)
        credited[key] = credited.get(key, ZERO) + at_stored_scale(amount)
    for record in payments:
        subject = f"Stripe payment {record.payment_intent}"
        on_credit = credited.get((record.customer_id, record.payment_intent), ZERO)
        if on_credit != at_stored_scale(record.credited):
            yield (
                record.organization_id,
                subject,
                "stripe_payment_credit",
                f"credited {record.credited} != its overpayment entries {on_credit}",
            )
        row = record.payment
        on_invoice = row.amount if row else ZERO
        if at_stored_scale(record.amount) != at_stored_scale(on_invoice + record.credited):
            yield (
                record.organization_id,
                subject,
                "stripe_payment_split",
                f"amount {record.amount} != payment row {on_invoice} + credited {record.credited}",
            )
        if row and (
            row.kind != PaymentKind.PAYMENT
            or row.method != PaymentMethod.CARD
            or row.reference != record.payment_intent
            or row.invoice_id != record.invoice_id
        ):
            yield (
                record.organization_id,
                subject,
                "stripe_payment_row",
                f"its row {row.pk} is not the card payment {record.payment_intent} on invoice "
                f"{record.invoice_id}",
            )
        if refunded.get(record.pk, ZERO) > at_stored_scale(record.amount):
            yield (
                record.organization_id,
                subject,
                "stripe_refunds_exceed_payment",
                f"refunds {refunded[record.pk]} > amount {record.amount}",
            )
