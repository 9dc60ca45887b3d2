"""What an EN 16931 e-invoice says, read from a stored invoice or credit note (spec 18).

Every figure is a stored one: line net amounts (`amount - discount_amount`), the breakdown
(`invoices.tax.breakdown_groups`, sums of the rounded line taxes) and the document's
totals, so the XML says what the API says to the cent. The CII (`cii.py`) and UBL
(`ubl.py`) writers only lay these figures out.
"""

import re
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from core.money import format_plain
from einvoices.exceptions import EInvoiceIncomplete, EInvoiceNotSupported
from invoices.tax import TaxCategory, breakdown_groups

# EN 16931 amounts have at most 2 decimals (BR-DEC-*).
MAX_MINOR_UNIT = 2
# BR-CO-17's tolerance in the shipped Schematron: the category tax may differ from
# taxable x rate, rounded to 2 decimals, by at most 1 unit of the currency.
BR_CO_17_TOLERANCE = Decimal(1)
INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
# What XML 1.0 cannot carry: control characters other than tab, line feed and carriage
# return, lone surrogates, U+FFFE and U+FFFF.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class XMLText:
    """Text fields hold only what XML can carry: the API stores names, descriptions and
    notes as typed, so a character XML cannot carry becomes a space here, where the e-invoice
    is said, rather than an error in the writers."""

    def __post_init__(self):
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, str):
                setattr(self, field.name, NOT_XML.sub(" ", value))


@dataclass
class Party(XMLText):
    name: str
    street: str
    additional_street: str
    city: str
    postal_code: str
    region: str
    country: str
    tax_id: str
    email: str


@dataclass
class Line(XMLText):
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    gross: str
    discount: str
    net: str
    category: str
    rate: Decimal


@dataclass
class Breakdown(XMLText):
    category: str
    rate: Decimal
    taxable: str
    tax: str
    reason: str


@dataclass
class Document(XMLText):
    kind: str
    number: str
    issue_date: object
    due_date: object
    currency: str
    seller: Party
    buyer: Party
    lines: list
    breakdown: list
    line_total: str
    tax_total: str
    total: str
    reference: str
    note: str
    payment_terms: str
    iban: str
    bic: str
    payment_instructions: str
    corrects_number: str = ""
    corrects_date: object = None


def _party(party, email=""):
    return Party(
        name=party.name,
        street=party.address_line1,
        additional_street=party.address_line2,
        city=party.city,
        postal_code=party.postal_code,
        region=party.region,
        country=party.country,
        tax_id=party.tax_id,
        email=email or party.email,
    )


def plain(value):
    """A decimal without exponent or trailing zeros (19.9900 -> 19.99, 100 -> 100)."""
    value = Decimal(value)
    return f"{value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize():f}"


def _check(document, source):
    if source.minor_unit > MAX_MINOR_UNIT:
        raise EInvoiceNotSupported(
            f"{source.currency} has {source.minor_unit} minor digits; EN 16931 amounts have "
            "at most 2."
        )
    categories = {line.category for line in document.lines}
    if TaxCategory.OUTSIDE_SCOPE in categories:
        raise EInvoiceNotSupported(
            "Documents with lines outside the scope of VAT (O) are not produced: EN 16931 "
            "then forbids the seller's VAT id (BR-O-02) and needs another seller identifier."
        )
    missing = []
    if not document.number:
        missing.append("number (a draft has none)")
    for role, party in (("seller", document.seller), ("buyer", document.buyer)):
        if not party.name:
            missing.append(f"{role} name")
        if not party.country:
            missing.append(f"{role} country")
    if not document.seller.tax_id:
        missing.append("seller tax id (BR-S-02, BR-Z-02, BR-E-02, BR-AE-02)")
    if TaxCategory.REVERSE_CHARGE in categories and not document.buyer.tax_id:
        missing.append("buyer tax id for reverse charge (BR-AE-02)")
    missing += [
        f"exemption reason for category {group.category} (BR-{group.category}-10)"
        for group in document.breakdown
        if group.category in (TaxCategory.EXEMPT, TaxCategory.REVERSE_CHARGE) and not group.reason
    ]
    if missing:
        raise EInvoiceIncomplete("Missing for an EN 16931 e-invoice: " + "; ".join(missing) + ".")
    for group in document.breakdown:
        expected = (Decimal(group.taxable) * group.rate / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        if abs(Decimal(group.tax) - expected) > BR_CO_17_TOLERANCE:
            raise EInvoiceNotSupported(
                f"The tax at {plain(group.rate)} % ({group.tax}, the sum of the rounded line "
                f"taxes) differs from {expected} by more than BR-CO-17 allows."
            )


def build(source, *, kind):
    """The e-invoice data of an invoice (`kind=INVOICE`) or credit note (`CREDIT_NOTE`);
    409 `einvoice_not_supported` / `einvoice_incomplete` when it cannot be one."""
    money = lambda value: format_plain(value, source.minor_unit)  # noqa: E731
    organization = source.organization
    stored_lines = list(source.lines.all())
    lines = [
        Line(
            position=index,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            gross=money(line.amount),
            discount=money(line.discount_amount),
            net=money(line.amount - line.discount_amount),
            category=line.tax_category,
            rate=line.tax_rate,
        )
        for index, line in enumerate(stored_lines, start=1)
    ]
    breakdown = [
        Breakdown(category, rate, money(taxable), money(tax), "; ".join(reasons))
        for category, rate, taxable, tax, reasons in breakdown_groups(stored_lines)
    ]
    if kind == INVOICE:
        number, issue_date, due_date = source.number, source.issue_date, source.due_date
        terms = f"{source.payment_terms_days()} days net"
        reference, note = source.reference, source.notes
        corrects = {}
    else:
        number, issue_date, due_date = source.number, source.issued_on, None
        terms = f"Credits invoice {source.invoice.number}"
        reference, note = "", source.reason
        corrects = {
            "corrects_number": source.invoice.number,
            "corrects_date": source.invoice.issue_date,
        }
    document = Document(
        kind=kind,
        number=number or "",
        issue_date=issue_date,
        due_date=due_date,
        currency=source.currency,
        seller=_party(organization),
        buyer=_party(source.customer),
        lines=lines,
        breakdown=breakdown,
        line_total=money(source.subtotal - source.discount_total),
        tax_total=money(source.tax_total),
        total=money(source.total),
        reference=reference,
        note=note,
        payment_terms=terms,
        iban=organization.iban,
        bic=organization.bic,
        payment_instructions=organization.payment_instructions,
        **corrects,
    )
    _check(document, source)
    return document
