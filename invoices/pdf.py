"""The invoice as a PDF document (ReportLab), formatted for the organization's locale (Babel).

Every figure printed is a stored figure (line amounts, totals, amount paid, balance due):
the document never recomputes money, so it always agrees with the API and the reports.
"""

import copy
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from invoices.models import InvoiceStatus
from invoices.tax import TaxCategory, breakdown_groups

FALLBACK_LOCALE = "en_US"
FONT = "FinTrackSans"
BOLD = "FinTrackSans-Bold"
# Thin and narrow no-break spaces (CLDR grouping in e.g. fr_FR) are not in the standard PDF
# fonts' encoding; a plain no-break space looks the same and keeps amounts on one line.
_UNPRINTABLE_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2009": "\u00a0"})
WATERMARKS = {InvoiceStatus.DRAFT: "DRAFT", InvoiceStatus.VOID: "VOID"}


def pdf_filename(invoice) -> str:
    """`<number>.pdf`; drafts have no number yet: `draft-<id>.pdf`."""
    return f"{invoice.number}.pdf" if invoice.number else f"draft-{invoice.pk}.pdf"


class LocaleFormatter:
    """Money, numbers and dates as the organization's locale writes them."""

    def __init__(self, locale_id: str, currency: str, minor_unit: int):
        try:
            self.locale = Locale.parse(locale_id or FALLBACK_LOCALE)
        except (ValueError, UnknownLocaleError):
            self.locale = Locale.parse(FALLBACK_LOCALE)
        self.currency = currency
        # The locale's currency pattern with the invoice's stored minor unit: Babel's own
        # digits are CLDR's display precision, which differs from ISO 4217 (IQD, LAK...).
        self.pattern = copy.copy(self.locale.currency_formats["standard"])
        self.pattern.frac_prec = (minor_unit, minor_unit)

    def _currency(self, amount, **options) -> str:
        text = self.pattern.apply(
            amount, self.locale, currency=self.currency, currency_digits=False, **options
        )
        return text.translate(_UNPRINTABLE_SPACES)

    def money(self, amount) -> str:
        # Stored amounts already have the invoice's digits; the pattern pads to exactly those.
        return self._currency(Decimal(amount))

    def unit_price(self, amount) -> str:
        # Unit prices may carry up to 4 decimals: print the digits that matter, at least the
        # invoice's, and never round a price the customer agreed to.
        return self._currency(_trimmed(amount), decimal_quantization=False)

    def number(self, value) -> str:
        text = format_decimal(_trimmed(value), locale=self.locale, decimal_quantization=False)
        return text.translate(_UNPRINTABLE_SPACES)

    def percent(self, value) -> str:
        return f"{self.number(value)}\u00a0%"

    def date(self, value) -> str:
        return format_date(value, format="medium", locale=self.locale) if value else "—"

    def country(self, code: str) -> str:
        return self.locale.territories.get(code, code) if code else ""


def _trimmed(value) -> Decimal:
    """Drop trailing zeros (19.9900 -> 19.99) without turning 100 into 1E+2."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


class DocumentPdf:
    """One A4 document of an organization (invoice, credit note, statement): the locale's
    formatter (`fmt`), the styles, and `render(story)`, the PDF's bytes."""

    MARGIN = 18 * mm

    def __init__(self, organization, title, *, currency, minor_unit):
        self.fmt = LocaleFormatter(organization.locale, currency, minor_unit)
        self.styles = styles_sheet()
        self.title = title
        self.author = organization.name

    def render(self, story, *, watermark=None) -> bytes:
        """The PDF of `story` (ReportLab flowables), `watermark` across every page."""
        buffer = BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            title=self.title,
            author=self.author,
            leftMargin=self.MARGIN,
            rightMargin=self.MARGIN,
            topMargin=self.MARGIN,
            bottomMargin=self.MARGIN,
        )
        on_page = _watermark(watermark) if watermark else _no_watermark
        document.build(story, onFirstPage=on_page, onLaterPages=on_page)
        return buffer.getvalue()


