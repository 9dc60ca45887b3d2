"""The credit note as a PDF: a document like the invoice's, titled Credit note and naming
the invoice it corrects. Every figure printed is a stored one."""

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from invoices.pdf import (
    BOLD,
    FONT,
    DocumentPdf,
    document_header,
    lines_table,
    pdf_text,
    tax_breakdown_table,
)


def credit_note_pdf_filename(note) -> str:
    return f"{note.number}.pdf"


def render_credit_note_pdf(note) -> bytes:
    title = f"Credit note {note.number}"
    pdf = DocumentPdf(note.organization, title, currency=note.currency, minor_unit=note.minor_unit)
    fmt, styles = pdf.fmt, pdf.styles
    facts = [
        ("Credit note number", note.number),
        ("Issue date", fmt.date(note.issued_on)),
        ("Corrects invoice", note.invoice.number),
        ("Invoice date", fmt.date(note.invoice.issue_date)),
        ("Currency", note.currency),
    ]
    story = [
        document_header(note, title, facts, fmt, styles),
        Spacer(1, 8 * mm),
        lines_table(note, fmt, styles),
        Spacer(1, 6 * mm),
        _totals_table(note, fmt),
        Spacer(1, 6 * mm),
        tax_breakdown_table(note, fmt, styles),
        Spacer(1, 6 * mm),
        Paragraph(f"Reason: {pdf_text(note.reason)}", styles["small"]),
    ]
    return pdf.render(story)


def _totals_table(note, fmt):
    rows = [
        ("Subtotal", note.subtotal),
        ("Discount", -note.discount_total),
        ("Tax", note.tax_total),
        ("Total credited", note.total),
        ("Applied to the invoice", note.credited_to_invoice),
        ("Refunded", note.refunded),
    ]
    table = Table(
        [[label, fmt.money(value)] for label, value in rows],
        colWidths=[48 * mm, 34 * mm],
        hAlign="RIGHT",
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONT", (0, 3), (-1, 3), BOLD),
                ("LINEABOVE", (0, 3), (-1, 3), 0.8, colors.black),
            ]
        )
    )
    return table
