"""Recurring invoices in the back office: list, page, Pause / Resume buttons (the API's
model methods), roles and tenancy."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import OrganizationFactory
from backoffice.tests.builders import change_url, command_url, staff
from recurring.models import RecurringInvoice, RecurringStatus
from recurring.tests.factories import recurring_invoice

pytestmark = pytest.mark.django_db


def commands(page):
    text = page.content.decode()
    return {name for name in ("pause", "resume") if f'data-command="{name}"' in text}


@pytest.fixture
def finance_client(client, organization):
    client.force_login(staff(organization, Role.FINANCE))
    return client


def test_the_list_shows_the_organizations_templates_only(finance_client, organization):
    mine = recurring_invoice(organization, start_date=date(2026, 1, 1))
    theirs = recurring_invoice(OrganizationFactory(name="Rival Unique"))
    page = finance_client.get(reverse("admin:recurring_recurringinvoice_changelist"))
    assert page.status_code == 200
    shown = {row.pk for row in page.context["cl"].result_list}
    assert shown == {mine.pk}
    assert "Rival Unique" not in page.content.decode()
    assert theirs.pk not in shown


def test_pause_then_resume_from_the_page(finance_client, organization):
    template = recurring_invoice(organization, start_date=date(2026, 1, 1))
    assert commands(finance_client.get(change_url(template))) == {"pause"}

    confirm = finance_client.get(command_url(template, "pause"))
    assert confirm.status_code == 200
    assert RecurringInvoice.objects.get(pk=template.pk).status == RecurringStatus.ACTIVE

    response = finance_client.post(command_url(template, "pause"))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.status == RecurringStatus.PAUSED
    assert template.history.first().history_change_reason == "pause"
    assert commands(finance_client.get(change_url(template))) == {"resume"}

    finance_client.post(command_url(template, "resume"))
    template.refresh_from_db()
    assert template.status == RecurringStatus.ACTIVE


def test_a_viewer_sees_no_button_and_cannot_pause(client, organization):
    template = recurring_invoice(organization)
    client.force_login(staff(organization, Role.VIEWER))
    page = client.get(change_url(template))
    assert page.status_code == 200
    assert commands(page) == set()
    assert client.post(command_url(template, "pause")).status_code == 403
    assert RecurringInvoice.objects.get(pk=template.pk).status == RecurringStatus.ACTIVE


def test_another_organizations_template_is_404_from_every_button(finance_client):
    theirs = recurring_invoice(OrganizationFactory())
    assert finance_client.get(change_url(theirs)).status_code in (302, 404)
    assert finance_client.post(command_url(theirs, "pause")).status_code == 404
    assert RecurringInvoice.objects.get(pk=theirs.pk).status == RecurringStatus.ACTIVE
