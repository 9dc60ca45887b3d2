from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rates.models import ExchangeRate

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


def run(path):
    from io import StringIO

    out = StringIO()
    call_command("import_rates", str(path), stdout=out)
    return out.getvalue()


def stored():
    return {
        (r.base, r.quote, r.effective_date.isoformat()): r.rate for r in ExchangeRate.objects.all()
    }


def write(tmp_path, text, name="rates.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_daily_ecb_file_stores_global_eur_rates(organization):
    output = run(FIXTURES / "eurofxref-daily.xml")
    assert "5 rates read, 5 added, 0 corrected, 0 unchanged" in output
    usd = ExchangeRate.objects.get(quote="USD")
    assert (usd.organization, usd.base, usd.rate, usd.effective_date) == (
        None,
        "EUR",
        Decimal("1.0856"),
        date(2026, 11, 20),
    )
    assert usd.source == "ECB eurofxref"


def test_importing_the_same_file_twice_adds_nothing_the_second_time():
    run(FIXTURES / "eurofxref-hist.xml")
    before = stored()
    output = run(FIXTURES / "eurofxref-hist.xml")
    assert "0 added, 0 corrected, 9 unchanged" in output
    assert stored() == before


def test_history_file_stores_a_rate_only_when_it_changed():
    output = run(FIXTURES / "eurofxref-hist.xml")
    assert "9 rates read, 6 added, 0 corrected, 3 unchanged" in output
    assert sorted(stored()) == [
        ("EUR", "GBP", "2026-11-18"),
        ("EUR", "GBP", "2026-11-19"),
        ("EUR", "JPY", "2026-11-18"),
        ("EUR", "JPY", "2026-11-20"),
        ("EUR", "USD", "2026-11-18"),
        ("EUR", "USD", "2026-11-19"),
    ]
    # The daily file after the history adds only the currencies the history lacked.
    assert "2 added, 0 corrected, 3 unchanged" in run(FIXTURES / "eurofxref-daily.xml")


def test_csv_file_with_any_base(tmp_path):
    output = run(FIXTURES / "rates.csv")
    assert "3 rates read, 2 added, 0 corrected, 1 unchanged" in output
    assert stored()[("USD", "KWD", "2026-11-20")] == Decimal("0.30725")


@pytest.mark.parametrize(
    ("new_rate", "added"),
    [
        ("1.0856004", 0),  # moved by 0.0000004: below the 6th decimal place
        ("1.0855996", 0),
        ("1.085601", 1),  # exactly one unit in the 6th place
        ("1.085602", 1),  # moved by 0.000002
        ("1.0855980", 1),
    ],
)
def test_a_rate_is_stored_only_when_it_moved_by_0_000001_or_more(tmp_path, new_rate, added):
    run(write(tmp_path, "date,base,quote,rate\n2026-01-05,EUR,USD,1.0856\n"))
    run(write(tmp_path, f"date,base,quote,rate\n2026-01-06,EUR,USD,{new_rate}\n"))
    assert ExchangeRate.objects.count() == 1 + added


def test_small_moves_are_measured_against_the_stored_rate_not_the_last_quote(tmp_path):
    run(
        write(
            tmp_path,
            "date,base,quote,rate\n"
            "2026-01-05,EUR,USD,1.0856000\n"
            "2026-01-06,EUR,USD,1.0856005\n"  # drift 0.0000005: not stored
            "2026-01-07,EUR,USD,1.0856010\n",  # 0.000001 from the stored 1.0856: stored
        )
    )
    assert sorted(stored()) == [("EUR", "USD", "2026-01-05"), ("EUR", "USD", "2026-01-07")]


def test_a_different_rate_for_a_stored_day_corrects_it(tmp_path):
    run(write(tmp_path, "date,base,quote,rate\n2026-01-05,EUR,USD,1.0856\n"))
    output = run(write(tmp_path, "date,base,quote,rate\n2026-01-05,EUR,USD,1.0900\n"))
    assert "0 added, 1 corrected" in output
    assert stored() == {("EUR", "USD", "2026-01-05"): Decimal("1.09")}


def test_an_organizations_own_rate_does_not_hide_a_global_import(tmp_path, organization):
    ExchangeRate.objects.create(
        organization=organization,
        base="EUR",
        quote="USD",
        rate=Decimal("1.0856"),
        effective_date=date(2026, 1, 1),
    )
    run(write(tmp_path, "date,base,quote,rate\n2026-01-05,EUR,USD,1.0856\n"))
    assert ExchangeRate.objects.filter(organization__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<gesmes:Envelope", "not well-formed XML"),
        ("<?xml version='1.0'?><root><Cube/></root>", "not an ECB eurofxref file"),
        ("day,from,to,value\n2026-01-05,EUR,USD,1.1\n", "first line must be"),
        ("date,base,quote,rate\n2026-01-05,EUR,USD,1.1\n2026-01-06,EUR,USD,abc\n", "line 3"),
        ("date,base,quote,rate\n2026-01-05,EUR,USD,1.1\n2026-02-30,EUR,USD,1.1\n", "line 3"),
        ("date,base,quote,rate\n2026-01-05,EUR,ZZZ,1.1\n", "'ZZZ' is not an ISO 4217"),
        ("date,base,quote,rate\n2026-01-05,EUR,USD,-1\n", "must be positive"),
        ("date,base,quote,rate\n2026-01-05,EUR,USD,0\n", "must be positive"),
        ("date,base,quote,rate\n2026-01-05,EUR,EUR,1\n", "both EUR"),
        ("date,base,quote,rate\n2026-01-05,EUR,USD,1.1,extra\n", "expected 4 fields"),
        ("date,base,quote,rate\n2026-01-05,EUR,USD,1.1\n2026-01-05,EUR,USD,1.2\n", "twice"),
    ],
)
def test_a_bad_file_is_a_clear_error_and_writes_nothing(tmp_path, content, message):
    with pytest.raises(CommandError, match=message):
        run(write(tmp_path, content))
    assert not ExchangeRate.objects.exists()


