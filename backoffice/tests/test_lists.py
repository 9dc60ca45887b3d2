"""The back office's lists (spec 17): the overdue and date-range filters, money with the
currency's symbol and digits, totals per currency of the filtered rows, and links."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, OrganizationFactory
from backoffice.tests.builders import change_url, overdue_invoice, staff
from customers.tests.factories import CustomerFactory
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment
from payments.receipts import Receipt

pytestmark = pytest.mark.django_db
INVOICES = reverse("admin:invoices_invoice_changelist")
PAYMENTS = reverse("admin:payments_payment_changelist")
RECEIPTS = reverse("admin:payments_receipt_changelist")
CREDIT_ENTRIES = reverse("admin:payments_creditentry_changelist")


@pytest.fixture
def finance(organization):
    return staff(organization, Role.FINANCE)


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


def listed(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def test_overdue_filter_lists_only_overdue_invoices(finance_client, organization, finance):
    late = overdue_invoice(organization)
    paid_late = overdue_invoice(organization, total="10.00")
    Payment.pay(paid_late, amount=Decimal("10.00"), method="cash", actor=finance)
    not_due = InvoiceFactory(organization=organization, sent=True)
    draft = InvoiceFactory(organization=organization)
    assert listed(finance_client.get(INVOICES, {"overdue": "yes"})) == {late.pk}
    assert listed(finance_client.get(INVOICES, {"overdue": "no"})) == {
        paid_late.pk,
        not_due.pk,
        draft.pk,
    }


def test_overdue_filter_uses_each_organizations_own_today(client):
    """Due yesterday in Kiribati (UTC+14) is overdue there before it is in Honolulu."""
    early = OrganizationFactory(time_zone="Pacific/Kiritimati")
    late = OrganizationFactory(time_zone="Pacific/Honolulu")
    user = staff(early, Role.FINANCE)
    MembershipFactory(user=user, organization=late, role=Role.FINANCE)
    due_yesterday_in_kiribati = early.today() - timedelta(days=1)
    a = InvoiceFactory(
        organization=early,
        sent=True,
        issue_date=due_yesterday_in_kiribati - timedelta(days=10),
        due_date=due_yesterday_in_kiribati,
    )
    b = InvoiceFactory(
        organization=late,
        sent=True,
        issue_date=due_yesterday_in_kiribati - timedelta(days=10),
        due_date=due_yesterday_in_kiribati,
    )
    client.force_login(user)
    overdue = listed(client.get(INVOICES, {"overdue": "yes"}))
    assert a.pk in overdue
    # Honolulu is a day behind Kiribati: that due date is today there, not yet overdue.
    assert b.pk not in overdue


def test_issue_date_range_filter(finance_client, organization):
    today = organization.today()
    old = InvoiceFactory(
        organization=organization, issue_date=today - timedelta(days=40), due_date=today
    )
    recent = InvoiceFactory(organization=organization, issue_date=today, due_date=today)
    response = finance_client.get(
        INVOICES,
        {
            "issue_date__range__gte": (today - timedelta(days=7)).isoformat(),
            "issue_date__range__lte": today.isoformat(),
        },
    )
    assert listed(response) == {recent.pk}
    assert old.pk not in listed(response)


def test_received_on_range_filter_on_payments(finance_client, organization, finance):
    invoice = overdue_invoice(organization, total="100.00")
    early = Payment.pay(
        invoice,
        amount=Decimal("10.00"),
        method="cash",
        actor=finance,
        received_on=invoice.issue_date,
    )
    today = Payment.pay(invoice, amount=Decimal("20.00"), method="cash", actor=finance)
    response = finance_client.get(
        PAYMENTS, {"received_on__range__gte": organization.today().isoformat()}
    )
    assert listed(response) == {today.pk}
    assert early.pk not in listed(response)


def test_money_is_shown_with_symbol_and_digits(finance_client, organization):
    InvoiceFactory(organization=organization, sent=True, total="1403.5")
    jpy = CustomerFactory(organization=organization, currency="JPY")
    InvoiceFactory(organization=organization, customer=jpy, currency="JPY", sent=True, total="1050")
    page = finance_client.get(INVOICES).content.decode()
    assert "$1,403.50" in page
    assert "¥1,050" in page
    assert "1403.5000" not in page


def test_totals_per_currency_of_the_filtered_rows(finance_client, organization, finance):
    InvoiceFactory(organization=organization, sent=True, total="100.00")
    InvoiceFactory(organization=organization, sent=True, total="50.25")
    InvoiceFactory(organization=organization, total="999.00")  # a draft counts in no total
    euro = CustomerFactory(organization=organization, currency="EUR")
    InvoiceFactory(organization=organization, customer=euro, currency="EUR", sent=True, total="7")
    response = finance_client.get(INVOICES)
    totals = {row["currency"]: row["amounts"] for row in response.context["currency_totals"]}
    assert totals == {"EUR": ["€7.00", "€7.00"], "USD": ["$150.25", "$150.25"]}
    filtered = finance_client.get(INVOICES, {"currency": "EUR"})
    assert [row["currency"] for row in filtered.context["currency_totals"]] == ["EUR"]


def test_totals_are_never_added_across_organizations(client, organization):
    user = staff(organization, Role.FINANCE)
    second = OrganizationFactory(name="Second Own Ltd")
    MembershipFactory(user=user, organization=second, role=Role.FINANCE)
    InvoiceFactory(organization=organization, sent=True, total="100.00")
    InvoiceFactory(organization=second, sent=True, total="30.00")
    client.force_login(user)
    rows = client.get(INVOICES).context["currency_totals"]
    assert sorted((row["organization"], row["amounts"][0]) for row in rows) == [
        ("Acme Ltd", "$100.00"),
        ("Second Own Ltd", "$30.00"),
    ]


def test_payment_totals_are_net_of_refunds(finance_client, organization, finance):
    invoice = InvoiceFactory(organization=organization, paid=True, total="100.00")
    Payment.refund(invoice, amount=Decimal("40.00"), actor=finance)
    rows = finance_client.get(PAYMENTS).context["currency_totals"]
    assert [row["amounts"] for row in rows] == [["$60.00"]]


def test_payments_link_to_their_invoice_and_customer(finance_client, organization):
    invoice = InvoiceFactory(organization=organization, paid=True)
    page = finance_client.get(PAYMENTS).content.decode()
    assert f'href="{change_url(invoice)}"' in page
    assert f'href="{change_url(invoice.customer)}"' in page
    invoices_page = finance_client.get(INVOICES).content.decode()
    assert f'href="{change_url(invoice.customer)}"' in invoices_page


def test_add_invoice_does_not_offer_archived_customers(finance_client, organization, finance):
    active = CustomerFactory(organization=organization, name="Active Buyer")
    archived = CustomerFactory(organization=organization, name="Archived Buyer")
    archived.archive(actor=finance)
    response = finance_client.get(reverse("admin:invoices_invoice_add"))
    choices = set(response.context["adminform"].form.fields["customer"].queryset)
    assert active in choices
    assert archived not in choices


def paid_invoice(organization, actor):
    InvoiceFactory(organization=organization, paid=True)


def receipt_with_credit(organization, actor):
    """A receipt paying one invoice, its rest a `receipt` entry on the customer's credit."""
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    Receipt.record(
        invoice.customer,
        currency=invoice.currency,
        amount="120.00",
        method="bank_transfer",
        allocations=[{"invoice": invoice, "amount": "100.00"}],
        actor=actor,
    )


@pytest.mark.parametrize(
    ("url", "add_row"),
    [
        (INVOICES, paid_invoice),
        (PAYMENTS, paid_invoice),
        (RECEIPTS, receipt_with_credit),
        (CREDIT_ENTRIES, receipt_with_credit),
    ],
    ids=["invoices", "payments", "receipts", "credit-entries"],
)
def test_list_queries_do_not_grow_with_the_rows(
    finance_client, organization, finance, url, add_row
):

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert finance_client.get(url).status_code == 200
        return len(captured)

    add_row(organization, finance)
    few = queries()
    for _ in range(5):
        add_row(organization, finance)
    assert queries() == few


def test_money_follows_the_organizations_locale(client):
    german = OrganizationFactory(name="Muster GmbH", base_currency="EUR", locale="de_DE")
    client.force_login(staff(german, Role.FINANCE))
    InvoiceFactory(organization=german, sent=True, total="1403.5")
    page = client.get(INVOICES).content.decode()
    assert "1.403,50\xa0€" in page