def render_invoice_pdf(invoice) -> bytes:
    """Render `invoice` (with its lines and payments) to PDF bytes."""
    title = f"Invoice {invoice.number}" if invoice.number else f"Draft invoice #{invoice.pk}"
    pdf = DocumentPdf(
        invoice.organization, title, currency=invoice.currency, minor_unit=invoice.minor_unit
    )
    fmt, styles = pdf.fmt, pdf.styles
    story = [
        document_header(invoice, title, invoice_facts(invoice, fmt), fmt, styles),
        Spacer(1, 8 * mm),
        lines_table(invoice, fmt, styles),
        Spacer(1, 6 * mm),
        _totals_table(invoice, fmt, styles),
        Spacer(1, 6 * mm),
        tax_breakdown_table(invoice, fmt, styles),
    ]
    story += payment_details(invoice, fmt, styles)
    payments = _payments_table(invoice, fmt, styles)
    if payments is not None:
        story += [Spacer(1, 6 * mm), Paragraph("Payments received", styles["h3"]), payments]
    if invoice.notes:
        story += [Spacer(1, 6 * mm), Paragraph(pdf_text(invoice.notes), styles["small"])]
    if invoice.status == InvoiceStatus.VOID and invoice.void_reason:
        story += [
            Spacer(1, 4 * mm),
            Paragraph(f"Void: {pdf_text(invoice.void_reason)}", styles["small"]),
        ]
    return pdf.render(story, watermark=WATERMARKS.get(invoice.status))


def embedded_fonts():
    """Register (once) the TrueType fonts every document here is set in: ReportLab embeds
    TrueType fonts, which PDF/A (the Factur-X PDF, spec 18) requires; its built-in
    Helvetica is never embedded. Bitstream Vera ships with ReportLab."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        fonts = Path(reportlab.__file__).parent / "fonts"
        pdfmetrics.registerFont(TTFont(FONT, fonts / "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(BOLD, fonts / "VeraBd.ttf"))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def styles_sheet():
    embedded_fonts()
    sheet = getSampleStyleSheet()
    for style in sheet.byName.values():
        style.fontName = BOLD if "Bold" in getattr(style, "fontName", "") else FONT
    return {
        "title": sheet["Title"],
        "h3": sheet["Heading3"],
        "normal": sheet["Normal"],
        "small": ParagraphStyle("small", parent=sheet["Normal"], fontSize=8, leading=10),
        "right": ParagraphStyle("right", parent=sheet["Normal"], alignment=TA_RIGHT),
        "cell": ParagraphStyle("cell", parent=sheet["Normal"], fontSize=9, leading=11),
    }


def pdf_text(value) -> str:
    """Escape user text for ReportLab's mini-markup (a `<` in a name must not break it)."""
    return escape(str(value)).replace("\n", "<br/>")


def _address_block(heading, party, fmt, styles, *, email=""):
    lines = [f"<b>{pdf_text(party.name)}</b>"]
    lines += [pdf_text(value) for value in (party.address_line1, party.address_line2) if value]
    city = " ".join(value for value in (party.postal_code, party.city) if value)
    lines += [
        pdf_text(value) for value in (city, party.region, fmt.country(party.country)) if value
    ]
    if party.tax_id:
        lines.append(f"Tax ID: {pdf_text(party.tax_id)}")
    if email:
        lines.append(pdf_text(email))
    return [Paragraph(heading, styles["h3"]), Paragraph("<br/>".join(lines), styles["normal"])]


def invoice_facts(invoice, fmt):
    facts = [
        ("Invoice number", invoice.number or "—"),
        ("Status", invoice.get_status_display()),
        ("Issue date", fmt.date(invoice.issue_date)),
        ("Due date", fmt.date(invoice.due_date)),
        ("Currency", invoice.currency),
    ]
    if invoice.reference:
        facts.append(("Reference", invoice.reference))
    return facts


