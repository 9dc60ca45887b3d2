"""The back office in a real browser (spec 17): Debian's Chromium driven by Playwright
against pytest-django's live server. Marked `browser` (fintrack/tests/markers.py): skipped
with that reason where Playwright or /usr/bin/chromium is missing; `.ci/browser` runs them.

Playwright's sync API runs an event loop in the test's thread, so Django's ORM calls made
by the test itself need DJANGO_ALLOW_ASYNC_UNSAFE; `transaction=True` lets the server's
thread see the rows the test writes. Screenshots go to `BROWSER_SCREENSHOTS`
(default `artifacts/browser/`), kept by CI as artifacts.
"""

import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Role
from accounts.tests.factories import PASSWORD, MembershipFactory, OrganizationFactory
from backoffice.tests.builders import change_url, overdue_invoice, rival_world, staff
from customers.tests.factories import CustomerFactory
from invoices.models import InvoiceStatus
from invoices.tests.factories import InvoiceFactory, line
from payments.models import Payment

# `__all__`: the dashboard reads through the report services, on the `replica` alias.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
WINDOW = {"width": 1400, "height": 900}
SCREENSHOTS = Path(
    os.environ.get("BROWSER_SCREENSHOTS", Path(settings.BASE_DIR) / "artifacts" / "browser")
)
COMMAND_BUTTONS = (
    "Send",
    "Record payment",
    "Refund",
    "Credit note",
    "Write off",
    "Remind",
    "Void",
    "E-mail statement",
)


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the module, with a fresh profile directory of its own."""
    from playwright.sync_api import sync_playwright

    # Only while this module runs: the other tests keep Django's async-safety check.
    with (
        pytest.MonkeyPatch.context() as patch,
        tempfile.TemporaryDirectory() as profile,
        sync_playwright() as playwright,
    ):
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # Playwright refuses --user-data-dir in `args`: a persistent context is the same
        # thing, a browser on the profile directory given.
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=WINDOW,
            accept_downloads=True,
        )
        yield context
        context.close()


@pytest.fixture
def page(chromium):
    chromium.clear_cookies()
    page = chromium.new_page()
    page.set_default_timeout(15_000)
    yield page
    page.close()


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#dashboard")


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def object_tools(page) -> list[str]:
    return [text.strip() for text in page.locator(".object-tools a").all_text_contents()]


def test_finance_user_collects_an_overdue_invoice_from_the_dashboard(live_server, page):
    organization = OrganizationFactory(name="Acme Ltd", base_currency="USD")
    clerk = staff(organization, Role.FINANCE, name="Fin Clerk")
    customer = CustomerFactory(organization=organization, name="Northwind Traders")
    late = overdue_invoice(organization, customer=customer, total="1403.50", actor=clerk)
    InvoiceFactory(organization=organization, sent=True, total="250.00", actor=clerk)
    paid = InvoiceFactory(organization=organization, paid=True, total="99.00", actor=clerk)
    Payment.refund(paid, amount=Decimal("9.00"), actor=clerk)

    log_in(page, live_server, clerk)
    section = page.locator(f'section[data-organization="{organization.pk}"]')
    assert "$1,403.50" in section.locator(".overdue").inner_text()
    assert section.locator("svg.chart").count() == 2
    screenshot(page, "dashboard")

    # The overdue figure lists exactly the overdue invoice.
    section.locator("a.overdue-link").click()
    page.wait_for_url("**overdue=yes**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    rows.first.locator(f"text={late.number}").click()

    page.wait_for_selector(".object-tools")
    assert object_tools(page)[:6] == [
        "Download PDF",
        "Record payment",
        "Credit note",
        "Write off",
        "Remind",
        "Void",
    ]
    screenshot(page, "invoice")

    page.click("text=Record payment")
    page.wait_for_selector(".command-facts")
    facts = page.locator(".command-facts").inner_text()
    assert "Northwind Traders" in facts
    assert "USD" in facts
    assert "$1,403.50" in facts
    assert page.input_value("#id_amount") == "1403.50"
    assert page.get_attribute("#id_received_on", "type") == "date"
    page.fill("#id_amount", "1000.00")
    page.fill("#id_received_on", organization.today().isoformat())
    page.fill("#id_reference", "WIRE-1")
    page.click("input[name=confirm]")

    page.wait_for_selector(".messagelist")
    assert "Payment of $1,000.00 recorded." in page.locator(".messagelist").inner_text()
    late.refresh_from_db()
    assert late.status == InvoiceStatus.PARTIALLY_PAID
    assert late.payments.get().created_by == clerk
    assert "$403.50" in page.locator(".field-balance_due_money").inner_text()
    screenshot(page, "invoice-after-payment")

    with page.expect_download() as download_info:
        page.click("text=Download PDF")
    download = download_info.value
    assert download.suggested_filename == f"{late.number}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    page.click(f".field-customer a:has-text('{customer.name}')")
    page.wait_for_url(f"**{change_url(customer)}")
    page.wait_for_selector("#customer-balances")
    balances = page.locator('#customer-balances tr[data-currency="USD"]').inner_text()
    assert "$403.50" in balances
    invoices = page.locator("#customer-invoices").inner_text()
    assert late.number in invoices
    screenshot(page, "customer")


def test_viewer_sees_everything_read_only_without_buttons(live_server, page):
    organization = OrganizationFactory(name="Acme Ltd")
    viewer = staff(organization, Role.VIEWER)
    late = overdue_invoice(organization)
    draft = InvoiceFactory(organization=organization)

    log_in(page, live_server, viewer)
    assert page.locator("a.overdue-link").count() == 1
    for invoice in (late, draft):
        page.goto(live_server.url + change_url(invoice))
        tools = object_tools(page)
        assert not set(tools) & set(COMMAND_BUTTONS), tools
        assert page.locator("input[type=submit]").count() == 0  # no Save, no Delete
    page.goto(live_server.url + change_url(late.customer))
    assert not set(object_tools(page)) & set(COMMAND_BUTTONS)
    assert page.locator("input[type=submit]").count() == 0
    page.goto(f"{live_server.url}/admin/invoices/invoice/")
    assert page.locator("select[name=action]").count() == 0
    assert page.locator(".addlink").count() == 0


def test_staff_of_one_organization_never_see_another_ones_name(live_server, page):
    own = OrganizationFactory(name="Acme Ltd")
    second = OrganizationFactory(name="Acme Second Ltd")
    clerk = staff(own, Role.FINANCE)
    # Two organizations of their own, so the "By organization" filters are drawn.
    MembershipFactory(user=clerk, organization=second, role=Role.FINANCE)
    late = overdue_invoice(own)
    InvoiceFactory(organization=second, paid=True)
    rival_world(name="Rival Holdings Unique", customer_name="Rival Customer Unique")

    log_in(page, live_server, clerk)
    pages = [
        "/admin/",
        "/admin/invoices/invoice/",
        "/admin/invoices/invoice/?overdue=yes",
        "/admin/invoices/invoice/add/",
        "/admin/payments/payment/",
        "/admin/customers/customer/",
        "/admin/customers/customer/add/",
        "/admin/accounts/organization/",
        "/admin/accounts/membership/",
        change_url(late),
        change_url(late.customer),
    ]
    for path in pages:
        page.goto(live_server.url + path)
        html = page.content()
        assert "Acme Ltd" in html or path.endswith("/add/"), path
        for foreign in ("Rival Holdings Unique", "Rival Customer Unique", "777.77"):
            assert foreign not in html, (path, foreign)
    # Choices: the customer menu of a new invoice offers our customers only.
    page.goto(f"{live_server.url}/admin/invoices/invoice/add/")
    options = page.locator("#id_customer option").all_inner_texts()
    assert late.customer.name in options
    assert not any("Rival" in option for option in options)


def test_draft_invoice_page_fits_the_window_and_offers_no_fake_payment_row(live_server, page):
    organization = OrganizationFactory(name="Acme Ltd")
    clerk = staff(organization, Role.FINANCE)
    draft = InvoiceFactory(
        organization=organization,
        lines=[line("A long description of consulting work", quantity="12.5", unit_price="95")],
    )
    log_in(page, live_server, clerk)
    page.goto(live_server.url + change_url(draft))
    page.wait_for_selector("#lines-group")
    assert page.evaluate("document.documentElement.scrollWidth") <= WINDOW["width"]
    assert page.locator("#lines-group .add-row a").is_visible()
    assert page.locator("#payments-group .add-row").count() == 0
    assert not re.search(r"Add another Payment", page.locator("#payments-group").inner_text())
    screenshot(page, "draft-invoice")
