"""Reading the four formats (spec 15), on the samples written for them."""

from datetime import date
from decimal import Decimal

import pytest

from banking.exceptions import InvalidStatement
from banking.statements import parse_statement
from banking.tests.files import camt053, camt_entry, sample

NOV_30 = date(2026, 11, 30)


def amounts(parsed):
    return [(entry.amount, entry.currency) for entry in parsed.entries]


def test_camt053_sample_gives_one_line_per_booked_entry():
    parsed = parse_statement(sample("camt053_sparkasse.xml"))
    assert parsed.format == "camt053"
    assert parsed.account == "DE44500105175407324931"
    # The pending entry is left out; the batch entry is one line of its total.
    assert amounts(parsed) == [
        (Decimal("1190.00"), "EUR"),
        (Decimal("2250.00"), "EUR"),
        (Decimal("-349.25"), "EUR"),
        (Decimal("-80.00"), "EUR"),
        (Decimal("25.00"), "EUR"),
        (Decimal("25.00"), "EUR"),
        (Decimal("4200.50"), "USD"),
    ]
    first, batch, debit, reversal = parsed.entries[:4]
    assert first.entry_reference == "2026113000417726"
    assert first.reference == "Rechnung INV-00001 vielen Dank"
    assert first.counterparty == "Jürgen Weiß Büroservice"
    assert first.date == NOV_30
    assert "Sammelzahlung Teil 3" in batch.reference
    assert batch.counterparty == "Łukasz Żółkiewski"
    assert debit.counterparty == "Hetzner Online GmbH"
    assert reversal.counterparty == "Café Élan SARL"
    assert parsed.entries[4].entry_reference == ""


def test_mt940_sample_signs_debits_and_reversals_of_credits():
    parsed = parse_statement(sample("mt940_deutsche_bank.sta"))
    assert parsed.format == "mt940"
    assert amounts(parsed)[2:4] == [(Decimal("-349.25"), "EUR"), (Decimal("-80.00"), "EUR")]
    assert amounts(parsed)[-1] == (Decimal("4200.50"), "USD")
    first = parsed.entries[0]
    assert first.account == "37040044/0532013000"
    assert first.entry_reference == "2611300001234"
    assert first.reference == "Rechnung INV-00001 vielen Dank"
    assert first.counterparty == "Jürgen Weiß Büroservice"
    assert parsed.entries[-1].account == "37040044/0532013001"


def test_ofx_sample_reads_both_statements_in_their_currencies():
    parsed = parse_statement(sample("ofx_chase.ofx"))
    assert parsed.format == "ofx"
    assert len(parsed.entries) == 8
    assert amounts(parsed)[2] == (Decimal("-349.25"), "USD")
    assert amounts(parsed)[-1] == (Decimal("640.00"), "EUR")
    assert parsed.entries[0].entry_reference == "202611300417726"
    assert parsed.entries[-1].counterparty == "Ósk Þórisdóttir ehf."


def test_csv_sample_takes_the_account_given():
    parsed = parse_statement(sample("csv_export.csv"), account="DE44 5001")
    assert parsed.format == "csv"
    assert {entry.account for entry in parsed.entries} == {"DE44 5001"}
    assert parsed.entries[-1].reference == "Invoice inv 00002, wire"
    assert amounts(parsed)[2] == (Decimal("-349.25"), "EUR")


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("camt053_malformed.xml", "line 8: <Ntry> <Amt>"),
        ("mt940_malformed.sta", "line 7: :61:"),
        ("ofx_malformed.ofx", "<STMTTRN> #1 (FITID 202612010000001): <TRNAMT>"),
        ("csv_malformed.csv", "line 3, date"),
    ],
)
def test_each_malformed_sample_is_refused_naming_where(name, where):
    with pytest.raises(InvalidStatement) as refused:
        parse_statement(sample(name))
    assert refused.value.code == "invalid_statement"
    assert refused.value.message.startswith(where)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"", "line 1"),
        (b"%PDF-1.7 not a statement", "line 1"),
        (b'<?xml version="1.0"?>\n<Document>\n<Stmt>', "line 3: not well-formed XML"),
        (b"date,amount,currency,reference,counterparty\n2026-11-30,1.5,XXX,a,b\n", "line 2"),
        (b"date,amount,currency,reference,counterparty\n2026-11-30,1.555,EUR,a,b\n", "line 2"),
        (b"date,amount,currency,reference,counterparty\n2026-11-30,1e3,EUR,a,b\n", "line 2"),
        (b"date,amount,currency,reference,counterparty\n2026-11-30,5,EUR,a\n", "line 2"),
        (b"date,amount,currency,reference,counterparty\n2026-11-30,5,EUR,\xff,b\n", "line 2"),
        # Longer than Decimal's precision: refused by its size, not an InvalidOperation.
        (
            b"date,amount,currency,reference,counterparty\n2026-11-30,1"
            + b"0" * 30
            + b",EUR,a,b\n",
            "line 2",
        ),
    ],
)
def test_unreadable_files_are_refused_naming_the_line(data, where):
    with pytest.raises(InvalidStatement) as refused:
        parse_statement(data)
    assert refused.value.message.startswith(where)


def test_a_camt_amount_longer_than_decimals_precision_is_refused_naming_its_entry():
    data = camt053([camt_entry(amount="9" * 40, day=NOV_30)])
    with pytest.raises(InvalidStatement, match="<Amt>: '9999"):
        parse_statement(data)


def test_camt_entry_without_a_currency_it_can_hold_is_refused():
    data = camt053([camt_entry(amount="10.5", day=NOV_30, currency="JPY")])
    with pytest.raises(InvalidStatement, match="not an amount in JPY"):
        parse_statement(data)


def test_csv_header_may_carry_a_byte_order_mark_and_blank_lines():
    data = "\ufeffdate,amount,currency,reference,counterparty\n\n2026-11-30,5,eur,x,y\n"
    parsed = parse_statement(data.encode())
    assert amounts(parsed) == [(Decimal("5.00"), "EUR")]
