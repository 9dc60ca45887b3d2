"""The OpenAPI schema documents the responses the API really gives (found by schemathesis)."""

import re

import pytest


@pytest.fixture
def schema(api):
    return api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def responses(schema, method, path):
    return schema["paths"][path][method]["responses"]


def component(schema, response):
    ref = response["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_400_documents_validation_and_client_errors_with_open_codes(schema):
    # A bad `?format=` is a validation error on a GET without a FilterSet, and an invalid
    # Idempotency-Key is a client error whose code is not `parse_error`.
    for method, path in [
        ("get", "/api/v1/customers/{id}/statement/"),
        ("post", "/api/v1/customers/"),
    ]:
        mapping = component(schema, responses(schema, method, path)["400"])["discriminator"]
        assert set(mapping["mapping"]) == {"validation_error", "client_error"}
    error = schema["components"]["schemas"]["Error"]["properties"]
    assert "enum" not in error["code"] and error["attr"]["nullable"] is True


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("delete", "/api/v1/members/{id}/", "409"),  # last_admin
        ("post", "/api/v1/invoices/{id}/remind/", "409"),  # invalid_status
        ("patch", "/api/v1/customers/{id}/", "412"),  # stale If-Match
        ("post", "/api/v1/customers/", "422"),  # idempotency_key_reused
        ("post", "/api/v1/auth/token/refresh/", "401"),  # token_not_valid
        ("post", "/api/v1/auth/token/", "401"),  # no_active_account
    ],
)
def test_kernel_error_statuses_are_documented(schema, method, path, status):
    assert status in responses(schema, method, path)


def test_401_codes_are_not_limited_to_drfs_two(schema):
    body = component(schema, responses(schema, "get", "/api/v1/auth/me/")["401"])
    assert body == schema["components"]["schemas"]["ClientErrorResponse"]


def test_no_412_where_no_object_is_read(schema):
    assert "412" not in responses(schema, "post", "/api/v1/customers/")
    assert "409" not in responses(schema, "get", "/api/v1/customers/")


def test_payment_reversed_by_is_nullable(schema):
    field = schema["components"]["schemas"]["Payment"]["properties"]["reversed_by"]
    assert field["type"] == "integer" and field["nullable"] is True


@pytest.mark.parametrize(
    "key, valid",
    [("order-42", True), ("x" * 255, True), ("", False), (" a", False), ("x" * 256, False)],
)
def test_idempotency_key_pattern_matches_what_the_middleware_accepts(schema, key, valid):
    [header] = [
        parameter
        for parameter in schema["paths"]["/api/v1/customers/"]["post"]["parameters"]
        if parameter["name"] == "Idempotency-Key"
    ]
    assert bool(re.fullmatch(header["schema"]["pattern"], key)) is valid


@pytest.mark.parametrize(
    "method, path", [("get", "/api/v1/invoices/"), ("post", "/api/v1/invoices/{id}/pay/")]
)
def test_503_service_unavailable_is_documented_as_a_server_error(schema, method, path):
    body = component(schema, responses(schema, method, path)["503"])
    assert body["properties"]["type"] == {"$ref": "#/components/schemas/ServerErrorEnum"}


@pytest.mark.parametrize(
    "path, documented",
    [
        ("/api/v1/auth/token/", False),
        ("/api/v1/auth/token/refresh/", False),
        ("/api/v1/auth/register/", False),
        ("/api/v1/auth/logout/", True),
        # Anonymous: the header would be ignored, so it is not offered.
        ("/api/v1/auth/password-reset/", False),
        ("/api/v1/auth/password-reset/confirm/", False),
        # Guesses must count, so their refusals are never stored.
        ("/api/v1/auth/verify-email/", False),
        ("/api/v1/auth/password/", False),
        ("/api/v1/auth/verify-email/resend/", True),
    ],
)
def test_idempotency_key_is_not_offered_on_credential_endpoints(schema, path, documented):
    names = {parameter["name"] for parameter in schema["paths"][path]["post"].get("parameters", [])}
    assert ("Idempotency-Key" in names) is documented


@pytest.mark.parametrize(
    "path, name",
    [
        ("/api/v1/invoices/", "customer"),
        ("/api/v1/payments/", "invoice"),
        ("/api/v1/payments/", "customer"),
    ],
)
def test_id_filters_are_declared_whole_numbers(schema, path, name):
    # A "number" let clients (and schemathesis) send 1.5, which the API refuses with a 400.
    parameters = {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"]}
    assert parameters[name]["type"] == "integer"
    assert parameters[name]["minimum"] == 1


def test_money_states_the_number_grammar(schema):
    # Requests: plain digits and an optional fraction (spec 3); answers may be negative.
    components = schema["components"]["schemas"]
    request = components["PaymentPayInputRequest"]["properties"]["amount"]["pattern"]
    answer = components["Payment"]["properties"]["amount"]["pattern"]
    for accepted in ["10", "10.50", "0.001"]:
        assert re.fullmatch(request, accepted)
    for refused in ["1_000.00", "\uff11\uff10", "\u0663", "1e3", "+5", " 5", "-5", "10."]:
        assert not re.fullmatch(request, refused), refused
    assert re.fullmatch(answer, "-10.50") and not re.fullmatch(answer, "--1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "success", "errors"),
    [
        ("/api/v1/auth/password/", "204", {"400", "401", "429"}),
        ("/api/v1/auth/password-reset/", "202", {"400", "429"}),
        ("/api/v1/auth/password-reset/confirm/", "204", {"400", "429"}),
        ("/api/v1/auth/verify-email/", "204", {"400", "401"}),
        ("/api/v1/auth/verify-email/resend/", "202", {"401", "429"}),
    ],
)
def test_account_endpoints_are_documented_with_their_answers(schema, path, success, errors):
    documented = set(responses(schema, "post", path))
    assert success in documented
    assert errors <= documented


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/invoices/{id}/send/",
        "/api/v1/invoices/{id}/pay/",
        "/api/v1/invoices/{id}/refund/",
        "/api/v1/payments/{id}/reverse/",
    ],
)
def test_money_commands_document_403_with_open_codes_for_email_not_verified(schema, path):
    error = component(schema, responses(schema, "post", path)["403"])
    code = schema["components"]["schemas"]["Error"]["properties"]["code"]
    assert "enum" not in code
    assert error["properties"]["errors"]["items"]["$ref"].endswith("/Error")
    examples = responses(schema, "post", path)["403"]["content"]["application/json"]["examples"]
    assert examples["EmailNotVerified"]["value"]["errors"][0]["code"] == "email_not_verified"


@pytest.mark.django_db
def test_me_documents_email_verified(schema):
    me = schema["components"]["schemas"]["Me"]
    assert me["properties"]["email_verified"]["type"] == "boolean"
    assert "email_verified" in me["required"]


@pytest.mark.django_db
def test_every_error_status_documents_the_error_body(schema):
    # A status a view declares by its codes alone (`already_matched`, `file_too_large`...)
    # answers in the one error shape too; without a body in the schema a generated client
    # cannot read the code.
    bare = [
        (method, path, status)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        for status, response in operation.get("responses", {}).items()
        if status[0] in "45" and "application/json" not in response.get("content", {})
    ]
    assert bare == []
    match = responses(schema, "post", "/api/v1/bank-lines/{id}/match/")
    assert component(schema, match["409"]) == schema["components"]["schemas"]["ClientErrorResponse"]
    assert "already_matched" in match["409"]["description"]
    assert "discriminator" in component(schema, match["400"])
