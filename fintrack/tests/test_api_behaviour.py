"""Spec 11: one error shape everywhere, bad input never a 500, public operational endpoints."""

import pytest

from accounts.models import Role
from accounts.tests.factories import PASSWORD, UserFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import contains_key

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status, error_type, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"type", "errors"}
    assert body["type"] == error_type
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
        assert isinstance(error["code"], str) and isinstance(error["detail"], str)
    if code is not None:
        assert body["errors"][0]["code"] == code


def test_400_validation_error_shape(admin_api):
    response = admin_api.post("/api/v1/customers/", {"name": "", "country": "XX"})
    assert_error_shape(response, 400, "validation_error")
    assert {e["attr"] for e in response.json()["errors"]} == {"name", "country"}


def test_401_shape(api):
    assert_error_shape(api().get("/api/v1/customers/"), 401, "client_error", "not_authenticated")


def test_401_shape_for_an_invalid_token(api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Bearer forged")
    assert_error_shape(client.get("/api/v1/customers/"), 401, "client_error", "token_not_valid")


def test_403_shape(viewer_api):
    response = viewer_api.post("/api/v1/customers/", {"name": "X"})
    assert_error_shape(response, 403, "client_error", "permission_denied")


def test_404_shape(admin_api):
    assert_error_shape(admin_api.get("/api/v1/customers/424242/"), 404, "client_error", "not_found")


def test_405_shape(admin_api):
    response = admin_api.delete("/api/v1/auth/me/")
    assert_error_shape(response, 405, "client_error", "method_not_allowed")


def test_429_shape(api):
    client = api()
    for _ in range(10):
        client.post("/api/v1/auth/token/", {"email": "a@example.com", "password": "x"})
    response = client.post("/api/v1/auth/token/", {"email": "a@example.com", "password": "x"})
    assert_error_shape(response, 429, "client_error", "throttled")
    assert response.has_header("Retry-After")


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing/", "/api/v1/customers/1/nope/", "/nowhere"]
)
def test_unknown_url_is_json_404(admin_api, path):
    assert_error_shape(admin_api.get(path), 404, "client_error", "not_found")


def test_unknown_url_is_json_404_without_login(api):
    assert_error_shape(api().get("/api/v1/no-such-thing/"), 404, "client_error", "not_found")


@pytest.mark.parametrize(
    "path", ["/api/v1/customers/", "/api/v1/auth/token/", "/api/v1/auth/register/"]
)
def test_malformed_json_is_400_parse_error(admin_api, path):
    response = admin_api.post(path, data='{"name": "Globex",', content_type="application/json")
    assert_error_shape(response, 400, "client_error", "parse_error")


def test_malformed_json_on_patch_changes_nothing(admin_api, organization):
    customer = CustomerFactory(organization=organization, name="Kept")
    response = admin_api.patch(
        f"/api/v1/customers/{customer.pk}/", data="{nope", content_type="application/json"
    )
    assert_error_shape(response, 400, "client_error", "parse_error")
    customer.refresh_from_db()
    assert customer.name == "Kept"


