"""`?format=` everywhere (spec 9): a format an endpoint does not offer is 400
`unsupported_format` on `format` — never a 404 that reads as "no such endpoint"."""

import pytest

from customers.tests.factories import CustomerFactory
from fintrack.tests.helpers import error_code
from invoices.tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "format"),
    [
        ("/api/v1/customers/", "csv"),
        ("/api/v1/customers/", "xlsx"),
        ("/api/v1/audit/events/", "csv"),
        ("/api/v1/exchange-rates/", "csv"),
        ("/api/v1/members/", "csv"),
        ("/api/v1/organization/", "csv"),
        ("/api/v1/auth/me/", "csv"),
        ("/api/v1/invoices/", "pdf"),
        ("/api/v1/payments/", "yaml"),
        ("/api/v1/reports/summary/", "html"),
    ],
)
def test_a_format_the_endpoint_does_not_offer_is_400_unsupported_format(admin_api, path, format):
    response = admin_api.get(path, {"format": format})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert error_code(response) == "unsupported_format"
    assert response.json()["errors"][0]["attr"] == "format"


def test_detail_views_and_the_pdf_refuse_other_formats(admin_api, organization):
    customer = CustomerFactory(organization=organization)
    invoice = InvoiceFactory(organization=organization, sent=True)
    for path in (f"/api/v1/customers/{customer.pk}/", f"/api/v1/invoices/{invoice.pk}/pdf/"):
        response = admin_api.get(path, {"format": "csv"})
        assert response.status_code == 400, path
        assert error_code(response) == "unsupported_format"
    pdf = admin_api.get(f"/api/v1/invoices/{invoice.pk}/pdf/", {"format": "pdf"})
    assert pdf.status_code == 200


def test_offered_formats_still_work(admin_api, organization):
    assert admin_api.get("/api/v1/customers/", {"format": "json"}).status_code == 200
    response = admin_api.get("/api/v1/invoices/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_a_method_the_endpoint_lacks_is_405_whatever_the_format(admin_api):
    response = admin_api.generic("TRACE", "/api/v1/customers/?format=csv")
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"
