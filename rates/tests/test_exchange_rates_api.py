from datetime import date
from decimal import Decimal

import pytest

from rates.models import ExchangeRate
from rates.tests.factories import rate

pytestmark = pytest.mark.django_db
URL = "/api/v1/exchange-rates/"


@pytest.fixture
def rates(organization, other_organization):
    rate("EUR", "USD", "1.10", date(2025, 1, 1))
    rate("EUR", "USD", "1.20", date(2025, 6, 1))
    rate("EUR", "JPY", "160", date(2025, 1, 1))
    rate("EUR", "USD", "1.50", date(2025, 3, 1), organization=organization)
    rate("EUR", "USD", "9.99", date(2025, 3, 1), organization=other_organization)


def listed(response):
    assert response.status_code == 200, response.json()
    return [
        (r["base"], r["quote"], r["rate"], r["effective_date"], r["scope"])
        for r in response.json()["results"]
    ]


def test_any_member_lists_global_and_own_rates_never_another_organizations(viewer_api, rates):
    rows = listed(viewer_api.get(URL))
    assert ("EUR", "USD", "9.9900000000", "2025-03-01", "organization") not in rows
    assert len(rows) == 4
    assert ("EUR", "USD", "1.5000000000", "2025-03-01", "organization") in rows


def test_filters_by_base_and_quote(viewer_api, rates):
    assert {row[1] for row in listed(viewer_api.get(URL, {"quote": "JPY"}))} == {"JPY"}
    assert listed(viewer_api.get(URL, {"base": "USD"})) == []


def test_date_filter_gives_the_rates_in_effect_with_own_rows_winning(viewer_api, rates):
    assert listed(viewer_api.get(URL, {"date": "2025-02-01"})) == [
        ("EUR", "JPY", "160.0000000000", "2025-01-01", "global"),
        ("EUR", "USD", "1.1000000000", "2025-01-01", "global"),
    ]
    # From March on the organization's own EUR/USD wins, even over the newer global one.
    assert listed(viewer_api.get(URL, {"date": "2025-07-01"})) == [
        ("EUR", "JPY", "160.0000000000", "2025-01-01", "global"),
        ("EUR", "USD", "1.5000000000", "2025-03-01", "organization"),
    ]


def test_date_filter_for_another_organization_ignores_this_ones_rows(
    api, user_in, other_organization, rates
):
    other = api(user_in("viewer", other_organization))
    rows = listed(other.get(URL, {"date": "2025-02-01", "base": "EUR", "quote": "USD"}))
    assert rows == [("EUR", "USD", "1.1000000000", "2025-01-01", "global")]


@pytest.mark.parametrize("params", [{"date": "2025-02-30"}, {"base": "ZZZ"}, {"quote": "usd1"}])
def test_bad_filters_are_400(viewer_api, params):
    assert viewer_api.get(URL, params).status_code == 400


def test_admin_posts_the_organizations_own_rate(admin_api, admin_user, organization):
    body = {"base": "eur", "quote": "USD", "rate": "1.0856", "effective_date": "2025-06-02"}
    response = admin_api.post(URL, body)
    assert response.status_code == 201, response.json()
    assert response.json()["scope"] == "organization"
    assert response.json()["organization"] == organization.pk
    stored = ExchangeRate.objects.get(pk=response.json()["id"])
    assert (stored.organization, stored.base, stored.rate) == (
        organization,
        "EUR",
        Decimal("1.0856"),
    )
    assert stored.created_by == admin_user


@pytest.mark.parametrize("client", ["finance_api", "viewer_api"])
def test_only_admins_write_rates(request, client):
    body = {"base": "EUR", "quote": "USD", "rate": "1.1", "effective_date": "2025-06-02"}
    assert request.getfixturevalue(client).post(URL, body).status_code == 403
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"quote": "EUR"}, "quote"),
        ({"base": "ZZZ"}, "base"),
        ({"rate": "0"}, "rate"),
        ({"rate": "-1.2"}, "rate"),
        ({"rate": "1.00000000001"}, "rate"),
        ({"rate": "1e30"}, "rate"),
        ({"rate": "abc"}, "rate"),
        ({"rate": "NaN"}, "rate"),
        ({"rate": "Infinity"}, "rate"),
        ({"rate": True}, "rate"),
        ({"effective_date": "2025-02-30"}, "effective_date"),
        ({"source": "x" * 101}, "source"),
    ],
)
def test_bad_rate_input_is_400(admin_api, change, attr):
    body = {"base": "EUR", "quote": "USD", "rate": "1.1", "effective_date": "2025-06-02"}
    response = admin_api.post(URL, {**body, **change})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr
    assert not ExchangeRate.objects.exists()


def test_a_second_own_rate_for_the_same_pair_and_day_is_409(admin_api, organization):
    body = {"base": "EUR", "quote": "USD", "rate": "1.1", "effective_date": "2025-06-02"}
    assert admin_api.post(URL, body).status_code == 201
    response = admin_api.post(URL, {**body, "rate": "1.2"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "duplicate_rate"


def test_an_own_rate_may_share_the_day_of_a_global_one(admin_api):
    rate("EUR", "USD", "1.10", date(2025, 6, 2))
    body = {"base": "EUR", "quote": "USD", "rate": "1.3", "effective_date": "2025-06-02"}
    assert admin_api.post(URL, body).status_code == 201


def test_global_rates_show_a_null_organization(viewer_api, rates):
    rows = viewer_api.get(URL, {"date": "2025-02-01"}).json()["results"]
    assert {row["organization"] for row in rows if row["scope"] == "global"} == {None}
