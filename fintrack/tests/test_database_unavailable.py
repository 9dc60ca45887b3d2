"""A database that refuses or does not answer is a 503 `service_unavailable` with
Retry-After, in the error shape, within 5 seconds — never a 500 or a hang (spec 11).

The requests run against a PostgreSQL connection pointed at a port that refuses, or at a
listener that accepts and never replies; psycopg is installed for every run, so this holds
whichever database the suite itself uses.
"""

import socket
import time
from contextlib import contextmanager

import pytest
from django.db import connections
from django.db.utils import ConnectionHandler
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken

from fintrack.settings import database_from_url
from fintrack.tests.helpers import error_code

pytestmark = pytest.mark.django_db


@contextmanager
def default_database_at(port: int):
    """Swap this thread's default connection for a PostgreSQL one at 127.0.0.1:`port`,
    with the connect timeout the settings give PostgreSQL."""
    settings_dict = database_from_url(f"postgres://postgres@127.0.0.1:{port}/fintrack")
    unreachable = ConnectionHandler({"default": settings_dict})["default"]
    original = connections["default"]
    connections["default"] = unreachable
    try:
        yield
    finally:
        connections["default"] = original
        unreachable.close()


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return port  # nothing listens there any more: connections are refused


@pytest.fixture
def silent_port():
    """A listener that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.fixture
def bearer(finance_user):
    return {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(finance_user).access_token}"}


def assert_service_unavailable(response):
    assert response.status_code == 503, response.content
    assert error_code(response) == "service_unavailable"
    assert response.json()["type"] == "server_error"
    assert int(response["Retry-After"]) > 0


def requests(bearer):
    """One request through each path that meets the database first."""
    return {
        "idempotency layer": lambda c: c.post(
            "/api/v1/invoices/1/pay/",
            {"amount": "1.00"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="k",
            **bearer,
        ),
        "DRF view": lambda c: c.get("/api/v1/invoices/", **bearer),
        "readiness": lambda c: c.get("/readyz"),
        "admin (non-DRF)": lambda c: c.post(
            "/admin/login/", {"username": "a@example.com", "password": "x"}
        ),
    }


@pytest.mark.parametrize("path", ["idempotency layer", "DRF view", "readiness", "admin (non-DRF)"])
def test_refused_connection_is_503_with_retry_after(closed_port, bearer, path):
    client = Client(raise_request_exception=False)
    send = requests(bearer)[path]
    with default_database_at(closed_port):
        response = send(client)
    assert_service_unavailable(response)


@pytest.mark.parametrize("path", ["idempotency layer", "DRF view", "readiness"])
def test_database_that_never_answers_is_503_within_five_seconds(silent_port, bearer, path):
    client = Client(raise_request_exception=False)
    send = requests(bearer)[path]
    started = time.monotonic()
    with default_database_at(silent_port):
        response = send(client)
    assert time.monotonic() - started < 5
    assert_service_unavailable(response)


def test_postgresql_connect_timeout_is_at_most_three_seconds():
    options = database_from_url("postgres://u:p@db.example:5432/fintrack")["OPTIONS"]
    assert 0 < options["connect_timeout"] <= 3
