"""The EN 16931 profile's CII XML (UN/CEFACT Cross Industry Invoice D16B, as Factur-X and
ZUGFeRD embed it), built element by element with lxml."""

from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from einvoices.document import INVOICE, plain

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
rsm = ElementMaker(namespace=RSM, nsmap=NSMAP)
ram = ElementMaker(namespace=RAM, nsmap=NSMAP)
udt = ElementMaker(namespace=UDT, nsmap=NSMAP)
qdt = ElementMaker(namespace=QDT, nsmap=NSMAP)
# The EN 16931 (Comfort) profile's guideline id (BT-24).
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
TYPE_CODES = {INVOICE: "380", "credit_note": "381"}
# UN/ECE Recommendation 20 "one" (C62); SEPA credit transfer (58) or credit transfer (30).
UNIT = "C62"


def _date(value, maker=udt):
    return maker.DateTimeString(value.strftime("%Y%m%d"), format="102")


def _optional(maker, name, value):
    return [getattr(maker, name)(value)] if value else []


def _party(element, party, *, tax_scheme="VA"):
    address = [
        *_optional(ram, "PostcodeCode", party.postal_code),
        *_optional(ram, "LineOne", party.street),
        *_optional(ram, "LineTwo", party.additional_street),
        *_optional(ram, "CityName", party.city),
        ram.CountryID(party.country),
        *_optional(ram, "CountrySubDivisionName", party.region),
    ]
    children = [ram.Name(party.name), ram.PostalTradeAddress(*address)]
    if party.email:
        children.append(ram.URIUniversalCommunication(ram.URIID(party.email, schemeID="EM")))
    if party.tax_id:
        children.append(ram.SpecifiedTaxRegistration(ram.ID(party.tax_id, schemeID=tax_scheme)))
    return getattr(ram, element)(*children)


def _line(line, currency):
    settlement = [
        ram.ApplicableTradeTax(
            ram.TypeCode("VAT"),
            ram.CategoryCode(line.category),
            ram.RateApplicablePercent(plain(line.rate)),
        )
    ]
    if Decimal(line.discount):
        settlement.append(
            ram.SpecifiedTradeAllowanceCharge(
                ram.ChargeIndicator(udt.Indicator("false")),
                ram.ActualAmount(line.discount),
                ram.Reason("Discount"),
            )
        )
    settlement.append(
        ram.SpecifiedTradeSettlementLineMonetarySummation(ram.LineTotalAmount(line.net))
    )
    return ram.IncludedSupplyChainTradeLineItem(
        ram.AssociatedDocumentLineDocument(ram.LineID(str(line.position))),
        ram.SpecifiedTradeProduct(ram.Name(line.description)),
        ram.SpecifiedLineTradeAgreement(
            # The item's price (BT-146) is the line's unit price: quantity x price is the
            # line's gross amount before its discount (the line allowance, BT-136).
            ram.NetPriceProductTradePrice(ram.ChargeAmount(plain(line.unit_price)))
        ),
        ram.SpecifiedLineTradeDelivery(ram.BilledQuantity(plain(line.quantity), unitCode=UNIT)),
        ram.SpecifiedLineTradeSettlement(*settlement),
    )


def _settlement(document):
    children = [ram.InvoiceCurrencyCode(document.currency)]
    if document.iban:
        means = [ram.TypeCode("58")]
        if document.payment_instructions:
            means.append(ram.Information(document.payment_instructions))
        means.append(ram.PayeePartyCreditorFinancialAccount(ram.IBANID(document.iban)))
        if document.bic:
            means.append(ram.PayeeSpecifiedCreditorFinancialInstitution(ram.BICID(document.bic)))
        children.append(ram.SpecifiedTradeSettlementPaymentMeans(*means))
    for group in document.breakdown:
        tax = [ram.CalculatedAmount(group.tax), ram.TypeCode("VAT")]
        if group.reason:
            tax.append(ram.ExemptionReason(group.reason))
        tax += [
            ram.BasisAmount(group.taxable),
            ram.CategoryCode(group.category),
            ram.RateApplicablePercent(plain(group.rate)),
        ]
        children.append(ram.ApplicableTradeTax(*tax))
    terms = [ram.Description(document.payment_terms)]
    if document.due_date:
        terms.append(ram.DueDateDateTime(_date(document.due_date)))
    children.append(ram.SpecifiedTradePaymentTerms(*terms))
    children.append(
        ram.SpecifiedTradeSettlementHeaderMonetarySummation(
            ram.LineTotalAmount(document.line_total),
            ram.TaxBasisTotalAmount(document.line_total),
            ram.TaxTotalAmount(document.tax_total, currencyID=document.currency),
            ram.GrandTotalAmount(document.total),
            ram.DuePayableAmount(document.total),
        )
    )
    if document.corrects_number:
        reference = [ram.IssuerAssignedID(document.corrects_number)]
        if document.corrects_date:
            reference.append(ram.FormattedIssueDateTime(_date(document.corrects_date, qdt)))
        children.append(ram.InvoiceReferencedDocument(*reference))
    return ram.ApplicableHeaderTradeSettlement(*children)


def cii_xml(document) -> bytes:
    """The document as EN 16931 CII XML (UTF-8, with declaration)."""
    exchanged = [
        ram.ID(document.number),
        ram.TypeCode(TYPE_CODES[document.kind]),
        ram.IssueDateTime(_date(document.issue_date)),
    ]
    if document.note:
        exchanged.append(ram.IncludedNote(ram.Content(document.note)))
    agreement = [
        _party("SellerTradeParty", document.seller),
        _party("BuyerTradeParty", document.buyer),
    ]
    if document.reference:
        agreement.append(ram.BuyerOrderReferencedDocument(ram.IssuerAssignedID(document.reference)))
    root = rsm.CrossIndustryInvoice(
        rsm.ExchangedDocumentContext(
            ram.GuidelineSpecifiedDocumentContextParameter(ram.ID(EN16931_GUIDELINE))
        ),
        rsm.ExchangedDocument(*exchanged),
        rsm.SupplyChainTradeTransaction(
            *[_line(line, document.currency) for line in document.lines],
            ram.ApplicableHeaderTradeAgreement(*agreement),
            ram.ApplicableHeaderTradeDelivery(),
            _settlement(document),
        ),
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
