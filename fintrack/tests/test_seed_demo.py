"""seed_demo: a complete demo through the domain methods, and a second run changes nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum

from accounts.models import Organization, Role, User
from credits.models import CreditNote
from customers.models import Customer
from demo.management.commands.seed_demo import DEFAULT_PASSWORD, ORGANIZATION_NAME, USERS
from invoices.models import Invoice, InvoiceStatus

pytestmark = pytest.mark.django_db


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts():
    """Rows of every model, history tables included."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "customers", "invoices", "payments", "credits"}
    }


@pytest.fixture
def demo():
    output = seed()
    return Organization.objects.get(name=ORGANIZATION_NAME), output


def test_creates_the_usd_demo_organization_and_prints_credentials(demo):
    organization, output = demo
    assert organization.base_currency == "USD"
    for _, email, _ in USERS:
        assert email in output
    assert DEFAULT_PASSWORD in output


def test_one_user_per_role(demo):
    organization, _ = demo
    roles = dict(organization.memberships.values_list("user__email", "role"))
    assert roles == {
        "admin@demo.fintrack.test": Role.ADMIN,
        "finance@demo.fintrack.test": Role.FINANCE,
        "viewer@demo.fintrack.test": Role.VIEWER,
    }


def test_customers_include_an_archived_one_and_one_without_email(demo):
    organization, _ = demo
    customers = Customer.objects.filter(organization=organization)
    assert customers.count() >= 4
    assert customers.filter(archived_at__isnull=False).count() == 1
    assert customers.filter(email="").count() == 1


def test_invoices_in_every_status_plus_an_overdue_one(demo):
    organization, _ = demo
    invoices = Invoice.objects.filter(organization=organization).with_is_overdue(
        organization.today()
    )
    assert set(invoices.values_list("status", flat=True)) == set(InvoiceStatus.values)
    overdue = invoices.filter(is_overdue=True)
    assert overdue.count() == 1
    assert overdue.get().status == InvoiceStatus.SENT


def test_demo_money_is_consistent(demo):
    organization, _ = demo
    for invoice in Invoice.objects.filter(organization=organization):
        paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or 0
        assert invoice.amount_paid == paid
        assert invoice.balance_due == (
            invoice.total - invoice.amount_paid - invoice.credited_total - invoice.written_off_total
        )
    numbers = sorted(
        Invoice.objects.filter(organization=organization)
        .exclude(number=None)
        .values_list("number", flat=True)
    )
    assert numbers == [f"DEMO-{n:05d}" for n in range(1, len(numbers) + 1)]


def test_demo_shows_a_credit_note_and_a_written_off_invoice(demo):
    organization, output = demo
    note = CreditNote.objects.get(organization=organization)
    assert note.number == "CN-00001"
    assert note.number in output
    assert note.invoice.status == InvoiceStatus.PARTIALLY_PAID
    written_off = Invoice.objects.get(organization=organization, status=InvoiceStatus.UNCOLLECTIBLE)
    assert written_off.written_off_total > 0
    assert written_off.write_off.reason
    call_command("verify_ledger", stdout=StringIO())


def test_history_is_attributed_to_the_system_actor(demo):
    organization, _ = demo
    actor = User.objects.system_actor()
    invoice = Invoice.objects.filter(organization=organization, status=InvoiceStatus.PAID).first()
    assert {row.history_user for row in invoice.history.all()} == {actor}
    assert organization.history.get().history_user == actor


def test_second_run_changes_nothing(demo):
    before = row_counts()
    output = seed()
    assert "already exists" in output
    assert row_counts() == before


@pytest.mark.parametrize(("role", "email", "name"), USERS)
def test_each_demo_user_can_log_in(demo, api, role, email, name):
    organization, _ = demo
    response = api().post("/api/v1/auth/token/", {"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.json()
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    me = client.get("/api/v1/auth/me/").json()
    assert me["memberships"] == [
        {"organization": {"id": organization.pk, "name": ORGANIZATION_NAME}, "role": role}
    ]
    invoices = Invoice.objects.filter(organization=organization).count()
    assert client.get("/api/v1/invoices/").json()["count"] == invoices >= 9


def test_custom_password(api):
    seed("--password", "another-demo-secret")
    email = USERS[0][1]
    response = api().post(
        "/api/v1/auth/token/", {"email": email, "password": "another-demo-secret"}
    )
    assert response.status_code == 200


def test_demo_users_can_sign_in_to_the_admin(db, client):
    call_command("seed_demo", stdout=StringIO())
    assert client.login(email="finance@demo.fintrack.test", password=DEFAULT_PASSWORD)
    assert client.get("/admin/invoices/invoice/").status_code == 200


def test_the_report_marks_exactly_the_overdue_invoice(db):
    out = seed()
    marked = [row for row in out.splitlines() if "(overdue)" in row]
    overdue = Invoice.objects.with_is_overdue(Organization.objects.get().today()).get(
        is_overdue=True
    )
    assert len(marked) == 1
    assert marked[0].split()[0] == overdue.number


def test_the_demo_organization_is_registered_by_its_admin(db):
    seed()
    organization = Organization.objects.get(name=ORGANIZATION_NAME)
    admin = User.objects.get(email=USERS[0][1])
    assert organization.memberships.get(role=Role.ADMIN).user == admin
    assert organization.history.get().history_user == User.objects.system_actor()


def test_a_customer_holds_credit_from_a_receipt(demo, api):
    organization, output = demo
    customer = Customer.objects.get(organization=organization, name="Tailspin Toys")
    assert customer.receipts.get().unallocated == 200
    assert customer.credits.get().amount == 150
    assert f"/api/v1/customers/{customer.pk}/credit/" in output
    assert "150.00 USD of credit" in output


def test_a_monthly_retainer_starts_next_month(demo):
    from recurring.models import RecurringInvoice

    organization, output = demo
    [retainer] = RecurringInvoice.objects.filter(organization=organization)
    assert (retainer.interval, retainer.auto_send, retainer.auto_email) == ("month", True, True)
    assert retainer.start_date.day == 1 and retainer.start_date > organization.today()
    assert "/api/v1/recurring-invoices/" in output


def test_a_bank_statement_leaves_two_lines_to_match(demo):
    from banking.models import BankStatement

    organization, output = demo
    [statement] = BankStatement.objects.filter(organization=organization)
    lines = statement.lines.order_by("position")
    assert [(line.amount, line.status) for line in lines] == [
        (Decimal("129.00"), "unmatched"),
        (Decimal("-12.50"), "unmatched"),
    ]
    assert (statement.entries, statement.added, statement.matched) == (2, 2, 0)
    assert f"/api/v1/bank-statements/{statement.pk}/" in output
