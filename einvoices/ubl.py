"""UBL 2.1 invoices and credit notes following Peppol BIS Billing 3.0, built element by
element with lxml."""

from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from einvoices.document import INVOICE, plain

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
UNIT = "C62"


def _makers(kind):
    root_ns = INVOICE_NS if kind == INVOICE else CREDIT_NOTE_NS
    nsmap = {None: root_ns, "cac": CAC, "cbc": CBC}
    return (
        ElementMaker(namespace=root_ns, nsmap=nsmap),
        ElementMaker(namespace=CAC, nsmap=nsmap),
        ElementMaker(namespace=CBC, nsmap=nsmap),
    )


def cbc_amount(cbc, name, value, currency):
    return getattr(cbc, name)(value, currencyID=currency)


def _party(cac, cbc, party):
    address = []
    if party.street:
        address.append(cbc.StreetName(party.street))
    if party.additional_street:
        address.append(cbc.AdditionalStreetName(party.additional_street))
    if party.city:
        address.append(cbc.CityName(party.city))
    if party.postal_code:
        address.append(cbc.PostalZone(party.postal_code))
    if party.region:
        address.append(cbc.CountrySubentity(party.region))
    address.append(cac.Country(cbc.IdentificationCode(party.country)))
    children = []
    if party.email:
        # Peppol's electronic address (BT-34/BT-49), scheme EM: an e-mail address.
        children.append(cbc.EndpointID(party.email, schemeID="EM"))
    children += [cac.PartyName(cbc.Name(party.name)), cac.PostalAddress(*address)]
    if party.tax_id:
        children.append(
            cac.PartyTaxScheme(cbc.CompanyID(party.tax_id), cac.TaxScheme(cbc.ID("VAT")))
        )
    children.append(cac.PartyLegalEntity(cbc.RegistrationName(party.name)))
    return cac.Party(*children)


def _tax_category(cac, cbc, element, category, rate, reason=""):
    children = [cbc.ID(category), cbc.Percent(plain(rate))]
    if reason:
        children.append(cbc.TaxExemptionReason(reason))
    children.append(cac.TaxScheme(cbc.ID("VAT")))
    return getattr(cac, element)(*children)


def _line(document, cac, cbc, line):
    currency = document.currency
    is_invoice = document.kind == INVOICE
    children = [
        cbc.ID(str(line.position)),
        getattr(cbc, "InvoicedQuantity" if is_invoice else "CreditedQuantity")(
            plain(line.quantity), unitCode=UNIT
        ),
        cbc_amount(cbc, "LineExtensionAmount", line.net, currency),
    ]
    if Decimal(line.discount):
        children.append(
            cac.AllowanceCharge(
                cbc.ChargeIndicator("false"),
                cbc.AllowanceChargeReason("Discount"),
                cbc_amount(cbc, "Amount", line.discount, currency),
            )
        )
    children += [
        cac.Item(
            cbc.Name(line.description),
            _tax_category(cac, cbc, "ClassifiedTaxCategory", line.category, line.rate),
        ),
        cac.Price(cbc_amount(cbc, "PriceAmount", plain(line.unit_price), currency)),
    ]
    return getattr(cac, "InvoiceLine" if is_invoice else "CreditNoteLine")(*children)


def ubl_xml(document) -> bytes:
    """The document as a UBL 2.1 Invoice or CreditNote (Peppol BIS Billing 3.0)."""
    root, cac, cbc = _makers(document.kind)
    currency = document.currency
    is_invoice = document.kind == INVOICE
    children = [
        cbc.CustomizationID(CUSTOMIZATION),
        cbc.ProfileID(PROFILE),
        cbc.ID(document.number),
        cbc.IssueDate(document.issue_date.isoformat()),
    ]
    if is_invoice:
        if document.due_date:
            children.append(cbc.DueDate(document.due_date.isoformat()))
        children.append(cbc.InvoiceTypeCode("380"))
    else:
        children.append(cbc.CreditNoteTypeCode("381"))
    if document.note:
        children.append(cbc.Note(document.note))
    children.append(cbc.DocumentCurrencyCode(currency))
    # Peppol needs a buyer reference or an order reference (PEPPOL-EN16931-R003).
    children.append(cbc.BuyerReference(document.reference or document.number))
    if document.corrects_number:
        reference = [cbc.ID(document.corrects_number)]
        if document.corrects_date:
            reference.append(cbc.IssueDate(document.corrects_date.isoformat()))
        children.append(cac.BillingReference(cac.InvoiceDocumentReference(*reference)))
    children += [
        cac.AccountingSupplierParty(_party(cac, cbc, document.seller)),
        cac.AccountingCustomerParty(_party(cac, cbc, document.buyer)),
    ]
    if document.iban:
        means = [cbc.PaymentMeansCode("58")]
        if document.payment_instructions:
            means.append(cbc.InstructionNote(document.payment_instructions))
        account = [cbc.ID(document.iban)]
        if document.bic:
            account.append(cac.FinancialInstitutionBranch(cbc.ID(document.bic)))
        means.append(cac.PayeeFinancialAccount(*account))
        children.append(cac.PaymentMeans(*means))
    children.append(cac.PaymentTerms(cbc.Note(document.payment_terms)))
    children.append(
        cac.TaxTotal(
            cbc_amount(cbc, "TaxAmount", document.tax_total, currency),
            *[
                cac.TaxSubtotal(
                    cbc_amount(cbc, "TaxableAmount", group.taxable, currency),
                    cbc_amount(cbc, "TaxAmount", group.tax, currency),
                    _tax_category(
                        cac, cbc, "TaxCategory", group.category, group.rate, group.reason
                    ),
                )
                for group in document.breakdown
            ],
        )
    )
    children.append(
        cac.LegalMonetaryTotal(
            cbc_amount(cbc, "LineExtensionAmount", document.line_total, currency),
            cbc_amount(cbc, "TaxExclusiveAmount", document.line_total, currency),
            cbc_amount(cbc, "TaxInclusiveAmount", document.total, currency),
            cbc_amount(cbc, "PayableAmount", document.total, currency),
        )
    )
    children += [_line(document, cac, cbc, line) for line in document.lines]
    element = root.Invoice(*children) if is_invoice else root.CreditNote(*children)
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)
