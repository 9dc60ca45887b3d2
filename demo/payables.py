"""The demo's money going out: vendors, a month of expenses and bills in every status,
written through the domain methods like the rest of the demo (spec 19)."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile

from bills.models import Bill, BillPayment
from expenses.models import Expense, ExpenseCategory
from vendors.models import Vendor

# A one-page PDF standing in for a scanned receipt or a vendor's invoice.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def demo_document(name):
    return ContentFile(DEMO_PDF, name=name)


CATEGORIES = ("Rent", "Software", "Travel", "Office supplies")
# (days ago, category, gross amount, description, method): the last thirty days.
EXPENSES = (
    (29, "Rent", "1800.00", "Office rent", "bank_transfer"),
    (26, "Software", "49.00", "Accounting software", "card"),
    (21, "Travel", "212.40", "Train to a client", "card"),
    (17, "Office supplies", "36.90", "Printer paper and toner", "card"),
    (12, "Travel", "84.00", "Taxi and parking", "cash"),
    (8, "Software", "15.00", "Domain renewal", "card"),
    (3, "Office supplies", "22.50", "Coffee for the office", "cash"),
)


def seed_payables(organization, actor):
    """Create the demo's vendors, categories, expenses and bills; returns their counts."""
    today = organization.today()
    categories = {
        name: ExpenseCategory.objects.create(organization=organization, name=name)
        for name in CATEGORIES
    }
    hosting = Vendor.objects.create(
        organization=organization, name="Cloudy Hosting", email="billing@cloudy.example"
    )
    printer = Vendor.objects.create(organization=organization, name="Print & Paper Co")
    for days_ago, category, amount, description, method in EXPENSES:
        Expense.record(
            organization=organization,
            actor=actor,
            date=today - timedelta(days=days_ago),
            amount=Decimal(amount),
            category=categories[category],
            vendor=printer if category == "Office supplies" else None,
            description=description,
            payment_method=method,
            receipt=demo_document("receipt.pdf"),
        )

    def bill(vendor, number, price, days_ago, terms=30):
        issued = today - timedelta(days=days_ago)
        line = {"description": "Monthly service", "quantity": Decimal("1"),
                "unit_price": Decimal(price), "tax_rate": Decimal("20")}  # fmt: skip
        return Bill.create_draft(
            organization=organization,
            vendor=vendor,
            actor=actor,
            number=number,
            issue_date=issued,
            due_date=issued + timedelta(days=terms),
            lines=[line],
            attachment=demo_document(f"{number}.pdf"),
        )

    bill(hosting, "CH-1042", "100.00", 2)  # a draft, still to be checked
    paid = bill(hosting, "CH-1017", "100.00", 28)
    paid.approve(actor=actor)
    BillPayment.pay(paid, amount=paid.total, method="bank_transfer", actor=actor,
                    paid_on=today - timedelta(days=20))  # fmt: skip
    partly = bill(printer, "PP-330", "250.00", 25)
    partly.approve(actor=actor)
    BillPayment.pay(partly, amount=Decimal("100.00"), method="card", actor=actor,
                    paid_on=today - timedelta(days=10))  # fmt: skip
    overdue = bill(printer, "PP-301", "75.00", 60)
    overdue.approve(actor=actor)
    return {"vendors": 2, "bills": 4, "expenses": len(EXPENSES)}
