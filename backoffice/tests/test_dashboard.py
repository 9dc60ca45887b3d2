"""The admin's index is the dashboard (spec 17): one section per organization of the staff
user, figures from the report services, never added across organizations."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, OrganizationFactory
from backoffice.money import money_text
from backoffice.tests.builders import overdue_invoice, rival_world, staff
from expenses.models import ExpenseCategory
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment
from reports.services.dashboard import dashboard as report_dashboard
from reports.services.summary import summary
from reports.tests.factories import customer, pay, refund, sent
from reports.tests.test_payables_dashboard import bill_paid, expense

pytestmark = pytest.mark.django_db
INDEX = reverse("admin:index")


def sections(page: str) -> dict[str, str]:
    """The HTML of each organization's section, by organization id."""
    parts = re.split(r'<section class="dashboard-org module" data-organization="(\d+)">', page)
    return {parts[i]: parts[i + 1].split("</section>")[0] for i in range(1, len(parts), 2)}


@pytest.fixture
def two_organizations(organization):
    """A finance user of two organizations, each with an overdue USD invoice."""
    user = staff(organization, Role.FINANCE)
    second = OrganizationFactory(name="Second Own Ltd", base_currency="USD")
    MembershipFactory(user=user, organization=second, role=Role.VIEWER)
    overdue_invoice(organization, total="100.00")
    overdue_invoice(second, total="250.00")
    return user, second


def test_one_section_per_organization_with_its_own_figures(client, organization, two_organizations):
    user, second = two_organizations
    client.force_login(user)
    page = client.get(INDEX).content.decode()
    found = sections(page)
    assert set(found) == {str(organization.pk), str(second.pk)}
    assert "$100.00" in found[str(organization.pk)]
    assert "$250.00" in found[str(second.pk)]
    # Never added across organizations.
    assert "$350.00" not in page


def test_figures_are_the_summary_services(client, organization):
    user = staff(organization, Role.FINANCE)
    invoice = overdue_invoice(organization, total="1403.50")
    Payment.pay(invoice, amount=Decimal("3.50"), method="cash", actor=user)
    InvoiceFactory(organization=organization, sent=True, total="99.00")  # not yet due
    client.force_login(user)
    section = sections(client.get(INDEX).content.decode())[str(organization.pk)]
    (usd,) = summary(organization)["currencies"]
    for figure in ("outstanding", "overdue_amount"):
        assert money_text(usd[figure], "USD", locale="en_US") in section
    assert "$1,400.00" in section  # overdue
    assert "$1,499.00" in section  # outstanding
    assert "$3.50" in section  # collected this month
    assert f"{usd['overdue_count']} invoice" in section


def test_overdue_figure_links_to_the_overdue_invoices(client, organization):
    user = staff(organization, Role.FINANCE)
    late = overdue_invoice(organization)
    InvoiceFactory(organization=organization, sent=True)
    client.force_login(user)
    page = client.get(INDEX).content.decode()
    link = re.search(r'class="overdue-link" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    listed = client.get(link).context["cl"].result_list
    assert [invoice.pk for invoice in listed] == [late.pk]


def test_charts_are_inline_svg_and_nothing_is_loaded_from_elsewhere(client, organization):
    user = staff(organization, Role.FINANCE)
    overdue_invoice(organization)
    client.force_login(user)
    page = client.get(INDEX).content.decode()
    section = sections(page)[str(organization.pk)]
    assert section.count("<svg") == 2  # the aging and the 12-month charts
    assert 'aria-label="Aging on' in section
    assert "Invoiced and collected, last 12 months" in section
    assert not re.search(r'<script[^>]+src="(https?:)?//', page)


def test_most_overdue_customers_and_latest_payments_link_to_their_pages(client, organization):
    user = staff(organization, Role.FINANCE)
    invoice = overdue_invoice(organization, total="500.00")
    payment = Payment.pay(invoice, amount=Decimal("100.00"), method="cash", actor=user)
    client.force_login(user)
    section = sections(client.get(INDEX).content.decode())[str(organization.pk)]
    customer_url = reverse("admin:customers_customer_change", args=[invoice.customer_id])
    assert f'<a href="{customer_url}">{invoice.customer.name}</a>' in section
    assert reverse("admin:payments_payment_change", args=[payment.pk]) in section
    assert reverse("admin:invoices_invoice_change", args=[invoice.pk]) in section


def test_another_organization_is_never_named(client, organization):
    user = staff(organization, Role.FINANCE)
    overdue_invoice(organization)
    rival_world()
    client.force_login(user)
    page = client.get(INDEX).content.decode()
    assert list(sections(page)) == [str(organization.pk)]
    assert "Rival Holdings Unique" not in page
    assert "Rival Customer Unique" not in page
    assert "$777.77" not in page


def test_viewer_gets_the_dashboard_too(client, organization):
    viewer = staff(organization, Role.VIEWER)
    overdue_invoice(organization, total="42.00")
    client.force_login(viewer)
    assert "$42.00" in client.get(INDEX).content.decode()


def test_dashboard_queries_do_not_grow_with_the_data(client, organization):
    """Every figure is a GROUP BY of a report service: more invoices, customers and
    payments add no query."""
    user = staff(organization, Role.FINANCE)
    client.force_login(user)

    def queries():
        # Inside the test's transaction the report reads stay on `default` too.
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INDEX).status_code == 200
        return len(captured)

    first = overdue_invoice(organization)
    Payment.pay(first, amount=Decimal("1.00"), method="cash", actor=user)
    few = queries()
    for _ in range(5):
        invoice = overdue_invoice(organization, total="10.00")
        Payment.pay(invoice, amount=Decimal("1.00"), method="cash", actor=user)
    assert queries() == few