def test_non_json_body_is_415(admin_api):
    response = admin_api.post(
        "/api/v1/customers/", data="name=Globex", content_type="application/x-www-form-urlencoded"
    )
    assert_error_shape(response, 415, "client_error", "unsupported_media_type")


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null"])
def test_json_that_is_not_an_object_is_400(admin_api, body):
    response = admin_api.post("/api/v1/customers/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] in {"validation_error", "client_error"}


@pytest.mark.parametrize("body", ["[]", '"text"', "42"])
def test_login_with_json_that_is_not_an_object_is_400(api, body):
    response = api().post("/api/v1/auth/token/", data=body, content_type="application/json")
    assert response.status_code == 400


def test_html_is_never_returned_for_api_errors(api):
    response = api().get("/api/v1/customers/", HTTP_ACCEPT="text/html")
    assert response.status_code in {401, 406}
    assert response["Content-Type"].startswith("application/json")


# --- no password anywhere ---------------------------------------------------------------


def test_no_response_contains_a_password_key(api, organization, user_in):
    admin = user_in(Role.ADMIN, organization)
    user_in(Role.VIEWER, organization)
    client = api(admin)
    bodies = [
        api()
        .post(
            "/api/v1/auth/register/",
            {
                "email": "new@example.com",
                "password": "a-long-unusual-passphrase",
                "name": "N",
                "organization_name": "N Co",
                "base_currency": "USD",
            },
        )
        .json(),
        api().post("/api/v1/auth/token/", {"email": admin.email, "password": PASSWORD}).json(),
        client.get("/api/v1/auth/me/").json(),
        client.get("/api/v1/organization/").json(),
        client.get("/api/v1/members/").json(),
        client.post("/api/v1/members/", {"email": UserFactory().email, "role": "viewer"}).json(),
    ]
    for body in bodies:
        assert not contains_key(body, "password"), body
        assert "pbkdf2" not in str(body) and "md5$" not in str(body)


def test_registration_errors_do_not_echo_the_password(api):
    response = api().post(
        "/api/v1/auth/register/",
        {
            "email": "x@example.com",
            "password": "s3cr3t-but-short",
            "name": "X",
            "organization_name": "X",
            "base_currency": "ZZZ",
        },
    )
    assert response.status_code == 400
    assert "s3cr3t-but-short" not in response.content.decode()


# --- operational endpoints --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/api/schema/", "/api/docs/"])
def test_operational_endpoints_answer_without_login(api, path):
    assert api().get(path).status_code == 200


def test_readyz_reports_the_database(api):
    assert api().get("/readyz").json() == {"status": "ok"}


def test_schema_documents_the_accounts_endpoints(api):
    schema = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in [
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/me/",
        "/api/v1/organization/",
        "/api/v1/members/",
        "/api/v1/members/{id}/",
        "/api/v1/customers/",
    ]:
        assert path in schema["paths"], path


# --- bad input is a 4xx, never a 500 -----------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/customers/", "/api/v1/auth/token/", "/api/v1/auth/register/"]
)
def test_json_nested_too_deep_is_400_parse_error(admin_api, path):
    # Python's decoder gives up with RecursionError, which is not a ValueError.
    body = "[" * 100_000 + "]" * 100_000
    response = admin_api.post(path, data=body, content_type="application/json")
    assert_error_shape(response, 400, "client_error", "parse_error")


@pytest.mark.parametrize("headers", [{}, {"HTTP_IDEMPOTENCY_KEY": "big-1"}])
def test_body_over_the_upload_limit_is_413(admin_api, settings, headers):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = admin_api.post("/api/v1/customers/", {"name": "x" * 2000}, **headers)
    assert_error_shape(response, 413, "client_error", "request_too_large")
    assert not Customer.objects.exists()


def test_invalid_token_is_one_error_without_internal_attrs(api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Bearer forged")
    response = client.get("/api/v1/customers/")
    assert_error_shape(response, 401, "client_error", "token_not_valid")
    assert len(response.json()["errors"]) == 1
    assert response.json()["errors"][0]["attr"] is None
    assert response.has_header("WWW-Authenticate")


def test_reused_refresh_token_is_one_401_error(api, admin_user):
    refresh = (
        api()
        .post("/api/v1/auth/token/", {"email": admin_user.email, "password": PASSWORD})
        .json()["refresh"]
    )
    assert api().post("/api/v1/auth/token/refresh/", {"refresh": refresh}).status_code == 200
    response = api().post("/api/v1/auth/token/refresh/", {"refresh": refresh})
    assert_error_shape(response, 401, "client_error", "token_not_valid")
    assert [error["attr"] for error in response.json()["errors"]] == [None]


def test_malformed_authorization_header_is_one_401_error(api):
    response = api().get("/api/v1/customers/", HTTP_AUTHORIZATION="Bearer")
    assert_error_shape(response, 401, "client_error")
    assert [error["attr"] for error in response.json()["errors"]] == [None]
