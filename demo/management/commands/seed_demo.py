"""`manage.py seed_demo`: a demo organization to explore the API and the admin with.

Everything is created through the same domain methods the API uses (create_draft, send,
void, Payment.pay), so the demo data obeys every rule and has a full history, attributed
to the system actor.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Membership, Organization, Role, User
from core.money import format_plain
from credits.models import CreditNote, WriteOff
from customers.models import Customer
from demo.banking import seed_bank_statement
from demo.credit import seed_customer_credit
from demo.payables import seed_payables
from invoices.models import Invoice, InvoiceQuerySet
from payments.models import Payment
from recurring.models import RecurringInvoice

ORGANIZATION_NAME = "Demo Trading Co"
DOMAIN = "demo.fintrack.test"
DEFAULT_PASSWORD = "fintrack-demo-2025"  # noqa: S105 - a documented demo credential
USERS = [
    (Role.ADMIN, f"admin@{DOMAIN}", "Ada Admin"),
    (Role.FINANCE, f"finance@{DOMAIN}", "Fin Finance"),
    (Role.VIEWER, f"viewer@{DOMAIN}", "Vic Viewer"),
]


def line(description, quantity, unit_price, tax_rate="0", discount_percent="0"):
    return {
        "description": description,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        "tax_rate": Decimal(tax_rate),
        "discount_percent": Decimal(discount_percent),
    }


class Command(BaseCommand):
    help = (
        f"Create the demo organization {ORGANIZATION_NAME!r} (USD) with one user per role, "
        "customers and invoices in every status. Running it again changes nothing. "
        "Demo users have a well-known password: do not run this on a production database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password given to the demo users when created (default: {DEFAULT_PASSWORD}).",
        )

    def handle(self, *args, password, **options):
        emails = [email for _, email, _ in USERS]
        if User.objects.filter(email__in=emails).exists():
            self.stdout.write(
                "Demo data already exists; nothing changed. Demo users: "
                f"{', '.join(emails)} (password as printed when they were created; "
                f"default {DEFAULT_PASSWORD!r})."
            )
            return
        actor = User.objects.system_actor()
        # All or nothing: a failure half-way leaves no partial demo that would then be
        # mistaken for a complete one on the next run.
        with transaction.atomic():
            organization = self.create_organization(password, actor)
            customers = self.create_customers(organization, actor)
            invoices = self.create_invoices(organization, customers, actor)
            payables = seed_payables(organization, actor)
            with_credit, credit = seed_customer_credit(organization, actor, line)
            retainer = self.create_recurring(organization, customers, actor)
            statement = seed_bank_statement(organization, actor)
        self.report(organization, password, customers, invoices)
        held = ", ".join(f"{format_plain(amount, code)} {code}" for code, amount in credit.items())
        self.stdout.write(
            f"{with_credit.name} paid two invoices with one transfer (a receipt) and holds "
            f"{held} of credit: GET /api/v1/customers/{with_credit.pk}/credit/."
        )
        self.stdout.write(
            f"A monthly retainer for {retainer.customer.name}, sent and e-mailed from "
            f"{retainer.start_date.isoformat()} on: GET /api/v1/recurring-invoices/."
        )
        self.stdout.write(
            f"A bank statement with {statement.added} lines to match: "
            f"GET /api/v1/bank-statements/{statement.pk}/ and GET /api/v1/bank-lines/."
        )
        self.stdout.write(
            "{vendors} vendors, {bills} bills (draft, approved, partially paid, paid) and "
            "{expenses} expenses of the last month: GET /api/v1/reports/dashboard/.".format(
                **payables
            )
        )

    # --- steps ----------------------------------------------------------------------------

    def create_organization(self, password, actor):
        """The demo organization, registered by its admin user, then the other users."""
        users = {}
        for role, email, name in USERS:
            # Staff, so each can also sign in to /admin/, where the role decides what they may do.
            # Verified: the demo shows every money command also with EMAIL_VERIFICATION=required.
            user = User(email=email, name=name, is_staff=True, email_verified=True)
            user.set_password(password)
            user._history_user = actor
            user.save()
            users[role] = user
        organization = Organization.register(
            admin=users[Role.ADMIN],
            actor=actor,
            name=ORGANIZATION_NAME,
            base_currency="USD",
            invoice_prefix="DEMO",
            address_line1="1 Market Street",
            city="San Francisco",
            region="CA",
            postal_code="94105",
            country="US",
            # A seller tax id: the demo's invoices can be e-invoiced (spec 18).
            tax_id="US-94-7654321",
            email=f"billing@{DOMAIN}",
            payment_instructions="Bank transfer or card: quote the invoice number.",
        )
        for role, user in users.items():
            if role != Role.ADMIN:
                Membership.add(organization=organization, user=user, role=role, actor=actor)
        return organization

    def create_customers(self, organization, actor):
        specs = {
            "northwind": {
                "name": "Northwind Traders",
                "email": "ap@northwind.example",
                "country": "US",
                "tax_id": "US-94-1234567",
            },
            "contoso": {
                "name": "Contoso Ltd",
                "email": "accounts@contoso.example",
                "country": "GB",
                "payment_terms_days": 14,
            },
            "fabrikam": {
                "name": "Fabrikam GmbH",
                "email": "buchhaltung@fabrikam.example",
                "country": "DE",
                "currency": "EUR",
                "tax_id": "DE136695976",
            },
            # No e-mail: invoices to it can be sent, but not e-mailed (400 customer_no_email).
            "walk_in": {"name": "Walk-in Customer", "phone": "+1 415 555 0100"},
            "old_partner": {"name": "Old Partner Inc", "email": "finance@oldpartner.example"},
        }
        customers = {}
        for key, fields in specs.items():
            customer = Customer(organization=organization, **fields)
            customer._history_user = actor
            customer.save()
            customers[key] = customer
        return customers

    def create_invoices(self, organization, customers, actor):
        today = organization.today()
        hardware = [line("Barcode scanner", "3", "129.00", tax_rate="8.5")]
        consulting = [
            line("Consulting (hours)", "12.5", "95.00"),
            line("Travel", "1", "240.00", discount_percent="10"),
        ]

        def draft(customer, lines, **fields):
            return Invoice.create_draft(
                organization=organization, customer=customer, actor=actor, lines=lines, **fields
            )

        def sent(customer, lines, **fields):
            invoice = draft(customer, lines, **fields)
            invoice.send(actor=actor)
            return invoice

        invoices = {
            "draft": draft(customers["northwind"], hardware, reference="PO-1001"),
            "sent": sent(customers["contoso"], consulting),
            # Issued 45 days ago with 30-day terms: 15 days past due today.
            "overdue": sent(
                customers["northwind"],
                consulting,
                issue_date=today - timedelta(days=45),
                due_date=today - timedelta(days=15),
            ),
            "partially_paid": sent(customers["fabrikam"], hardware),
            "paid": sent(customers["walk_in"], hardware),
            "void": sent(customers["contoso"], hardware),
            "archived_customer_paid": sent(customers["old_partner"], consulting),
            # Billed one scanner too many: corrected by a credit note (spec 14).
            "credited": sent(customers["contoso"], hardware, reference="PO-2002"),
            # Four months past due and given up on: written off, out of aging and reminders.
            "written_off": sent(
                customers["northwind"],
                hardware,
                issue_date=today - timedelta(days=150),
                due_date=today - timedelta(days=120),
            ),
        }
        self.pay(invoices["partially_paid"], Decimal("100.00"), "bank_transfer", actor)
        self.pay(invoices["paid"], invoices["paid"].balance_due, "cash", actor)
        self.pay(
            invoices["archived_customer_paid"],
            invoices["archived_customer_paid"].balance_due,
            "cheque",
            actor,
        )
        invoices["void"].void(reason="Issued to the wrong customer", actor=actor)
        CreditNote.issue(
            invoices["credited"],
            lines=[line("Barcode scanner", "1", "129.00", tax_rate="8.5")],
            reason="One scanner was billed twice",
            actor=actor,
        )
        self.pay(invoices["written_off"], Decimal("50.00"), "bank_transfer", actor)
        WriteOff.write_off(
            invoices["written_off"], reason="Customer stopped answering; sent to collections",
            actor=actor,
        )  # fmt: skip
        # Archived after its last invoice: it keeps its history but gets no new invoices.
        customers["old_partner"].archive(actor=actor)
        for invoice in invoices.values():
            invoice.refresh_from_db()
        return invoices

    @staticmethod
    def pay(invoice, amount, method, actor):
        Payment.pay(
            invoice, amount=amount, method=method, actor=actor, reference=f"DEMO-{invoice.pk}"
        )

    def create_recurring(self, organization, customers, actor):
        """A monthly retainer from the first of next month (`run_recurring` issues it)."""
        next_month = (organization.today().replace(day=1) + timedelta(days=32)).replace(day=1)
        return RecurringInvoice.create(
            organization=organization,
            customer=customers["contoso"],
            actor=actor,
            lines=[line("Monthly support retainer", "1", "1500.00", tax_rate="20")],
            interval="month",
            start_date=next_month,
            auto_send=True,
            auto_email=True,
            reference="RETAINER-2026",
        )

    def report(self, organization, password, customers, invoices):
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {organization.name!r} (organization id {organization.pk})."
            )
        )
        self.stdout.write("Log in with POST /api/v1/auth/token/ or at /admin/ as:")
        for role, email, _ in USERS:
            self.stdout.write(f"  {role:<8} {email:<28} password: {password}")
        self.stdout.write(f"{len(customers)} customers (1 archived, 1 without e-mail).")
        overdue_pks = set(
            Invoice.objects.filter(
                InvoiceQuerySet.overdue_q(organization.today()),
                pk__in=[invoice.pk for invoice in invoices.values()],
            ).values_list("pk", flat=True)
        )
        for invoice in invoices.values():
            overdue = " (overdue)" if invoice.pk in overdue_pks else ""
            for note in invoice.credit_notes.all():
                overdue += f" (credit note {note.number})"
            self.stdout.write(
                f"  {invoice.number or 'draft':<12} {invoice.status + overdue:<15} "
                f"{invoice.customer.name:<20} "
                f"{format_plain(invoice.total, invoice.currency)} {invoice.currency}"
            )
