"""Spec 20, operating it: serving, client addresses, request ids, logs, metrics, Sentry."""

import io
import json
import logging
import os
import runpy
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import RequestFactory, override_settings

from accounts.models import User
from api.client_ip import client_ip
from fintrack.log_config import logging_config
from fintrack.tests.test_settings import PRODUCTION_SECRET, manage
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment

BASE_DIR = settings.BASE_DIR
LOGIN = "/api/v1/auth/token/"


# --- serving ---------------------------------------------------------------------------


def gunicorn_settings(monkeypatch, **env):
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))


def test_gunicorn_defaults_to_port_8000_and_two_workers(monkeypatch):
    config = gunicorn_settings(monkeypatch)
    assert config["bind"] == "0.0.0.0:8000"
    assert config["workers"] == 2
    assert config["timeout"] == 30


def test_gunicorn_takes_port_concurrency_and_timeout_from_the_environment(monkeypatch):
    config = gunicorn_settings(monkeypatch, PORT="9123", WEB_CONCURRENCY="5", GUNICORN_TIMEOUT="60")
    assert config["bind"] == "0.0.0.0:9123"
    assert config["workers"] == 5
    assert config["timeout"] == 60


def test_serving_dependencies_are_pinned():
    pinned = {
        line.split("==")[0].lower()
        for line in (BASE_DIR / "requirements.txt").read_text().splitlines()
        if "==" in line
    }
    assert {"gunicorn", "whitenoise", "structlog", "sentry-sdk", "django-otp"} <= pinned


def test_make_serve_runs_gunicorn_after_migrate_and_collectstatic_and_run_takes_port():
    makefile = (BASE_DIR / "Makefile").read_text()
    serve = makefile.split("\nserve:")[1].split("\n\n")[0]
    assert serve.index("migrate") < serve.index("collectstatic") < serve.index("gunicorn")
    run = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "0.0.0.0:$(PORT)" in run


def test_the_served_application_loads_its_urls_and_views_before_freezing_them():
    """The objects a worker loads before its first request are out of the collector's
    sight (`gc.freeze`), the URL configuration and its views among them."""
    probe = (
        "import gc, sys; import fintrack.wsgi; modules = sys.modules;"
        "print(gc.get_freeze_count(), 'fintrack.urls' in modules, 'payments.views' in modules)"
    )
    environment = {"PATH": os.environ.get("PATH", ""), "DEBUG": "1"}
    # A fixed argv of this interpreter: no shell, no outside input.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frozen, urls, views = result.stdout.split()
    assert int(frozen) > 10_000
    assert urls == views == "True"


@pytest.mark.django_db
def test_static_files_are_served_by_whitenoise(client):
    # The test client has no static-file handler of its own: only the middleware answers.
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)


# --- client address --------------------------------------------------------------------


