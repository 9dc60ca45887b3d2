"""A refund has no payment method: it answers `method: null`, as the schema declares, never
`""` (no member of the method enum; a client generated from the schema failed on it)."""

import pytest

from invoices.tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def test_refund_answers_method_null_everywhere_and_payments_keep_theirs(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    paid = finance_api.post(
        f"/api/v1/invoices/{invoice.pk}/pay/", {"amount": "50.00", "method": "card"}
    ).json()
    refund = finance_api.post(f"/api/v1/invoices/{invoice.pk}/refund/", {"amount": "5.00"})
    assert refund.status_code == 201
    assert refund.json()["method"] is None
    assert finance_api.get(f"/api/v1/payments/{refund.json()['id']}/").json()["method"] is None
    listed = {
        row["id"]: row["method"] for row in finance_api.get("/api/v1/payments/").json()["results"]
    }
    assert listed == {paid["id"]: "card", refund.json()["id"]: None}


def test_the_schema_declares_method_nullable(api):
    schema = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    method = schema["components"]["schemas"]["Payment"]["properties"]["method"]
    assert method["nullable"] is True
    enums = [
        schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]] for ref in method["oneOf"]
    ]
    assert [None] in [enum["enum"] for enum in enums]
