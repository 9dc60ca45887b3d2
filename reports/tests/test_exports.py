"""`?format=csv|xlsx` on every report and on the invoice and payment lists."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from reports.tests.factories import customer, pay, refund, sent

pytestmark = pytest.mark.django_db
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"] == CSV
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def xlsx_sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return workbook.worksheets[0]


def filename(response):
    return response["Content-Disposition"].split("filename=")[1].strip('"')


@pytest.fixture
def books(organization):
    ann = customer(organization, "Ann")
    first = sent(ann, "100.00", issue=date(2025, 5, 1), due=date(2025, 5, 31))
    pay(first, "40.00", date(2025, 5, 10), reference="WIRE-1")
    refund(first, "15.50", date(2025, 6, 2))
    sent(ann, "20.25", issue=date(2025, 6, 1), due=date(2025, 6, 30))
    ken = customer(organization, "Ken", "JPY")
    sent(ken, "1050", issue=date(2025, 6, 3), due=date(2025, 6, 3))
    return ann


# --- reports --------------------------------------------------------------------------


def test_summary_csv_has_the_json_field_names_and_money_strings(viewer_api, books):
    response = viewer_api.get("/api/v1/reports/summary/", {"format": "csv"})
    rows = csv_rows(response)
    assert filename(response) == "summary-2025-06-30.csv"
    assert response["Content-Disposition"].startswith("attachment;")
    assert rows[0] == [
        "currency",
        "counts.draft",
        "counts.sent",
        "counts.partially_paid",
        "counts.paid",
        "counts.void",
        "counts.uncollectible",
        "invoiced",
        "collected",
        "outstanding",
        "overdue_count",
        "overdue_amount",
        "credited",
        "written_off",
        "recovered",
    ]
    assert rows[1:] == [
        ["JPY", "0", "1", "0", "0", "0", "0", "1050", "0", "1050", "1", "1050", "0", "0", "0"],
        [
            "USD",
            "0",
            "1",
            "1",
            "0",
            "0",
            "0",
            "120.25",
            "24.50",
            "95.75",
            "1",
            "75.50",
            "0.00",
            "0.00",
            "0.00",
        ],
    ]


def test_aging_xlsx_has_numbers_with_the_currencys_decimals_and_sums_match_the_json(
    viewer_api, books
):
    body = viewer_api.get("/api/v1/reports/aging/").json()
    response = viewer_api.get("/api/v1/reports/aging/", {"format": "xlsx"})
    sheet = xlsx_sheet(response)
    assert filename(response) == "aging-2025-06-30.xlsx"
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert header == ["as_of", "currency", "customer", "customer_name", "current", "1_30",
                      "31_60", "61_90", "over_90", "total"]  # fmt: skip
    assert len(rows) - 1 == sum(len(item["customers"]) for item in body["currencies"])
    for item in body["currencies"]:
        lines = [row for row in rows[1:] if row[1].value == item["currency"]]
        for column in ("current", "1_30", "31_60", "61_90", "over_90", "total"):
            cells = [row[header.index(column)] for row in lines]
            assert sum(Decimal(str(cell.value)) for cell in cells) == Decimal(
                item["totals"][column]
            )
        expected_format = "#,##0" if item["currency"] == "JPY" else "#,##0.00"
        assert {row[header.index("total")].number_format for row in lines} == {expected_format}
    usd = next(row for row in rows[1:] if row[1].value == "USD")
    assert usd[header.index("customer_name")].value == "Ann"
    assert usd[header.index("1_30")].value == 75.5  # due 2025-05-31: 30 days


def test_aging_export_is_named_after_its_as_of_date(viewer_api, books):
    response = viewer_api.get("/api/v1/reports/aging/", {"format": "csv", "as_of": "2025-06-01"})
    assert filename(response) == "aging-2025-06-01.csv"


def test_revenue_xlsx_rows_per_currency_and_period(viewer_api, books):
    sheet = xlsx_sheet(viewer_api.get("/api/v1/reports/revenue/", {"format": "xlsx"}))
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [
        ["currency", "period", "invoiced", "collected", "refunded"],
        ["JPY", "2025-06", 1050, 0, 0],
        ["USD", "2025-05", 100, 40, 0],
        ["USD", "2025-06", 20.25, 0, 15.5],
    ]


def test_statement_csv_has_opening_lines_and_closing_rows(viewer_api, books):
    response = viewer_api.get(
        f"/api/v1/customers/{books.pk}/statement/",
        {"format": "csv", "from": "2025-05-05", "to": "2025-06-30"},
    )
    rows = csv_rows(response)
    assert filename(response) == f"statement-customer-{books.pk}-2025-06-30.csv"
    assert rows == [
        ["date", "type", "number", "reference", "amount", "balance"],
        ["2025-05-05", "opening_balance", "", "", "", "100.00"],
        ["2025-05-10", "payment", "INV-00001", "WIRE-1", "-40.00", "60.00"],
        ["2025-06-01", "invoice", "INV-00002", "", "20.25", "80.25"],
        ["2025-06-02", "refund", "INV-00001", "", "15.50", "95.75"],
        ["2025-06-30", "closing_balance", "", "", "", "95.75"],
    ]


def test_statement_xlsx_opens_with_dates_and_money(viewer_api, books):
    response = viewer_api.get(f"/api/v1/customers/{books.pk}/statement/", {"format": "xlsx"})
    rows = list(xlsx_sheet(response).iter_rows(values_only=True))
    assert rows[1][:2] == (None, "opening_balance")  # no `from`: since the beginning
    assert rows[2][0].date() == date(2025, 5, 1)
    assert rows[-1][5] == 95.75


@pytest.mark.parametrize("report", ["summary", "aging", "revenue"])
def test_unknown_format_is_400_in_the_standard_shape(viewer_api, report):
    response = viewer_api.get(f"/api/v1/reports/{report}/", {"format": "pdf"})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert body["errors"][0]["attr"] == "format"


def test_an_error_in_an_export_request_is_json(viewer_api, api, organization):
    response = viewer_api.get("/api/v1/reports/summary/", {"format": "csv", "from": "nope"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["attr"] == "from"
    response = api().get("/api/v1/reports/aging/", {"format": "xlsx"})
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


def test_format_parameter_wins_over_the_accept_header(viewer_api, books):
    response = viewer_api.get(
        "/api/v1/reports/summary/", {"format": "csv"}, HTTP_ACCEPT="application/json"
    )
    assert response["Content-Type"] == CSV


def test_report_exports_leave_out_other_organizations(viewer_api, other_organization, books):
    sent(customer(other_organization, "Foreign", "GBP"), "9.00", issue=date(2025, 6, 1))
    rows = csv_rows(viewer_api.get("/api/v1/reports/aging/", {"format": "csv"}))
    assert {row[1] for row in rows[1:]} == {"USD", "JPY"}


# --- the invoice and payment lists ------------------------------------------------------


def all_pages(client, url, params):
    results, page = [], 1
    while True:
        body = client.get(url, {**params, "page": page, "page_size": 100}).json()
        results += body["results"]
        if not body["next"]:
            return body["count"], results
        page += 1


@pytest.fixture
def many_invoices(organization):
    ann = customer(organization, '=HYPERLINK("http://evil")')
    for day in range(1, 31):
        invoice = sent(ann, f"{day}.05", issue=date(2025, 6, day))
        if day % 3 == 0:
            pay(invoice, "1.00", date(2025, 6, day))
    return ann


def test_invoice_list_csv_holds_the_whole_filtered_list_not_one_page(
    viewer_api, many_invoices, other_organization
):
    sent(customer(other_organization, "Foreign"), "10.00", issue=date(2025, 6, 1))
    params = {"status": "sent", "issued_from": "2025-06-03"}
    count, results = all_pages(viewer_api, "/api/v1/invoices/", params)
    assert count > 25 - 8  # more than one default page would hold after filtering
    response = viewer_api.get("/api/v1/invoices/", {**params, "format": "csv"})
    assert filename(response) == "invoices-2025-06-30.csv"
    rows = csv_rows(response)
    header = rows[0]
    # Lists (the lines, their tax breakdown) are no columns.
    assert header == [name for name in results[0] if name not in ("lines", "tax_breakdown")]
    assert len(rows) - 1 == count
    by_id = {row[header.index("id")]: row for row in rows[1:]}
    for invoice in results:
        row = by_id[str(invoice["id"])]
        assert row[header.index("total")] == invoice["total"]
        assert row[header.index("is_overdue")] == str(invoice["is_overdue"]).lower()
    # A name a spreadsheet would run as a formula is defused with a leading quote.
    assert rows[1][header.index("customer_name")].startswith("'=HYPERLINK")


def test_invoice_list_export_never_loads_the_lines_it_does_not_show(viewer_api, many_invoices):
    with CaptureQueriesContext(connection) as queries:
        response = viewer_api.get("/api/v1/invoices/", {"format": "csv"})
        assert len(csv_rows(response)) == 31
    assert not [query for query in queries if "invoices_invoiceline" in query["sql"]]


def test_invoice_list_xlsx_opens_and_its_sums_match_the_json(viewer_api, many_invoices):
    count, results = all_pages(viewer_api, "/api/v1/invoices/", {})
    response = viewer_api.get("/api/v1/invoices/", {"format": "xlsx"})
    rows = list(xlsx_sheet(response).iter_rows())
    assert filename(response) == "invoices-2025-06-30.xlsx"
    header = [cell.value for cell in rows[0]]
    assert len(rows) - 1 == count == 30
    for column in ("total", "amount_paid", "balance_due"):
        cells = [row[header.index(column)] for row in rows[1:]]
        assert {cell.number_format for cell in cells} == {"#,##0.00"}
        assert sum(Decimal(str(cell.value)) for cell in cells) == sum(
            Decimal(invoice[column]) for invoice in results
        )
    name = rows[1][header.index("customer_name")]
    assert (name.data_type, name.value) == ("s", '=HYPERLINK("http://evil")')


def test_payment_list_exports_hold_the_whole_filtered_list(viewer_api, many_invoices):
    invoice = many_invoices.invoices.get(number="INV-00003")
    refund(invoice, "0.50", date(2025, 6, 30))
    count, results = all_pages(viewer_api, "/api/v1/payments/", {"kind": "payment"})
    assert count == 10
    rows = csv_rows(viewer_api.get("/api/v1/payments/", {"kind": "payment", "format": "csv"}))
    assert rows[0] == list(results[0])
    assert len(rows) - 1 == count
    response = viewer_api.get("/api/v1/payments/", {"format": "xlsx"})
    assert filename(response) == "payments-2025-06-30.xlsx"
    sheet_rows = list(xlsx_sheet(response).iter_rows(values_only=True))
    amount = sheet_rows[0].index("amount")
    assert len(sheet_rows) - 1 == 11
    assert sum(Decimal(str(row[amount])) for row in sheet_rows[1:]) == Decimal("9.50")


def test_an_invalid_list_filter_is_still_400_for_an_export(viewer_api):
    response = viewer_api.get("/api/v1/invoices/", {"status": "nope", "format": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_export_formats_exist_only_on_the_list(viewer_api, many_invoices):
    invoice = many_invoices.invoices.first()
    response = viewer_api.get(f"/api/v1/invoices/{invoice.pk}/", {"format": "csv"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "format"
    assert viewer_api.get("/api/v1/invoices/", {"format": "json"}).status_code == 200


# --- tenancy: only the organization hides another's rows ----------------------------------


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/invoices/", {"status": "sent,partially_paid", "currency": "USD",
                               "issued_from": "2025-06-01", "issued_to": "2025-06-30"}),
        ("/api/v1/payments/", {"kind": "payment", "received_from": "2025-06-01",
                               "received_to": "2025-06-30"}),
        ("/api/v1/reports/aging/", {}),
        ("/api/v1/reports/summary/", {}),
    ],
)  # fmt: skip
def test_exports_hide_another_organizations_rows_that_match_the_same_filter(
    viewer_api, organization, other_organization, url, params, export_format
):
    # Both organizations' rows match every filter: only tenancy can tell them apart.
    ours = sent(customer(organization, "Ours Ltd"), "100.00", issue=date(2025, 6, 5))
    pay(ours, "11.00", date(2025, 6, 6), reference="OURS-1")
    theirs = sent(customer(other_organization, "Theirs Inc"), "7777.77", issue=date(2025, 6, 5))
    pay(theirs, "3333.33", date(2025, 6, 6), reference="THEIRS-1")

    response = viewer_api.get(url, {**params, "format": export_format})
    if export_format == "csv":
        cells = [cell for row in csv_rows(response)[1:] for cell in row]
    else:
        sheet = xlsx_sheet(response)
        cells = [str(cell) for row in sheet.iter_rows(min_row=2, values_only=True) for cell in row]
    exported = " ".join(cells)
    for foreign in ("Theirs Inc", "THEIRS-1", "7777.77", "3333.33", "4444.44"):
        assert foreign not in exported
    # The same filter does select our own rows: the export is not simply empty.
    assert any(own in exported for own in ("Ours Ltd", "OURS-1", "100", "89"))