def request_from(remote_addr="10.0.0.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert client_ip(request_from(forwarded="1.2.3.4")) == "10.0.0.9"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_one_trusted_proxy_takes_the_address_it_appended():
    # The client wrote "6.6.6.6"; the proxy appended the address it really saw.
    assert client_ip(request_from(forwarded="6.6.6.6, 1.2.3.4")) == "1.2.3.4"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_two_trusted_proxies_take_the_second_entry_from_the_right():
    assert client_ip(request_from(forwarded="6.6.6.6, 1.2.3.4, 10.0.0.5")) == "1.2.3.4"
    # Fewer entries than proxies: the leftmost any proxy wrote.
    assert client_ip(request_from(forwarded="1.2.3.4")) == "1.2.3.4"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_a_trusted_proxy_without_the_header_leaves_the_peer_address():
    assert client_ip(request_from(forwarded="")) == "10.0.0.9"
    assert client_ip(request_from()) == "10.0.0.9"


def login_attempt(api_client, forwarded, proxy="10.0.0.9"):
    body = {"email": "ann@example.com", "password": "wrong"}
    return api_client.post(LOGIN, body, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
def test_a_client_cannot_escape_the_login_throttle_by_inventing_forwarded_addresses(api):
    client = api()
    for attempt in range(10):
        assert login_attempt(client, f"1.1.1.{attempt}").status_code == 401
    assert login_attempt(client, "1.1.1.99").status_code == 429


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_throttle_counts_each_client_apart(api):
    client = api()
    for _ in range(10):
        assert login_attempt(client, "1.1.1.1").status_code == 401
    assert login_attempt(client, "1.1.1.1").status_code == 429
    # Another client behind the same proxy is not locked out by the first one's guesses.
    assert login_attempt(client, "2.2.2.2").status_code == 401


# --- request ids and logs --------------------------------------------------------------


@pytest.fixture
def log_lines():
    """The JSON lines the production formatter writes, as dicts."""
    formatter_config = dict(logging_config("json", "INFO")["formatters"]["structured"])
    formatter = formatter_config.pop("()")(**formatter_config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)


def request_lines(lines):
    return [line for line in lines() if line["event"] == "request"]


@pytest.mark.django_db
def test_a_safe_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123.DEF:9_x")
    assert response["X-Request-ID"] == "abc-123.DEF:9_x"


@pytest.mark.django_db
@pytest.mark.parametrize("unsafe", ["has space", "x" * 201, "line\nbreak", 'quote"', "", "ünï"])
def test_an_unsafe_request_id_is_replaced_by_a_new_one(client, unsafe):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=unsafe)
    assert response["X-Request-ID"] != unsafe
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_a_request_id_of_exactly_200_safe_characters_is_kept(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="a" * 200)["X-Request-ID"] == "a" * 200


@pytest.mark.django_db
def test_every_answer_carries_a_request_id(client, api, admin_user):
    answers = [
        client.get("/healthz"),
        client.get("/no-such-page"),  # 404
        api().get("/api/v1/invoices/"),  # 401
        api(admin_user).post("/api/v1/customers/", {}, format="json"),  # 400
    ]
    for _ in range(11):
        answers.append(api().post(LOGIN, {"email": "x@example.com", "password": "no"}))
    assert answers[-1].status_code == 429
    ids = [answer["X-Request-ID"] for answer in answers]
    assert all(ids) and len(set(ids)) == len(ids)


@pytest.mark.django_db
def test_a_server_side_failure_answer_carries_the_request_id_too(client, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("fintrack.views.connection", Unreachable())
    response = client.get("/readyz", HTTP_X_REQUEST_ID="outage-1")
    assert response.status_code == 503
    assert response["X-Request-ID"] == "outage-1"


@pytest.mark.django_db
@pytest.mark.parametrize("header", [False, True], ids=["only-membership", "x-organization"])
def test_one_json_line_per_request_with_id_user_organization_and_timing(
    api, admin_user, organization, log_lines, header
):
    # With the header the membership is read with the user (api.authentication).
    client = api(admin_user, organization if header else None)
    response = client.get("/api/v1/customers/", HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 200
    [line] = request_lines(log_lines)
    assert line["request_id"] == "req-1"
    assert line["user"] == admin_user.pk
    assert line["organization"] == organization.pk
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/customers/"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["level"] == "info"
    assert line["timestamp"].endswith("Z")


@pytest.mark.django_db
def test_an_anonymous_refused_request_is_logged_with_its_status(api, log_lines):
    api().get("/api/v1/invoices/")
    [line] = request_lines(log_lines)
    assert line["status"] == 401
    assert line["user"] is None
    assert line["organization"] is None


@pytest.mark.django_db
def test_a_payment_is_logged_as_a_domain_event_when_it_commits(
    api, admin_user, organization, log_lines, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin_user).post(
            f"/api/v1/invoices/{invoice.pk}/pay/",
            {"amount": "40.00", "method": "bank_transfer"},
            HTTP_X_REQUEST_ID="pay-1",
        )
    assert response.status_code == 201, response.content
    [event] = [line for line in log_lines() if line["event"] == "payment.recorded"]
    assert event["request_id"] == "pay-1"
    assert event["amount"] == "40.00"
    assert event["currency"] == "USD"
    assert event["invoice"] == invoice.pk
    assert event["organization"] == organization.pk
    assert event["actor"] == admin_user.pk


@pytest.mark.django_db
def test_a_refused_command_logs_no_event(
    api, admin_user, organization, log_lines, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api(admin_user).post(
            f"/api/v1/invoices/{invoice.pk}/pay/",
            {"amount": "400.00", "method": "bank_transfer"},
        )
    assert response.status_code == 400
    assert callbacks == []
    assert not [line for line in log_lines() if line["event"].startswith("payment.")]


@pytest.mark.django_db
def test_sending_an_invoice_is_a_domain_event(
    organization, admin_user, log_lines, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(organization=organization, total="10.00")
    with django_capture_on_commit_callbacks(execute=True):
        invoice.send(actor=admin_user)
    [event] = [line for line in log_lines() if line["event"] == "invoice.sent"]
    assert event["number"] == invoice.number
    assert event["total"] == "10.00"


@pytest.mark.django_db
@pytest.mark.parametrize("settled_by", ["pay", "credit_note"])
def test_an_invoice_becoming_paid_is_a_domain_event_however_settled(
    organization, admin_user, log_lines, django_capture_on_commit_callbacks, settled_by
):
    from credits.models import CreditNote
    from invoices.tests.factories import line
    from payments.models import Payment

    invoice = InvoiceFactory(organization=organization, sent=True, total="10.00")
    with django_capture_on_commit_callbacks(execute=True):
        if settled_by == "pay":
            Payment.pay(invoice, amount="10.00", method="cash", actor=admin_user)
        else:
            CreditNote.issue(
                invoice, lines=[line(unit_price="10.00")], reason="x", actor=admin_user
            )
    [event] = [line for line in log_lines() if line["event"] == "invoice.paid"]
    assert (event["number"], event["by"], event["actor"]) == (
        invoice.number,
        settled_by,
        admin_user.pk,
    )


def test_text_format_is_for_humans():
    formatter_config = dict(logging_config("text", "INFO")["formatters"]["structured"])
    formatter = formatter_config.pop("()")(**formatter_config)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    text = formatter.format(record)
    assert "hello there" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_an_unknown_log_format_refuses_to_start():
    result = manage("check", DEBUG="1", LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be one of" in result.stderr


# --- Sentry ----------------------------------------------------------------------------

SENTRY_ACTIVE = "import sentry_sdk; print(sentry_sdk.get_client().is_active())"


def test_sentry_is_off_without_a_dsn():
    result = manage("shell", "-v", "0", "-c", SENTRY_ACTIVE, SECRET_KEY=PRODUCTION_SECRET)
    assert result.stdout.split() == ["False"], result.stderr


def test_sentry_is_on_with_a_dsn():
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        SENTRY_ACTIVE,
        SECRET_KEY=PRODUCTION_SECRET,
        SENTRY_DSN="https://public@sentry.example.invalid/1",
    )
    assert result.stdout.split() == ["True"], result.stderr


# --- metrics ---------------------------------------------------------------------------


def metric_value(body: str, name: str, **labels) -> float | None:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in body.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return None


@pytest.mark.django_db
def test_metrics_are_open_without_a_token(client):
    assert settings.METRICS_TOKEN == ""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="s3cret-metrics-token")
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", "Bearer s3cret-metrics-toke", "Basic s3cret-metrics-token", "s3cret"],
)
def test_metrics_need_the_bearer_token_when_it_is_set(client, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"
    assert b"fintrack_" not in response.content


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="s3cret-metrics-token")
def test_metrics_answer_the_right_bearer_token(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert response.status_code == 200
    assert metric_value(response.content.decode(), "fintrack_business_metrics_up") == 1


@pytest.mark.django_db
def test_business_figures_come_from_the_database(client, organization, other_organization):
    # Two tenants' figures add up per currency; every worker process reads the same rows.
    paid = InvoiceFactory(organization=organization, sent=True, total="100.00")
    InvoiceFactory(organization=organization, sent=True, total="50.00")
    InvoiceFactory(organization=organization, total="70.00")
    euro = InvoiceFactory(organization=other_organization, sent=True, total="30.00")
    actor = User.objects.system_actor()
    Payment.pay(paid, amount=Decimal("60.00"), method="bank_transfer", actor=actor)
    Payment.pay(paid, amount=Decimal("40.00"), method="bank_transfer", actor=actor)
    Payment.refund(paid, amount=Decimal("25.00"), actor=actor)
    Payment.pay(euro, amount=Decimal("30.00"), method="card", actor=actor)

    body = client.get("/metrics").content.decode()
    assert metric_value(body, "fintrack_invoices_sent_total", currency="USD") == 2
    assert metric_value(body, "fintrack_invoices_sent_total", currency="EUR") == 1
    assert metric_value(body, "fintrack_invoices", currency="USD", status="draft") == 1
    assert metric_value(body, "fintrack_payments_total", currency="USD", kind="payment") == 2
    assert metric_value(body, "fintrack_payments_total", currency="USD", kind="refund") == 1
    amount = "fintrack_payment_amount_total"
    assert metric_value(body, amount, currency="USD", kind="payment") == 100
    assert metric_value(body, amount, currency="USD", kind="refund") == 25
    assert metric_value(body, amount, currency="EUR", kind="payment") == 30
