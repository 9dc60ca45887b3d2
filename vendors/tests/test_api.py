"""Vendors: customers' record on the other side (spec 19 -> 4), tenancy, roles, history."""

import pytest

from fintrack.tests.helpers import error_code
from vendors.models import Vendor
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/vendors/"


def test_create_defaults_currency_and_terms_to_the_organization(finance_api, organization):
    response = finance_api.post(URL, {"name": "Paper Co", "country": "DE"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["currency"], body["payment_terms_days"]) == (
        organization.base_currency,
        organization.payment_terms_days,
    )
    assert Vendor.objects.get(pk=body["id"]).organization == organization


def test_bad_input_is_400_and_writes_nothing(finance_api):
    response = finance_api.post(URL, {"name": "X", "currency": "XAU", "country": "ZZ"})
    assert response.status_code == 400
    assert not Vendor.objects.exists()


def test_delete_archives_and_restore_brings_back(finance_api, organization):
    vendor = VendorFactory(organization=organization)
    assert finance_api.delete(f"{URL}{vendor.pk}/").status_code == 204
    vendor.refresh_from_db()
    assert vendor.is_archived
    assert finance_api.get(URL).json()["count"] == 0
    assert finance_api.get(URL, {"archived": "true"}).json()["count"] == 1
    assert finance_api.get(f"{URL}{vendor.pk}/").status_code == 200
    response = finance_api.post(f"{URL}{vendor.pk}/restore/")
    assert response.status_code == 200
    assert response.json()["archived_at"] is None


def test_viewer_reads_but_cannot_write(viewer_api, organization):
    vendor = VendorFactory(organization=organization, name="Old")
    assert viewer_api.get(URL).json()["count"] == 1
    assert viewer_api.post(URL, {"name": "New"}).status_code == 403
    assert viewer_api.patch(f"{URL}{vendor.pk}/", {"name": "New"}).status_code == 403
    assert viewer_api.delete(f"{URL}{vendor.pk}/").status_code == 403
    vendor.refresh_from_db()
    assert (vendor.name, vendor.archived_at, Vendor.objects.count()) == ("Old", None, 1)


def test_another_organizations_vendor_is_404_and_unlisted(finance_api, other_organization):
    vendor = VendorFactory(organization=other_organization)
    assert finance_api.get(URL).json()["count"] == 0
    assert finance_api.get(f"{URL}{vendor.pk}/").status_code == 404
    assert finance_api.delete(f"{URL}{vendor.pk}/").status_code == 404
    assert finance_api.get(f"{URL}{vendor.pk}/history/").status_code == 404
    vendor.refresh_from_db()
    assert not vendor.is_archived


def test_stale_if_match_is_412(finance_api, organization):
    vendor = VendorFactory(organization=organization, name="Old")
    response = finance_api.patch(
        f"{URL}{vendor.pk}/", {"name": "New"}, HTTP_IF_MATCH=f'"{vendor.version + 1}"'
    )
    assert response.status_code == 412
    assert error_code(response) == "precondition_failed"
    vendor.refresh_from_db()
    assert vendor.name == "Old"


def test_history_records_who_changed_what(finance_api, finance_user, organization):
    vendor_id = finance_api.post(URL, {"name": "Paper Co"}).json()["id"]
    finance_api.patch(f"{URL}{vendor_id}/", {"name": "Paper & Co"})
    events = finance_api.get(f"{URL}{vendor_id}/history/").json()
    assert [event["action"] for event in events] == ["created", "updated"]
    assert events[1]["changes"]["name"] == ["Paper Co", "Paper & Co"]
    assert events[1]["user"]["id"] == finance_user.pk


def test_filters_search_and_refuse_bad_values(finance_api, organization):
    VendorFactory(organization=organization, name="Paper Co")
    VendorFactory(organization=organization, name="Ink Ltd")
    names = [row["name"] for row in finance_api.get(URL, {"search": "ink"}).json()["results"]]
    assert names == ["Ink Ltd"]
    assert finance_api.get(URL, {"currency": "NOPE"}).status_code == 400
    assert finance_api.get(URL, {"ordering": "secret"}).status_code == 400
