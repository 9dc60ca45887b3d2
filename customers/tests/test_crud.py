"""Customers CRUD, archive/restore, filters, ETag/If-Match and bad input (spec 4, 11)."""

import pytest

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_attrs, error_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"

FIELDS = {
    "id",
    "name",
    "email",
    "phone",
    "tax_id",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
    "country",
    "currency",
    "payment_terms_days",
    "notes",
    "archived_at",
    "version",
    "created_at",
    "updated_at",
}


def detail(customer):
    return f"{URL}{customer.pk}/"


def ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


# --- create / read / update -------------------------------------------------------------


def test_create_returns_every_spec_field(finance_api):
    response = finance_api.post(
        URL, {"name": "Globex", "email": "ap@globex.example", "country": "DE", "currency": "eur"}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    assert (body["country"], body["currency"], body["archived_at"]) == ("DE", "EUR", None)


def test_client_cannot_set_read_only_fields(finance_api):
    response = finance_api.post(
        URL,
        {
            "name": "Globex",
            "version": 99,
            "archived_at": "2020-01-01T00:00:00Z",
            "created_at": "2000-01-01T00:00:00Z",
        },
    )
    body = response.json()
    assert body["version"] == 1
    assert body["archived_at"] is None
    assert not body["created_at"].startswith("2000")


def test_put_replaces_and_patch_updates_with_version_increment(finance_api, organization):
    customer = CustomerFactory(organization=organization, phone="123")
    response = finance_api.patch(detail(customer), {"city": "Oslo"})
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["phone"] == "123"
    response = finance_api.put(detail(customer), {"name": "Renamed"})
    assert response.status_code == 200
    assert response.json()["version"] == 3


def test_update_is_attributed_to_the_jwt_user(finance_api, finance_user, organization):
    customer = CustomerFactory(organization=organization)
    finance_api.patch(detail(customer), {"name": "Renamed"})
    assert customer.history.latest().history_user == finance_user


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "x" * 100_000),
        ("name", ["list"]),
        ("name", {"an": "object"}),
        ("email", "not-an-email"),
        ("country", "XX"),
        ("country", "usa"),
        ("currency", "ZZZ"),
        ("currency", "XTS"),
        ("currency", 978),
        ("payment_terms_days", -1),
        ("payment_terms_days", 366),
        ("payment_terms_days", "thirty"),
        ("payment_terms_days", 10**40),
        ("payment_terms_days", 1.5),
        ("notes", "n" * 5001),
        ("phone", "1" * 51),
    ],
)
def test_invalid_field_is_400_on_that_field_and_nothing_written(admin_api, field, value):
    data = {"name": "Valid", field: value}
    response = admin_api.post(URL, data)
    assert response.status_code == 400, response.json()
    assert response.json()["type"] == "validation_error"
    assert error_attrs(response) == {field}
    assert not Customer.objects.exists()


def test_name_is_required(admin_api):
    response = admin_api.post(URL, {"email": "a@b.example"})
    assert error_attrs(response) == {"name"}
    assert error_code(response) == "required"


def test_body_that_is_not_an_object_is_400(admin_api):
    response = admin_api.post(URL, ["name", "x"])
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


# --- archive / restore ------------------------------------------------------------------


def test_delete_archives_hides_from_default_list_but_keeps_it_readable(finance_api, organization):
    customer = CustomerFactory(organization=organization)
    response = finance_api.delete(detail(customer))
    assert response.status_code == 204
    assert response.content == b""
    customer.refresh_from_db()
    assert customer.archived_at is not None
    assert ids(finance_api.get(URL)) == []
    assert ids(finance_api.get(URL, {"archived": "true"})) == [customer.pk]
    retrieved = finance_api.get(detail(customer))
    assert retrieved.status_code == 200
    assert retrieved.json()["archived_at"] is not None


def test_archived_false_lists_only_active(finance_api, organization):
    active = CustomerFactory(organization=organization)
    CustomerFactory(organization=organization).archive(actor=None)
    assert ids(finance_api.get(URL, {"archived": "false"})) == [active.pk]


def test_delete_twice_is_harmless(finance_api, organization):
    customer = CustomerFactory(organization=organization)
    finance_api.delete(detail(customer))
    assert finance_api.delete(detail(customer)).status_code == 204
    customer.refresh_from_db()
    assert customer.version == 2


def test_restore_brings_the_customer_back(finance_api, finance_user, organization):
    customer = CustomerFactory(organization=organization)
    finance_api.delete(detail(customer))
    response = finance_api.post(f"{detail(customer)}restore/")
    assert response.status_code == 200
    assert response.json()["archived_at"] is None
    assert ids(finance_api.get(URL)) == [customer.pk]
    assert customer.history.latest().history_user == finance_user