def test_a_bad_day_in_an_ecb_file_names_the_cube_and_writes_nothing(tmp_path):
    text = (FIXTURES / "eurofxref-hist.xml").read_text().replace('rate="161.98"', 'rate="x"', 1)
    with pytest.raises(CommandError, match="Cube time=2026-11-19 currency=JPY"):
        run(write(tmp_path, text, "hist.xml"))
    assert not ExchangeRate.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "nope.xml")


def test_binary_garbage_is_a_clear_error(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="not UTF-8"):
        run(path)


def test_withdrawn_codes_cldr_lists_are_imported(tmp_path):
    """The ECB's history has rates for currencies ISO has since withdrawn."""
    run(
        write(
            tmp_path,
            "date,base,quote,rate\n1999-01-04,EUR,DEM,1.95583\n2025-06-02,EUR,BGN,1.9558\n",
        )
    )
    assert set(stored()) == {("EUR", "DEM", "1999-01-04"), ("EUR", "BGN", "2025-06-02")}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1969-12-31,EUR,USD,1.1", "outside 1970-01-01 to 2199-12-31"),
        ("2200-01-01,EUR,USD,1.1", "outside 1970-01-01 to 2199-12-31"),
        ("2026-01-05,EUR,USD,1_000", "must be positive, in plain digits"),
        ("2026-01-05,EUR,USD,１", "must be positive, in plain digits"),  # noqa: RUF001
        ("2026-01-05,EUR,USD,1e3", "must be positive, in plain digits"),
        ("2026-01-05,EUR,XAU,1.1", "'XAU' is not an ISO 4217"),
    ],
)
def test_rate_files_follow_the_apis_calendar_grammar_and_codes(tmp_path, row, message):
    with pytest.raises(CommandError, match=message):
        run(write(tmp_path, f"date,base,quote,rate\n{row}\n"))
    assert not ExchangeRate.objects.exists()
