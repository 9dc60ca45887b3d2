"""The customer's page (spec 17): its invoices (linked), what it owes per currency, and its
statement to view, download as PDF and e-mail."""

from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from accounts.models import Role
from backoffice.tests.builders import change_url, command_url, overdue_invoice, rival_world, staff
from customers.tests.factories import CustomerFactory
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization):
    return staff(organization, Role.FINANCE)


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


@pytest.fixture
def customer_with_history(organization, finance):
    customer = CustomerFactory(organization=organization, name="Globex", currency="USD")
    late = overdue_invoice(organization, customer=customer, total="1000.00")
    Payment.pay(late, amount=Decimal("400.00"), method="cash", actor=finance)
    InvoiceFactory(organization=organization, customer=customer, sent=True, total="50.00")
    InvoiceFactory(
        organization=organization, customer=customer, currency="EUR", sent=True, total="20.00"
    )
    return customer, late


def test_customer_page_shows_invoices_and_balance_per_currency(
    finance_client, customer_with_history
):
    customer, late = customer_with_history
    response = finance_client.get(change_url(customer))
    page = response.content.decode()
    assert f'<a href="{change_url(late)}">{late.number}</a>' in page
    balances = {row["currency"]: row for row in response.context["balances"]}
    assert balances["USD"]["balance_due"] == "$650.00"
    assert balances["USD"]["overdue"] == "$600.00"
    assert balances["EUR"]["balance_due"] == "€20.00"
    assert response.context["invoice_count"] == 3


def test_statement_view_shows_the_statement_services_lines(finance_client, customer_with_history):
    customer, late = customer_with_history
    response = finance_client.get(command_url(customer, "statement"), {"currency": "USD"})
    page = response.content.decode()
    assert response.context["closing_balance"] == "$650.00"
    assert late.number in page
    assert "-$400.00" in page  # the payment's effect on the balance


def test_statement_pdf_downloads_the_same_figures(finance_client, customer_with_history):
    customer, _ = customer_with_history
    response = finance_client.get(command_url(customer, "statement_pdf"), {"currency": "USD"})
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "Globex" in text
    assert "$650.00" in text


def test_statement_in_another_currency(finance_client, customer_with_history):
    customer, _ = customer_with_history
    response = finance_client.get(command_url(customer, "statement"), {"currency": "EUR"})
    assert response.context["closing_balance"] == "€20.00"


def test_statement_email_sends_the_pdf_to_the_customer(
    finance_client, customer_with_history, mailoutbox, django_capture_on_commit_callbacks
):
    customer, _ = customer_with_history
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_client.post(
            command_url(customer, "email_statement"), {"currency": "USD"}
        )
    assert response.status_code == 302
    (message,) = mailoutbox
    assert message.to == [customer.email]
    name, content, mimetype = message.attachments[0]
    assert name.endswith(".pdf")
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")


def test_viewer_reads_the_statement_but_cannot_email_it(
    client, organization, customer_with_history, mailoutbox, django_capture_on_commit_callbacks
):
    customer, _ = customer_with_history
    client.force_login(staff(organization, Role.VIEWER))
    page = client.get(change_url(customer)).content.decode()
    assert 'data-command="email_statement"' not in page
    assert 'data-command="archive"' not in page
    assert client.get(command_url(customer, "statement")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(command_url(customer, "email_statement"), {"currency": "USD"})
    assert response.status_code == 403
    assert mailoutbox == []


def test_another_organizations_customer_statement_is_404(finance_client):
    _, foreign = rival_world()
    for tool in ("statement", "statement_pdf", "email_statement"):
        assert finance_client.get(command_url(foreign.customer, tool)).status_code == 404


def test_archive_button_archives_through_the_model(finance_client, organization, finance):
    customer = CustomerFactory(organization=organization)
    finance_client.post(command_url(customer, "archive"), {})
    customer.refresh_from_db()
    assert customer.is_archived
    assert customer.history.first().history_user == finance