def document_header(document, title, facts, fmt, styles):
    """Title, the organization and customer blocks and `facts` (label, value) of an invoice
    or credit note (both have `organization` and `customer`)."""
    organization, customer = document.organization, document.customer
    facts_table = Table(
        [
            [Paragraph(label, styles["cell"]), Paragraph(pdf_text(value), styles["cell"])]
            for label, value in facts
        ],
        colWidths=[32 * mm, 45 * mm],
    )
    from_block = _address_block("From", organization, fmt, styles, email=organization.email)
    to_block = _address_block("Bill to", customer, fmt, styles, email=customer.email)
    table = Table(
        [
            [Paragraph(pdf_text(title), styles["title"]), ""],
            [from_block, to_block],
            [facts_table, ""],
        ],
        colWidths=[87 * mm, 87 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT),
                ("SPAN", (0, 0), (1, 0)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def lines_table(document, fmt, styles):
    """The lines of an invoice or credit note, with their stored figures."""
    rows = [["Description", "Qty", "Unit price", "Discount", "Tax", "Total"]]
    for line in document.lines.all():
        discount = fmt.percent(line.discount_percent)
        if line.discount_amount:
            discount = f"{discount}\n-{fmt.money(line.discount_amount)}"
        tax = fmt.percent(line.tax_rate)
        if line.tax_amount:
            tax = f"{tax}\n{fmt.money(line.tax_amount)}"
        rows.append(
            [
                Paragraph(pdf_text(line.description), styles["cell"]),
                fmt.number(line.quantity),
                fmt.unit_price(line.unit_price),
                discount,
                tax,
                fmt.money(line.total),
            ]
        )
    table = Table(
        rows, colWidths=[62 * mm, 16 * mm, 26 * mm, 24 * mm, 22 * mm, 24 * mm], repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT),
                ("FONT", (0, 0), (-1, 0), BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _totals_table(invoice, fmt, styles):
    rows = [
        ("Subtotal", invoice.subtotal),
        ("Discount", -invoice.discount_total),
        ("Tax", invoice.tax_total),
        ("Total", invoice.total),
        ("Paid", invoice.amount_paid),
    ]
    # Spec 14's settlements, printed only when there are any, so the usual layout stays.
    extra = [("Credited", invoice.credited_total), ("Written off", invoice.written_off_total)]
    rows += [(label, value) for label, value in extra if value]
    if invoice.status == InvoiceStatus.VOID:
        # The stored balance of a void invoice keeps the ledger's identity (total - paid),
        # but the customer owes nothing on a void document: printing it would ask for it.
        rows.append(("Nothing due (void)", fmt.money(Decimal(0))))
    else:
        rows.append(("Balance due", fmt.money(invoice.balance_due)))
    table = Table(
        [[label, value if isinstance(value, str) else fmt.money(value)] for label, value in rows],
        colWidths=[40 * mm, 34 * mm],
        hAlign="RIGHT",
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONT", (0, 3), (-1, 3), BOLD),
                ("FONT", (0, -1), (-1, -1), BOLD),
                ("LINEABOVE", (0, 3), (-1, 3), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ]
        )
    )
    return table


def tax_breakdown_table(document, fmt, styles):
    """Spec 18's breakdown per VAT category and rate (EN 16931 BG-23), from the stored line
    figures; the exemption reasons of E, AE and O are printed with their category."""
    rows = [["Tax category", "Rate", "Taxable", "Tax"]]
    for category, rate, taxable, tax, reasons in breakdown_groups(document.lines.all()):
        label = TaxCategory(category).label if category in TaxCategory.values else category
        text = f"{category} {label}"
        if reasons:
            text += f"<br/>{pdf_text('; '.join(reasons))}"
        rows.append(
            [Paragraph(text, styles["cell"]), fmt.percent(rate), fmt.money(taxable), fmt.money(tax)]
        )
    table = Table(rows, colWidths=[76 * mm, 22 * mm, 38 * mm, 38 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT),
                ("FONT", (0, 0), (-1, 0), BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def payment_details(invoice, fmt, styles):
    """Spec 18: how to pay — the payment terms, the seller's bank details and its payment
    instructions (the seller's tax id is in the From block)."""
    organization = invoice.organization
    lines = [
        f"Payment terms: {invoice.payment_terms_days()} days, "
        f"due {pdf_text(fmt.date(invoice.due_date))}"
    ]
    if organization.iban:
        lines.append(f"IBAN: {pdf_text(organization.iban)}")
    if organization.bic:
        lines.append(f"BIC: {pdf_text(organization.bic)}")
    if organization.payment_instructions:
        lines.append(pdf_text(organization.payment_instructions))
    return [
        Spacer(1, 6 * mm),
        Paragraph("Payment", styles["h3"]),
        Paragraph("<br/>".join(lines), styles["normal"]),
    ]


def _payments_table(invoice, fmt, styles):
    payments = list(invoice.payments.order_by("received_on", "id"))
    if not payments:
        return None
    rows = [["Date", "Kind", "Reference", "Amount"]]
    rows += [
        [
            fmt.date(payment.received_on),
            payment.get_kind_display(),
            Paragraph(pdf_text(payment.reference), styles["cell"]),
            fmt.money(payment.amount),
        ]
        for payment in payments
    ]
    table = Table(rows, colWidths=[35 * mm, 30 * mm, 75 * mm, 34 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT),
                ("FONT", (0, 0), (-1, 0), BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("ALIGN", (3, 0), (3, -1), "RIGHT"),
            ]
        )
    )
    return table


def _no_watermark(canvas, document):
    pass


def _watermark(text):
    def draw(canvas, document):
        canvas.saveState()
        canvas.setFont(BOLD, 110)
        canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.18))
        width, height = document.pagesize
        canvas.translate(width / 2, height / 2)
        canvas.rotate(45)
        canvas.drawCentredString(0, -40, text)
        canvas.restoreState()

    return draw