def test_unknown_customer_is_404(admin_api):
    for path in (f"{URL}999999/", f"{URL}abc/", f"{URL}999999/restore/"):
        response = admin_api.get(path) if "restore" not in path else admin_api.post(path)
        assert response.status_code == 404
        assert error_code(response) == "not_found"


# --- filters ----------------------------------------------------------------------------


@pytest.fixture
def customers(organization):
    return {
        "globex": CustomerFactory(
            organization=organization,
            name="Globex",
            email="ap@globex.example",
            tax_id="DE-111",
            currency="EUR",
        ),
        "initech": CustomerFactory(
            organization=organization,
            name="Initech",
            email="pay@initech.example",
            tax_id="US-222",
            currency="USD",
        ),
        "acme": CustomerFactory(
            organization=organization,
            name="acme corp",
            email="x@acme.example",
            tax_id="GB-333",
            currency="USD",
        ),
    }


@pytest.mark.parametrize(
    ("search", "expected"),
    [("glob", ["globex"]), ("INITECH.example", ["initech"]), ("gb-3", ["acme"]), ("nothing", [])],
    ids=["name", "email", "tax_id", "no-match"],
)
def test_search_matches_name_email_and_tax_id(admin_api, customers, search, expected):
    assert ids(admin_api.get(URL, {"search": search})) == [customers[k].pk for k in expected]


def test_currency_filter(admin_api, customers):
    assert ids(admin_api.get(URL, {"currency": "EUR"})) == [customers["globex"].pk]
    assert len(ids(admin_api.get(URL, {"currency": "USD"}))) == 2


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["globex", "initech", "acme"]),  # case-sensitive collation differs by DB
        ("-created_at", ["acme", "initech", "globex"]),
        ("created_at", ["globex", "initech", "acme"]),
    ],
)
def test_ordering(admin_api, customers, ordering, expected):
    result = ids(admin_api.get(URL, {"ordering": ordering}))
    if ordering == "name":
        names = [row["name"] for row in admin_api.get(URL, {"ordering": "name"}).json()["results"]]
        reverse = [
            row["name"] for row in admin_api.get(URL, {"ordering": "-name"}).json()["results"]
        ]
        assert names == list(reversed(reverse))
        assert names.index("Globex") < names.index("Initech")
    else:
        assert result == [customers[k].pk for k in expected]


@pytest.mark.parametrize(
    "params",
    [
        {"currency": "ZZZ"},
        {"currency": "usd1"},
        {"archived": "maybe"},
        {"ordering": "tax_id"},
        {"ordering": "password"},
        {"search": "s" * 1000},
        {"page": "0"},
        {"page": "abc"},
    ],
)
def test_invalid_filter_values_are_400_never_ignored(admin_api, customers, params):
    response = admin_api.get(URL, params)
    # A page that is not a whole number from 1 is bad input too: 400, where a page past
    # the last is 404.
    assert response.status_code == 400
    assert response.json()["type"] in {"validation_error", "client_error"}


def test_list_is_paginated_and_page_size_capped(admin_api, organization):
    CustomerFactory.create_batch(3, organization=organization)
    body = admin_api.get(URL, {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"] is not None


def test_list_query_count_is_constant(admin_api, organization, django_assert_max_num_queries):
    CustomerFactory.create_batch(30, organization=organization)
    with django_assert_max_num_queries(5):
        assert admin_api.get(URL, {"page_size": 100}).json()["count"] == 30


# --- ETag / If-Match --------------------------------------------------------------------


def test_get_returns_etag_of_the_version(admin_api, organization):
    customer = CustomerFactory(organization=organization)
    assert admin_api.get(detail(customer))["ETag"] == '"1"'
    admin_api.patch(detail(customer), {"name": "B"})
    assert admin_api.get(detail(customer))["ETag"] == '"2"'


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("patch", "", {"name": "X"}),
        ("put", "", {"name": "X"}),
        ("delete", "", None),
        ("post", "restore/", None),
    ],
)
def test_stale_if_match_is_412_and_changes_nothing(admin_api, organization, method, suffix, data):
    customer = CustomerFactory(organization=organization, name="Kept")
    response = getattr(admin_api, method)(f"{detail(customer)}{suffix}", data, HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
    assert error_code(response) == "precondition_failed"
    customer.refresh_from_db()
    assert (customer.name, customer.version, customer.archived_at) == ("Kept", 1, None)


@pytest.mark.parametrize("header", ['"1"', "1", 'W/"1"', '"5", "1"', "*"])
def test_matching_if_match_is_accepted(admin_api, organization, header):
    customer = CustomerFactory(organization=organization)
    response = admin_api.patch(detail(customer), {"name": "New"}, HTTP_IF_MATCH=header)
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