def test_superuser_gets_a_section_for_every_organization(client, organization):
    rival, _ = rival_world()
    superuser = staff(organization, Role.VIEWER, is_superuser=True)
    client.force_login(superuser)
    found = sections(client.get(INDEX).content.decode())
    assert {str(organization.pk), str(rival.pk)} <= set(found)
    assert "$777.77" in found[str(rival.pk)]


def cash_figures(section: str, currency: str) -> dict[str, str]:
    """This month's income, expenses and net shown in one currency's panel."""
    panel = section.split(f'data-currency="{currency}"', 1)[1].split('class="dashboard-panel"')[0]
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', panel))


@pytest.fixture
def this_month_books(organization):
    """Cash in and out this month (USD, and one EUR expense), plus last month's, which
    the month's figures leave out."""
    today = organization.today()
    last_month = today.replace(day=1) - timedelta(days=1)
    travel = ExpenseCategory.objects.create(organization=organization, name="Travel")
    invoice = sent(customer(organization, "Client"), "1000.00", issue=last_month)
    pay(invoice, "200.00", last_month)
    pay(invoice, "300.00", today)
    refund(invoice, "50.00", today)
    expense(organization, travel, "40.00", today)
    expense(organization, travel, "999.00", last_month)
    expense(organization, travel, "10.00", today, currency="EUR")
    bill_paid(organization, "120.00", "100.00", today)
    return today


def test_this_months_income_expenses_and_net_per_currency(client, organization, this_month_books):
    user = staff(organization, Role.FINANCE)
    client.force_login(user)
    section = sections(client.get(INDEX).content.decode())[str(organization.pk)]

    def text(amount, currency):
        return money_text(Decimal(amount), currency, locale=organization.locale)

    # Income 300 - 50 refunded; expenses 40 + the 100 bill payment; last month's left out.
    assert cash_figures(section, "USD") == {
        "income": text("250.00", "USD"),
        "expenses": text("140.00", "USD"),
        "net": text("110.00", "USD"),
    }
    # The EUR expense stays in its own currency, never added to the USD figures.
    assert cash_figures(section, "EUR") == {
        "income": text("0", "EUR"),
        "expenses": text("10.00", "EUR"),
        "net": text("-10.00", "EUR"),
    }
    # The same figures as the API's reports/dashboard/ for this month.
    api = report_dashboard(
        organization,
        currency="USD",
        date_from=this_month_books.replace(day=1),
        date_to=this_month_books,
    )
    assert (api["income"], api["expenses"], api["net"]) == ("250.00", "140.00", "110.00")


def test_another_organizations_cash_never_shows(client, organization, this_month_books):
    user = staff(organization, Role.FINANCE)
    rival, invoice = rival_world()
    today = rival.today()
    pay(invoice, "432.19", today)
    travel = ExpenseCategory.objects.create(organization=rival, name="Rival travel")
    expense(rival, travel, "876.54", today)
    client.force_login(user)
    page = client.get(INDEX).content.decode()
    assert list(sections(page)) == [str(organization.pk)]
    assert cash_figures(sections(page)[str(organization.pk)], "USD")["income"] == money_text(
        Decimal("250.00"), "USD", locale=organization.locale
    )
    for figure in ("432.19", "876.54", "444.35", "682.19", "1,016.54"):
        assert figure not in page
