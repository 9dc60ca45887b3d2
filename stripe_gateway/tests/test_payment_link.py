"""`POST invoices/{id}/payment-link/`: a Checkout Session for the balance due (spec 15).
Stripe's API is stubbed at the HTTP layer; each test asserts what was sent."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses

from accounts.models import User
from accounts.tests.factories import OrganizationFactory
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment
from stripe_gateway.tests.fakes import SECRET_KEY, SESSIONS_URL, connect

EXPIRES_AT = 1_900_000_000


def session_answer(**extra):
    return {
        "id": "cs_test_a1",
        "object": "checkout.session",
        "url": "https://checkout.stripe.com/c/pay/cs_test_a1",
        "expires_at": EXPIRES_AT,
        **extra,
    }


def sent_form(call) -> dict:
    """The form Stripe received, as {key: value} (Stripe's nested keys kept as written)."""
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def link(client, invoice, **headers):
    return client.post(f"/api/v1/invoices/{invoice.pk}/payment-link/", {}, format="json", **headers)


@pytest.fixture
def invoice(connected):
    return InvoiceFactory(organization=connected, sent=True, total="120.50")


def test_link_for_the_balance_due_with_the_invoice_on_session_and_intent(
    stripe_api, finance_api, invoice, finance_user
):
    Payment.pay(invoice, amount=Decimal("20.00"), method="cash", actor=finance_user)
    stripe_api.add(responses.POST, SESSIONS_URL, json=session_answer())
    response = link(finance_api, invoice, HTTP_IDEMPOTENCY_KEY="link-1")
    assert response.status_code == 201, response.content
    assert response.json() == {
        "url": "https://checkout.stripe.com/c/pay/cs_test_a1",
        "expires_at": datetime.fromtimestamp(EXPIRES_AT, tz=UTC).isoformat().replace("+00:00", "Z"),
    }
    (call,) = stripe_api.calls
    assert call.request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    # The request's Idempotency-Key goes on to Stripe as is.
    assert call.request.headers["Idempotency-Key"] == "link-1"
    form = sent_form(call)
    assert form["mode"] == "payment"
    assert form["client_reference_id"] == str(invoice.pk)
    assert form["metadata[invoice_id]"] == str(invoice.pk)
    assert form["payment_intent_data[metadata][invoice_id]"] == str(invoice.pk)
    assert form["line_items[0][price_data][currency]"] == "usd"
    # The balance due (120.50 - 20.00) in cents.
    assert form["line_items[0][price_data][unit_amount]"] == "10050"
    assert form["line_items[0][quantity]"] == "1"


@pytest.mark.parametrize(
    "currency, total, units",
    [("JPY", "1050", "1050"), ("KWD", "1.500", "1500"), ("UGX", "5000", "5000")],
)
def test_amounts_use_stripes_exponents(stripe_api, finance_api, connected, currency, total, units):
    invoice = InvoiceFactory(organization=connected, sent=True, total=total, currency=currency)
    stripe_api.add(responses.POST, SESSIONS_URL, json=session_answer())
    assert link(finance_api, invoice).status_code == 201
    form = sent_form(stripe_api.calls[0])
    assert form["line_items[0][price_data][currency]"] == currency.lower()
    assert form["line_items[0][price_data][unit_amount]"] == units


@pytest.mark.parametrize(
    "currency, total",
    [
        ("KWD", "1.505"),  # three-decimal: Stripe needs the last digit 0
        ("MGA", "10.50"),  # two ISO digits, zero-decimal at Stripe
        ("IQD", "1.005"),  # three ISO digits, two at Stripe
    ],
)
def test_a_balance_stripe_cannot_charge_exactly_is_409(
    stripe_api, finance_api, connected, currency, total
):
    invoice = InvoiceFactory(organization=connected, sent=True, total=total, currency=currency)
    response = link(finance_api, invoice)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "amount_not_chargeable"
    assert len(stripe_api.calls) == 0


@pytest.mark.parametrize("state", ["draft", "paid", "void"])
def test_only_sent_or_partially_paid_invoices(stripe_api, finance_api, connected, state):
    invoice = InvoiceFactory(organization=connected, sent=state != "draft", paid=state == "paid")
    if state == "void":
        invoice.void(reason="", actor=User.objects.system_actor())
    response = link(finance_api, invoice)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "invalid_status"
    assert len(stripe_api.calls) == 0


def test_an_organization_without_stripe_is_409(
    stripe_api, encryption_key, finance_api, organization
):
    invoice = InvoiceFactory(organization=organization, sent=True)
    response = link(finance_api, invoice)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "stripe_not_configured"
    assert len(stripe_api.calls) == 0


def test_another_organizations_invoice_is_404(stripe_api, finance_api, encryption_key):
    other = connect(OrganizationFactory())
    invoice = InvoiceFactory(organization=other, sent=True)
    assert link(finance_api, invoice).status_code == 404
    assert len(stripe_api.calls) == 0


def test_viewers_cannot_create_links(stripe_api, viewer_api, invoice):
    assert link(viewer_api, invoice).status_code == 403
    assert len(stripe_api.calls) == 0


def test_stripe_down_is_502_and_not_replayed(stripe_api, finance_api, invoice):
    stripe_api.add(responses.POST, SESSIONS_URL, status=500, json={"error": {"type": "api_error"}})
    stripe_api.add(responses.POST, SESSIONS_URL, status=500, json={"error": {"type": "api_error"}})
    # A 5xx is reported like any server error (Sentry's signal); the client gets the answer.
    finance_api.raise_request_exception = False
    response = link(finance_api, invoice, HTTP_IDEMPOTENCY_KEY="k-down")
    assert response.status_code == 502
    assert response.json()["errors"][0]["code"] == "payment_provider_unavailable"
    # A 5xx is not stored: the retry with the same key reaches Stripe again.
    stripe_api.add(responses.POST, SESSIONS_URL, json=session_answer())
    assert link(finance_api, invoice, HTTP_IDEMPOTENCY_KEY="k-down").status_code == 201


def test_a_key_stripe_refuses_is_409(stripe_api, finance_api, invoice):
    stripe_api.add(
        responses.POST,
        SESSIONS_URL,
        status=401,
        json={"error": {"type": "invalid_request_error", "message": "Invalid API Key"}},
    )
    response = link(finance_api, invoice)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "stripe_credentials_rejected"


def test_stripes_minimum_amount_is_amount_not_chargeable(stripe_api, finance_api, connected):
    invoice = InvoiceFactory(organization=connected, sent=True, total="0.10")
    stripe_api.add(
        responses.POST,
        SESSIONS_URL,
        status=400,
        json={
            "error": {
                "type": "invalid_request_error",
                "code": "amount_too_small",
                "message": "Amount must be at least $0.50 usd",
            }
        },
    )
    response = link(finance_api, invoice)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "amount_not_chargeable"


def test_a_repeated_key_replays_without_calling_stripe_again(stripe_api, finance_api, invoice):
    stripe_api.add(responses.POST, SESSIONS_URL, json=session_answer())
    first = link(finance_api, invoice, HTTP_IDEMPOTENCY_KEY="same")
    second = link(finance_api, invoice, HTTP_IDEMPOTENCY_KEY="same")
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert json.loads(second.content) == first.json()
    assert len(stripe_api.calls) == 1
