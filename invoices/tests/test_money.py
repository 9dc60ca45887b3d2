"""Spec 3 and 5.2: line and invoice totals, exact to the currency's minor unit."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.money import minor_units, quantize
from invoices.models import InvoiceLine
from invoices.tests.factories import InvoiceFactory, line

pytestmark = pytest.mark.django_db


def computed(currency, **values):
    item = InvoiceLine(**{"description": "x", **line(**values)})
    item.compute(currency)
    return item


def test_usd_worked_example_of_the_spec():
    item = computed("USD", quantity="3", unit_price="19.99", discount_percent="10", tax_rate="15")
    assert (item.amount, item.discount_amount, item.tax_amount, item.total) == (
        Decimal("59.97"),
        Decimal("6.00"),
        Decimal("8.10"),
        Decimal("62.07"),
    )


def test_jpy_worked_example_of_the_spec():
    item = computed("JPY", quantity="3", unit_price="333.5", tax_rate="10")
    assert (item.amount, item.discount_amount, item.tax_amount, item.total) == (
        Decimal("1001"),
        Decimal("0"),
        Decimal("100"),
        Decimal("1101"),
    )


def test_worked_examples_render_as_exact_strings_through_the_api(finance_api, organization):
    from customers.tests.factories import CustomerFactory

    usd = CustomerFactory(organization=organization, currency="USD")
    jpy = CustomerFactory(organization=organization, currency="JPY")
    body = {
        "customer": usd.pk,
        "lines": [
            {
                "description": "Widgets",
                "quantity": "3",
                "unit_price": "19.99",
                "discount_percent": "10",
                "tax_rate": "15",
            }
        ],
    }
    invoice = finance_api.post("/api/v1/invoices/", body).json()
    assert [
        invoice["lines"][0][k] for k in ("amount", "discount_amount", "tax_amount", "total")
    ] == [
        "59.97",
        "6.00",
        "8.10",
        "62.07",
    ]
    assert [invoice[k] for k in ("subtotal", "discount_total", "tax_total", "total")] == [
        "59.97",
        "6.00",
        "8.10",
        "62.07",
    ]
    assert (invoice["amount_paid"], invoice["balance_due"]) == ("0.00", "62.07")

    body = {
        "customer": jpy.pk,
        "lines": [{"description": "Tea", "quantity": 3, "unit_price": "333.5", "tax_rate": 10}],
    }
    invoice = finance_api.post("/api/v1/invoices/", body).json()
    assert invoice["currency"] == "JPY"
    assert [invoice["lines"][0][k] for k in ("amount", "tax_amount", "total")] == [
        "1001",
        "100",
        "1101",
    ]
    assert (invoice["total"], invoice["balance_due"]) == ("1101", "1101")


def test_kwd_has_three_decimal_places(finance_api, organization):
    from customers.tests.factories import CustomerFactory

    customer = CustomerFactory(organization=organization, currency="KWD")
    body = {
        "customer": customer.pk,
        "lines": [{"description": "Fee", "quantity": "1", "unit_price": "1.5", "tax_rate": "5"}],
    }
    invoice = finance_api.post("/api/v1/invoices/", body).json()
    assert (invoice["subtotal"], invoice["tax_total"], invoice["total"]) == (
        "1.500",
        "0.075",
        "1.575",
    )


def test_kwd_line_rounds_half_up_at_the_third_decimal():
    # 0.0005 is exactly half a fils: half-up gives 0.001 where half-even would give 0.000.
    item = computed("KWD", quantity="1", unit_price="0.0005")
    assert item.amount == Decimal("0.001")


@pytest.mark.parametrize(
    ("currency", "quantity", "unit_price", "expected"),
    [
        ("USD", "1", "0.125", "0.13"),  # half-even would give 0.12
        ("USD", "1", "0.135", "0.14"),
        ("USD", "1", "0.0050", "0.01"),
        ("USD", "3", "0.0050", "0.02"),  # 0.015
        ("USD", "1", "0.1249", "0.12"),
        ("JPY", "1", "0.5", "1"),  # half-even would give 0
        ("JPY", "1", "2.5", "3"),
        ("JPY", "1", "2.4999", "2"),
    ],
)
def test_amount_rounds_half_up_at_the_minor_unit(currency, quantity, unit_price, expected):
    assert computed(currency, quantity=quantity, unit_price=unit_price).amount == Decimal(expected)


def test_discount_and_tax_round_half_up_each_on_their_own():
    # amount 10.10; discount 5% = 0.505 -> 0.51; tax 10% of 9.59 = 0.959 -> 0.96
    item = computed("USD", quantity="1", unit_price="10.10", discount_percent="5", tax_rate="10")
    assert (item.discount_amount, item.tax_amount, item.total) == (
        Decimal("0.51"),
        Decimal("0.96"),
        Decimal("10.55"),
    )


def test_many_lines_sum_without_drift(organization):
    # 1000 x 0.1 would drift as floats; as rounded Decimals it is exactly 100.00 + 10% tax.
    lines = [line(quantity="1", unit_price="0.10", tax_rate="10") for _ in range(1000)]
    invoice = InvoiceFactory(organization=organization, lines=lines)
    assert invoice.subtotal == Decimal("100.00")
    # Each line's tax 0.01 is rounded first, then summed: per-line rounding is the rule.
    assert invoice.tax_total == Decimal("10.00")
    assert invoice.total == Decimal("110.00")
    assert invoice.balance_due == invoice.total


def test_totals_are_per_line_rounding_then_sum(organization):
    # Each line: 0.333 -> 0.33; three lines 0.99, not round(0.999) = 1.00.
    lines = [line(quantity="1", unit_price="0.333") for _ in range(3)]
    invoice = InvoiceFactory(organization=organization, lines=lines)
    assert invoice.subtotal == Decimal("0.99")


quantities = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("10000"), places=4)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=4)
percents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=4)
currencies = st.sampled_from(["USD", "JPY", "KWD", "EUR"])
line_inputs = st.fixed_dictionaries(
    {
        "description": st.just("Item"),
        "quantity": quantities,
        "unit_price": prices,
        "discount_percent": percents,
        "tax_rate": percents,
    }
)


@given(currency=currencies, data=line_inputs)
def test_property_each_line_is_exact_to_the_minor_unit(currency, data):
    item = InvoiceLine(**data)
    item.compute(currency)
    step = Decimal(1).scaleb(-minor_units(currency))
    for value in (item.amount, item.discount_amount, item.tax_amount, item.total):
        assert value == value.quantize(step)
    assert item.amount == quantize(data["quantity"] * data["unit_price"], currency)
    assert 0 <= item.discount_amount <= item.amount
    assert item.total == item.amount - item.discount_amount + item.tax_amount


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(currency=currencies, lines=st.lists(line_inputs, min_size=1, max_size=8))
def test_property_invoice_total_is_subtotal_minus_discount_plus_tax(organization, currency, lines):
    invoice = InvoiceFactory(organization=organization, currency=currency, lines=lines)
    invoice.refresh_from_db()
    stored = list(invoice.lines.all())
    assert invoice.total == invoice.subtotal - invoice.discount_total + invoice.tax_total
    assert invoice.subtotal == sum(item.amount for item in stored)
    assert invoice.discount_total == sum(item.discount_amount for item in stored)
    assert invoice.tax_total == sum(item.tax_amount for item in stored)
    assert invoice.balance_due == invoice.total - invoice.amount_paid
