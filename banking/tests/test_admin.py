"""The reconciliation screen: unmatched lines with their suggestions, ignore."""

import pytest
from django.urls import reverse

from accounts.models import Role
from backoffice.tests.builders import change_url, command_url, rival_world, staff
from banking.tests.factories import import_lines
from invoices.tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db
LIST = reverse("admin:banking_bankline_changelist")


@pytest.fixture
def finance(organization):
    return staff(organization, Role.FINANCE)


def test_the_list_shows_unmatched_lines_with_their_suggestions(client, organization, finance):
    invoice = InvoiceFactory(organization=organization, sent=True, total="75.00")
    unmatched, ignored = import_lines(
        organization,
        {"amount": "75.00", "text": "thanks", "name": "Zeta Ltd", "currency": "USD"},
        {"amount": "12.00", "text": "fee", "currency": "USD"},
    )
    ignored.ignore(actor=finance)
    client.force_login(finance)
    page = client.get(LIST).content.decode()
    assert "Zeta Ltd" in page
    assert "fee" not in page
    assert f"{command_url(unmatched, 'match')}?invoice={invoice.pk}" in page
    assert invoice.number in page
    # Every status is one click away.
    assert "fee" in client.get(LIST, {"status": "all"}).content.decode()
    assert "Zeta Ltd" not in client.get(LIST, {"status": "ignored"}).content.decode()


def test_ignore_button_and_bulk_action_go_through_the_model(client, organization, finance):
    first, second = import_lines(organization, {"amount": "5.00"}, {"amount": "6.00"})
    client.force_login(finance)
    assert 'data-command="ignore"' in client.get(change_url(first)).content.decode()
    client.post(command_url(first, "ignore"), {})
    first.refresh_from_db()
    assert first.status == "ignored"
    assert first.history.latest("history_id").history_user == finance
    assert 'data-command="ignore"' not in client.get(change_url(first)).content.decode()
    client.post(LIST, {"action": "ignore", "_selected_action": [second.pk]})
    second.refresh_from_db()
    assert second.status == "ignored"


def test_viewers_see_lines_but_no_button(client, organization):
    (line,) = import_lines(organization, {"amount": "5.00"})
    viewer = staff(organization, Role.VIEWER)
    client.force_login(viewer)
    assert 'data-command="ignore"' not in client.get(change_url(line)).content.decode()
    client.post(command_url(line, "ignore"), {})
    line.refresh_from_db()
    assert line.status == "unmatched"


def test_another_organizations_lines_are_not_there(client, finance):
    rival, _ = rival_world()
    (line,) = import_lines(rival, {"amount": "5.00", "name": "Rival Payer"})
    client.force_login(finance)
    assert "Rival Payer" not in client.get(LIST).content.decode()
    assert client.get(change_url(line)).status_code in (302, 404)
    assert client.post(command_url(line, "ignore"), {}).status_code == 404
    line.refresh_from_db()
    assert line.status == "unmatched"


def test_a_suggestions_link_opens_the_match_page_and_confirming_records_the_receipt(
    client, organization, finance
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="75.00")
    other = InvoiceFactory(organization=organization, sent=True, total="90.00")
    (line,) = import_lines(organization, {"amount": "75.00", "currency": "USD"})
    client.force_login(finance)
    page = client.get(command_url(line, "match"), {"invoice": other.pk}).content.decode()
    assert f'value="{other.pk}"' in page
    # Without a choice, the best suggestion is chosen: the invoice of exactly the amount.
    page = client.get(command_url(line, "match")).content.decode()
    assert f'value="{invoice.pk}"' in page
    client.post(command_url(line, "match"), {"invoice": invoice.pk, "amount": "75.00"})
    line.refresh_from_db()
    assert line.status == "matched"
    assert line.receipt.created_by == finance
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert 'data-command="match"' not in client.get(change_url(line)).content.decode()


def test_match_page_refusals_change_nothing(client, organization, finance):
    _, rival_invoice = rival_world()
    invoice = InvoiceFactory(organization=organization, sent=True, total="75.00")
    (line,) = import_lines(organization, {"amount": "75.00", "currency": "USD"})
    client.force_login(finance)
    for chosen in (
        {"invoice": rival_invoice.pk, "amount": "75.00"},
        {"invoice": invoice.pk, "amount": "80.00"},
    ):
        response = client.post(command_url(line, "match"), chosen)
        assert response.status_code == 200
        assert "errorlist" in response.content.decode()
    line.refresh_from_db()
    assert line.status == "unmatched"
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0
