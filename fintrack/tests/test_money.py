"""core.money: minor units from ISO 4217, half-up rounding, the API money fields."""

import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from api.fields import CurrencyField, MoneyField
from api.parsers import JSONParser
from core.money import (
    ISO_MINOR_UNITS,
    KNOWN_CURRENCIES,
    NotANumber,
    UnsupportedCurrency,
    document_minor_unit,
    format_plain,
    has_excess_digits,
    is_currency,
    minor_units,
    parse_decimal,
    quantize,
)


@pytest.mark.parametrize(("currency", "digits"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3)])
def test_minor_units_come_from_iso_4217(currency, digits):
    assert minor_units(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "USD", "0.13"),
        ("0.135", "USD", "0.14"),
        ("-0.125", "USD", "-0.13"),  # half away from zero
        ("2.5", "JPY", "3"),
        ("0.5", "JPY", "1"),
        ("1.0005", "KWD", "1.001"),
        ("1.0004999", "KWD", "1.000"),
    ],
)
def test_quantize_rounds_half_up_not_half_even(amount, currency, expected):
    assert str(quantize(Decimal(amount), currency)) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("10.5", "USD", "10.50"),
        ("1050", "JPY", "1050"),
        ("1.5", "KWD", "1.500"),
        ("0", "USD", "0.00"),
    ],
)
def test_format_plain_has_exactly_the_currencys_digits(amount, currency, expected):
    assert format_plain(Decimal(amount), currency) == expected


def test_format_plain_never_uses_exponent_notation():
    assert format_plain(Decimal("1E+5"), "USD") == "100000.00"


def test_has_excess_digits():
    assert has_excess_digits(Decimal("1.001"), "USD")
    assert not has_excess_digits(Decimal("1.10"), "USD")
    assert has_excess_digits(Decimal("1.5"), "JPY")


def test_only_real_iso_currencies_are_accepted():
    assert is_currency("USD") and is_currency("KWD")
    assert not is_currency("XXX")
    assert not is_currency("ZZZ")
    assert not is_currency("usd")


@given(
    st.decimals(min_value=-(10**12), max_value=10**12, places=6),
    st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_quantize_is_within_half_a_minor_unit(amount, currency):
    rounded = quantize(amount, currency)
    step = Decimal(1).scaleb(-minor_units(currency))
    assert abs(rounded - amount) <= step / 2
    assert rounded == rounded.quantize(step)


class PaymentInput(serializers.Serializer):
    amount = MoneyField(min_value=Decimal("0"))
    currency = CurrencyField(required=False)


def validate(data, currency="USD"):
    serializer = PaymentInput(data=data, context={"currency": currency})
    return serializer.is_valid(), serializer


@pytest.mark.parametrize(("raw", "expected"), [("10.50", "10.50"), (10, "10"), (19.99, "19.99")])
def test_money_input_accepts_strings_and_numbers_exactly(raw, expected):
    valid, serializer = validate({"amount": raw})
    assert valid
    assert serializer.validated_data["amount"] == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "currency"),
    [
        ("10.505", "USD"),  # never rounded silently
        ("1.5", "JPY"),
        ("0.0001", "KWD"),
        ("0", "USD"),  # min_value is strictly greater
        ("-1", "USD"),
        ("abc", "USD"),
        ("NaN", "USD"),
        ("Infinity", "USD"),
        (True, "USD"),
        ([1], "USD"),
        (None, "USD"),
        ("1e20", "USD"),
    ],
)
def test_money_input_refuses_what_it_cannot_take_exactly(raw, currency):
    valid, serializer = validate({"amount": raw}, currency)
    assert not valid
    assert "amount" in serializer.errors


def test_money_output_uses_the_instances_currency():
    class Row(serializers.Serializer):
        amount = MoneyField()

    assert Row({"amount": Decimal("1050"), "currency": "JPY"}).data["amount"] == "1050"
    assert Row({"amount": Decimal("1.5"), "currency": "KWD"}).data["amount"] == "1.500"


