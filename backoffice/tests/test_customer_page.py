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
from payments.credit import CreditEntry, credit_balances, credit_customer
from payments.models import Payment
from payments.receipts import Receipt

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


# --- customer credit and receipts (spec 14) ---------------------------------------------


@pytest.fixture
def initech(organization):
    return CustomerFactory(organization=organization, name="Initech", currency="USD")


@pytest.fixture
def invoices(organization, initech):
    return [
        InvoiceFactory(organization=organization, customer=initech, sent=True, total=total)
        for total in ("100.00", "50.00")
    ]


def test_the_customer_page_shows_its_credit(finance_client, initech, finance):
    credit_customer(initech, currency="USD", amount="42.50", kind="receipt", actor=finance)
    response = finance_client.get(change_url(initech))
    assert response.context["credit_balances"] == [{"currency": "USD", "amount": "$42.50"}]
    assert "Refund credit" in response.content.decode()


def test_record_a_receipt_from_the_customer_page(finance_client, initech, invoices):
    first, second = invoices
    response = finance_client.post(
        command_url(initech, "receipt"),
        {
            "currency": "USD",
            "amount": "180.00",
            "method": "bank_transfer",
            "reference": "TRF-9",
            "allocations": f"{first.number} 100.00\n{second.number} 50.00\n",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    receipt = Receipt.objects.get()
    assert (receipt.allocated, receipt.unallocated, receipt.created_by.pk) == (
        Decimal("150.00"),
        Decimal("30.00"),
        int(finance_client.session["_auth_user_id"]),
    )
    assert credit_balances(initech) == {"USD": Decimal("30.00")}


def test_a_refused_receipt_shows_the_error_and_records_nothing(finance_client, initech, invoices):
    response = finance_client.post(
        command_url(initech, "receipt"),
        {
            "currency": "USD",
            "amount": "10.00",
            "method": "cash",
            "allocations": f"{invoices[0].number} 100.00",
        },
    )
    assert response.status_code == 200
    assert "more than the receipt" in response.content.decode()
    response = finance_client.post(
        command_url(initech, "receipt"),
        {"currency": "USD", "amount": "10.00", "method": "cash", "allocations": "INV-404 1.00"},
    )
    assert "no invoice" in response.content.decode()
    assert not Receipt.objects.exists()


def test_refund_credit_from_the_customer_page(finance_client, initech, finance):
    credit_customer(initech, currency="USD", amount="42.50", kind="receipt", actor=finance)
    response = finance_client.post(
        command_url(initech, "refund_credit"),
        {"currency": "USD", "amount": "40.00", "method": "cheque"},
    )
    assert response.status_code == 302
    assert credit_balances(initech) == {"USD": Decimal("2.50")}
    assert CreditEntry.objects.filter(kind="refunded").count() == 1


def test_apply_credit_from_the_invoice_page(finance_client, initech, invoices, finance):
    invoice = invoices[0]
    page = finance_client.get(change_url(invoice)).content.decode()
    assert 'data-command="apply_credit"' not in page  # no credit yet
    credit_customer(initech, currency="USD", amount="30.00", kind="receipt", actor=finance)
    page = finance_client.get(command_url(invoice, "apply_credit"))
    assert page.context["form"].initial == {"amount": "30.00"}
    response = finance_client.post(command_url(invoice, "apply_credit"), {"amount": "30.00"})
    assert response.status_code == 302
    assert Payment.objects.get(invoice=invoice).kind == "credit"
    assert credit_balances(initech) == {"USD": Decimal("0.00")}


def test_reverse_a_receipt_from_its_page(finance_client, initech, invoices, finance):
    receipt = Receipt.record(
        initech,
        currency="USD",
        amount="120.00",
        method="bank_transfer",
        allocations=[{"invoice": invoices[0], "amount": "100.00"}],
        actor=finance,
    )
    allocation = receipt.allocation_rows[0]
    # Its allocation is reversed only through the receipt: no button on the payment.
    payment_page = finance_client.get(change_url(allocation)).content.decode()
    assert 'data-command="reverse"' not in payment_page
    response = finance_client.post(command_url(receipt, "reverse"), {"reason": "Bounced"})
    assert response.status_code == 302
    receipt.refresh_from_db()
    assert receipt.reversed_at is not None
    assert credit_balances(initech) == {"USD": Decimal("0.00")}


def test_viewers_get_no_credit_buttons(client, organization, initech, finance):
    viewer = staff(organization, Role.VIEWER)
    client.force_login(viewer)
    credit_customer(initech, currency="USD", amount="1.00", kind="receipt", actor=finance)
    page = client.get(change_url(initech)).content.decode()
    assert 'data-command="receipt"' not in page
    assert client.post(command_url(initech, "refund_credit"), {}).status_code == 403
