import pytest

from accounts.models import Role
from customers.models import Customer
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


def test_create_customer_defaults_currency_and_terms_from_organization(finance_api, organization):
    organization.payment_terms_days = 14
    organization.save()
    response = finance_api.post(URL, {"name": "Globex"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["currency"] == "USD"
    assert body["payment_terms_days"] == 14
    assert body["version"] == 1
    assert Customer.objects.get(pk=body["id"]).organization == organization


def test_viewer_cannot_create_customer(viewer_api):
    response = viewer_api.post(URL, {"name": "Globex"})
    assert response.status_code == 403
    assert response.json()["type"] == "client_error"


def test_other_organizations_customer_is_404_and_not_listed(admin_api, other_organization):
    foreign = CustomerFactory(organization=other_organization)
    assert admin_api.get(f"{URL}{foreign.pk}/").status_code == 404
    assert admin_api.get(URL).json()["count"] == 0


def test_patch_with_stale_if_match_is_412(admin_api, organization):
    customer = CustomerFactory(organization=organization)
    response = admin_api.get(f"{URL}{customer.pk}/")
    assert response["ETag"] == '"1"'
    response = admin_api.patch(f"{URL}{customer.pk}/", {"name": "New"}, HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
    assert response.json()["errors"][0]["code"] == "precondition_failed"


def test_unknown_currency_is_400(admin_api):
    response = admin_api.post(URL, {"name": "X", "currency": "ZZZ"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "currency"


def test_invalid_archived_filter_is_400(admin_api):
    assert admin_api.get(URL, {"archived": "maybe"}).status_code == 400


def test_several_memberships_without_header_is_400(api, user_in, organization):
    user = user_in(Role.ADMIN, organization)
    from accounts.tests.factories import MembershipFactory

    MembershipFactory(user=user)
    response = api(user).get(URL)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "organization_required"