def test_currency_field_upper_cases_and_refuses_unknown_codes():
    assert validate({"amount": "1", "currency": "eur"})[1].validated_data["currency"] == "EUR"
    valid, serializer = validate({"amount": "1", "currency": "ZZZ"})
    assert not valid and serializer.errors["currency"][0].code == "unknown"


# --- spec 3 (amended): one number grammar, ISO 4217's data --------------------------------


@pytest.mark.parametrize(
    "text",
    ["1_000.00", "１０", "٣", "𝟓𝟎", "+5", "-1", "1e3", "1E3", " 5", "5 ", "5\n", "", ".5", "5."],  # noqa: RUF001
)
def test_the_one_parser_takes_only_ascii_digits_and_an_optional_fraction(text):
    with pytest.raises(NotANumber):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10", "10"), ("10.50", "10.50"), ("0.0001", "0.0001"), (7, "7"), (Decimal("1.50"), "1.50")],
)
def test_the_one_parser_keeps_the_digits_it_was_given(value, expected):
    parsed = parse_decimal(value)
    assert parsed == Decimal(expected) and str(parsed) == expected


@pytest.mark.parametrize("value", [True, None, [1], Decimal("1E+3"), Decimal("NaN"), -1])
def test_the_one_parser_refuses_numbers_whose_text_breaks_the_grammar(value):
    with pytest.raises(NotANumber):
        parse_decimal(value)


def test_the_json_parser_reads_fractions_as_decimals_of_the_written_digits():
    body = b'{"a": 19.990, "b": [0.1, 3], "c": 1e3, "d": -2.5E-1}'
    parsed = JSONParser().parse(io.BytesIO(body))
    assert parsed == {"a": Decimal("19.990"), "b": [Decimal("0.1"), 3], "c": "1e3", "d": "-2.5E-1"}
    assert str(parsed["a"]) == "19.990"
    # An exponent stays text, so every number field refuses it.
    with pytest.raises(NotANumber):
        parse_decimal(parsed["c"])


@pytest.mark.parametrize(
    ("currency", "digits"),
    # ISO 4217, not CLDR: CLDR displays IQD, LAK, AFN, RSD... with no decimals.
    [("IQD", 3), ("LAK", 2), ("AFN", 2), ("RSD", 2), ("CLF", 4), ("UYW", 4), ("ISK", 0)],
)
def test_minor_units_are_iso_4217s_where_cldr_differs(currency, digits):
    assert minor_units(currency) == digits
    assert document_minor_unit(currency) == digits


@pytest.mark.parametrize("code", ["DEM", "FRF", "ATS", "BGN", "XAU", "XDR", "XXX", "XTS", "ZZZ"])
def test_withdrawn_fund_metal_and_unknown_codes_are_no_document_currency(code):
    assert not is_currency(code)
    with pytest.raises(UnsupportedCurrency):
        document_minor_unit(code)


def test_bulgaria_adopted_the_euro_so_the_pinned_table_has_withdrawn_bgn():
    import iso4217

    assert iso4217.__published__ >= date(2026, 1, 1)
    assert "BGN" not in ISO_MINOR_UNITS and "EUR" in ISO_MINOR_UNITS


def test_exchange_rates_also_take_withdrawn_codes_cldr_lists_but_not_metals():
    assert {"DEM", "FRF", "BGN", "USD"} <= KNOWN_CURRENCIES
    assert not {"XAU", "XDR", "XXX", "XTS"} & KNOWN_CURRENCIES
    # Reading a withdrawn code never fails: CLDR's digits stand in for ISO's.
    assert minor_units("DEM") == 2


def test_currency_field_says_why_a_real_code_is_refused():
    valid, serializer = validate({"amount": "1", "currency": "DEM"})
    assert not valid and serializer.errors["currency"][0].code == "unsupported_currency"
