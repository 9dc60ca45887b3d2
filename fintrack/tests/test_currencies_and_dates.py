"""Spec 3 (amended) across the API: which ISO 4217 codes each resource takes, and the
1970-2199 calendar on every date a request carries (bodies and query parameters)."""

import pytest

from accounts.models import Organization, User
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code
from rates.models import ExchangeRate

pytestmark = pytest.mark.django_db

DOCUMENT_REFUSED = ["DEM", "BGN", "XAU", "XDR", "XXX", "XTS"]
OUT_OF_RANGE = ["0001-01-01", "1969-12-31", "2200-01-01", "9999-12-31"]


# --- currencies -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", DOCUMENT_REFUSED)
def test_a_customer_in_a_withdrawn_fund_or_metal_code_is_refused(admin_api, code):
    response = admin_api.post("/api/v1/customers/", {"name": "Globex", "currency": code})
    assert (response.status_code, error_code(response)) == (400, "unsupported_currency")
    assert not Customer.objects.exists()


@pytest.mark.parametrize("code", ["IQD", "LAK", "CLF", "eur"])
def test_a_customer_takes_any_active_iso_code_with_a_minor_unit(admin_api, code):
    response = admin_api.post("/api/v1/customers/", {"name": "Globex", "currency": code})
    assert response.status_code == 201, response.json()
    assert response.json()["currency"] == code.upper()


def test_a_customers_currency_is_checked_only_when_set_or_changed(admin_api, organization):
    customer = CustomerFactory(organization=organization, currency="USD")
    Customer.objects.filter(pk=customer.pk).update(currency="DEM")
    url = f"/api/v1/customers/{customer.pk}/"
    assert admin_api.get(url).json()["currency"] == "DEM"
    assert admin_api.patch(url, {"currency": "DEM", "notes": "kept"}).status_code == 200
    response = admin_api.patch(url, {"currency": "FRF"})
    assert (response.status_code, error_code(response)) == (400, "unsupported_currency")
    assert Customer.objects.get(pk=customer.pk).currency == "DEM"


def test_a_new_customer_does_not_default_to_a_withdrawn_base_currency(admin_api, organization):
    Organization.objects.filter(pk=organization.pk).update(base_currency="BGN")
    response = admin_api.post("/api/v1/customers/", {"name": "Globex"})
    assert (response.status_code, error_code(response)) == (400, "unsupported_currency")
    assert response.json()["errors"][0]["attr"] == "currency"
    response = admin_api.post("/api/v1/customers/", {"name": "Globex", "currency": "EUR"})
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("code", DOCUMENT_REFUSED)
def test_an_organizations_base_currency_is_an_active_iso_code(admin_api, organization, code):
    response = admin_api.patch("/api/v1/organization/", {"base_currency": code})
    assert (response.status_code, error_code(response)) == (400, "unsupported_currency")
    organization.refresh_from_db()
    assert organization.base_currency == "USD"


@pytest.mark.parametrize("code", DOCUMENT_REFUSED)
def test_register_refuses_a_withdrawn_fund_or_metal_base_currency(api, code):
    body = {
        "email": "ann@example.com",
        "password": "a-long-unusual-passphrase",
        "name": "Ann",
        "organization_name": "Ann's Bakery",
        "base_currency": code,
    }
    response = api().post("/api/v1/auth/register/", body)
    assert (response.status_code, error_code(response)) == (400, "unsupported_currency")
    assert not User.objects.filter(email="ann@example.com").exists()


@pytest.mark.parametrize(("base", "quote"), [("EUR", "DEM"), ("BGN", "EUR"), ("EUR", "FRF")])
def test_an_exchange_rate_may_carry_a_withdrawn_code(admin_api, base, quote):
    body = {"base": base, "quote": quote, "rate": "1.95583", "effective_date": "1999-01-04"}
    response = admin_api.post("/api/v1/exchange-rates/", body)
    assert response.status_code == 201, response.json()
    assert admin_api.get("/api/v1/exchange-rates/", {"quote": quote}).json()["count"] == 1


@pytest.mark.parametrize("code", ["XAU", "XXX", "ZZZ"])
def test_an_exchange_rate_still_refuses_metals_and_unknown_codes(admin_api, code):
    body = {"base": "EUR", "quote": code, "rate": "1.1", "effective_date": "2025-06-02"}
    assert admin_api.post("/api/v1/exchange-rates/", body).status_code == 400
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize("rate", ["1_000", "１", "1e3", " 1.1", "+1.1"])  # noqa: RUF001
def test_an_exchange_rate_is_read_with_the_one_grammar(admin_api, rate):
    body = {"base": "EUR", "quote": "USD", "rate": rate, "effective_date": "2025-06-02"}
    response = admin_api.post("/api/v1/exchange-rates/", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "rate"
    assert not ExchangeRate.objects.exists()


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/reports/summary/", "from"),
        ("/api/v1/reports/summary/", "to"),
        ("/api/v1/reports/revenue/", "from"),
        ("/api/v1/reports/revenue/", "to"),
        ("/api/v1/reports/aging/", "as_of"),
        ("/api/v1/exchange-rates/", "date"),
        ("/api/v1/audit/events/", "since"),
        ("/api/v1/audit/events/", "until"),
    ],
)
@pytest.mark.parametrize("day", OUT_OF_RANGE)
def test_query_dates_outside_1970_2199_are_date_out_of_range(admin_api, path, name, day):
    response = admin_api.get(path, {name: day})
    assert (response.status_code, error_code(response)) == (400, "date_out_of_range")


@pytest.mark.parametrize("name", ["from", "to"])
def test_statement_dates_outside_1970_2199_are_date_out_of_range(admin_api, organization, name):
    customer = CustomerFactory(organization=organization)
    response = admin_api.get(f"/api/v1/customers/{customer.pk}/statement/", {name: "0001-01-01"})
    assert (response.status_code, error_code(response)) == (400, "date_out_of_range")


def test_audit_datetimes_are_checked_on_their_date(admin_api):
    response = admin_api.get("/api/v1/audit/events/", {"since": "1969-12-31T23:00:00+00:00"})
    assert (response.status_code, error_code(response)) == (400, "date_out_of_range")


@pytest.mark.parametrize("day", OUT_OF_RANGE)
def test_an_exchange_rates_effective_date_outside_1970_2199_is_refused(admin_api, day):
    body = {"base": "EUR", "quote": "USD", "rate": "1.1", "effective_date": day}
    response = admin_api.post("/api/v1/exchange-rates/", body)
    assert (response.status_code, error_code(response)) == (400, "date_out_of_range")
    assert not ExchangeRate.objects.exists()


def test_the_edges_of_the_calendar_are_accepted(admin_api):
    body = {"base": "EUR", "quote": "USD", "rate": "1.1", "effective_date": "1970-01-01"}
    assert admin_api.post("/api/v1/exchange-rates/", body).status_code == 201
    for path, params in [
        ("/api/v1/reports/summary/", {"from": "1970-01-01", "to": "2199-12-31"}),
        ("/api/v1/reports/aging/", {"as_of": "2199-12-31"}),
        ("/api/v1/exchange-rates/", {"date": "2199-12-31"}),
    ]:
        assert admin_api.get(path, params).status_code == 200, path
