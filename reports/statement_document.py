"""A customer's statement as a PDF and as an e-mail (spec 17): the figures of the
statement service (`reports.services.statement`), never recomputed, set in the
organization's locale with the invoice PDF's formatter."""

import logging
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from core.money import minor_units
from emails.models import EmailKind
from emails.models import EmailMessage as QueuedEmail
from invoices.mail import CustomerHasNoEmail
from invoices.pdf import DocumentPdf, pdf_text
from reports.services.statement import statement

logger = logging.getLogger(__name__)

LINE_TYPES = {
    "invoice": "Invoice",
    "payment": "Payment",
    "refund": "Refund",
    "reversal": "Reversal",
    "credit_note": "Credit note",
    "write_off": "Write-off",
    "recovery": "Recovery",
}


def statement_filename(customer, report) -> str:
    return f"statement-customer-{customer.pk}-{report['currency']}-{report['to']}.pdf"


def render_statement_pdf(customer, report) -> bytes:
    """`report` is the statement service's answer for `customer`."""
    organization = customer.organization
    currency = report["currency"]
    title = f"Statement of account: {customer.name}"
    pdf = DocumentPdf(organization, title, currency=currency, minor_unit=minor_units(currency))
    fmt, styles = pdf.fmt, pdf.styles
    period_from = fmt.date(date.fromisoformat(report["from"])) if report["from"] else "the start"
    period_to = fmt.date(date.fromisoformat(report["to"]))
    rows = [["Date", "Type", "Number", "Reference", "Amount", "Balance"]]
    rows.append(["", "Opening balance", "", "", "", fmt.money(Decimal(report["opening_balance"]))])
    for line in report["lines"]:
        rows.append(
            [
                fmt.date(date.fromisoformat(line["date"])),
                LINE_TYPES.get(line["type"], line["type"]),
                Paragraph(pdf_text(line["number"] or ""), styles["cell"]),
                Paragraph(pdf_text(line["reference"] or ""), styles["cell"]),
                fmt.money(Decimal(line["amount"])),
                fmt.money(Decimal(line["balance"])),
            ]
        )
    rows.append(["", "Closing balance", "", "", "", fmt.money(Decimal(report["closing_balance"]))])
    table = Table(rows, colWidths=[24 * mm, 26 * mm, 30 * mm, 36 * mm, 29 * mm, 29 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.grey),
                ("ALIGN", (4, 0), (5, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story = [
        Paragraph(pdf_text(title), styles["title"]),
        Paragraph(pdf_text(organization.name), styles["h3"]),
        Paragraph(pdf_text(f"{currency}, from {period_from} to {period_to}"), styles["normal"]),
        Spacer(1, 6 * mm),
        table,
    ]
    return pdf.render(story)


def email_statement(customer, *, currency, date_from=None, date_to=None, actor):
    """Queue the customer's statement e-mail, its PDF rendered now; it leaves once the
    current transaction commits, with the queue's retries (spec 16). 400
    `customer_no_email` without an address. Changes nothing else."""
    if not customer.email:
        raise CustomerHasNoEmail(attr="email")
    date_to = date_to or customer.organization.today()
    report = statement(customer, currency=currency, date_from=date_from, date_to=date_to)
    organization = customer.organization
    message = EmailMessage(
        # One line: a newline in a name must not break the Subject header.
        subject=" ".join(f"Statement of account from {organization.name}".split()),
        body=(
            f"Dear {customer.name},\n\nPlease find attached your statement of account in "
            f"{currency} to {report['to']}. Closing balance: {report['closing_balance']} "
            f"{currency}.\n\n{organization.name}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[customer.email],
        reply_to=[organization.email] if organization.email else None,
    )
    message.attach(
        statement_filename(customer, report),
        render_statement_pdf(customer, report),
        "application/pdf",
    )
    logger.info("Queued the %s statement of customer %s (by %s)", currency, customer.pk, actor)
    return QueuedEmail.queue_built(
        message, organization_id=organization.pk, kind=EmailKind.STATEMENT
    )
