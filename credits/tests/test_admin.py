"""Credit notes and write-offs in the admin (spec 12 and 14): the invoice page's actions
run the model commands with the staff user as actor; the rows are view-only and scoped."""

from decimal import Decimal

import pytest

from accounts.models import Role
from audit.tests.test_admin import messages_of, staff, url
from credits.models import CreditNote, CreditNoteSequence, WriteOff
from credits.tests.factories import credit, write_off
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user(organization):
    return staff(organization)


@pytest.fixture
def client_a(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def sent(organization):
    return InvoiceFactory(organization=organization, sent=True, total="100.00")


def credit_note_action(client, invoice, **fields):
    data = {
        "action": "credit_note",
        "_selected_action": [invoice.pk],
        "description": "Overbilled",
        "quantity": "1",
        "unit_price": "25.00",
        "discount_percent": "0",
        "tax_rate": "0",
        "reason": "Overbilled",
        "apply": "1",
        **fields,
    }
    return client.post(url(Invoice, "changelist"), data, follow=True)


def test_credit_note_action_issues_through_the_model(client_a, staff_user, sent):
    credit_note_action(client_a, sent)
    note = CreditNote.objects.get()
    assert (note.total, note.created_by) == (Decimal("25.00"), staff_user)
    assert note.history.get().history_user == staff_user
    sent.refresh_from_db()
    assert (sent.status, sent.credited_total) == ("partially_paid", Decimal("25.00"))


def test_credit_note_action_refusal_is_a_message_and_changes_nothing(client_a, sent):
    response = credit_note_action(client_a, sent, unit_price="100.01")
    assert any("tax rate" in message for message in messages_of(response))
    assert not CreditNote.objects.exists()


def test_write_off_action(client_a, staff_user, sent):
    client_a.post(
        url(Invoice, "changelist"),
        {"action": "write_off", "_selected_action": [sent.pk], "reason": "Gone", "apply": "1"},
    )
    row = WriteOff.objects.get()
    assert (row.amount, row.created_by) == (Decimal("100.00"), staff_user)
    sent.refresh_from_db()
    assert sent.status == "uncollectible"


def test_money_actions_need_a_verified_email_when_required(client, organization, sent, settings):
    settings.EMAIL_VERIFICATION = "required"
    client.force_login(staff(organization, email_verified=False))
    response = credit_note_action(client, sent)
    assert "Verify your e-mail address" in response.content.decode()
    client.post(
        url(Invoice, "changelist"),
        {"action": "write_off", "_selected_action": [sent.pk], "reason": "Gone", "apply": "1"},
    )
    assert not CreditNote.objects.exists()
    assert not WriteOff.objects.exists()


def test_api_money_actions_need_a_verified_email_when_required(
    api, user_in, organization, sent, settings
):
    settings.EMAIL_VERIFICATION = "required"
    user = user_in(Role.FINANCE, organization, email_verified=False)
    client = api(user, organization)
    response = client.post(
        f"/api/v1/invoices/{sent.pk}/credit-notes/",
        {"lines": [{"description": "x", "quantity": "1", "unit_price": "1"}], "reason": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert client.post(f"/api/v1/invoices/{sent.pk}/write-off/", {"reason": "x"}).status_code == 403
    assert not CreditNote.objects.exists()
    assert not WriteOff.objects.exists()


def test_viewers_cannot_run_the_actions(client, organization, sent):
    client.force_login(staff(organization, role=Role.VIEWER))
    credit_note_action(client, sent)
    assert not CreditNote.objects.exists()


def test_credit_notes_and_write_offs_are_view_only_and_scoped(
    client_a, organization, other_organization, sent
):
    note = credit(sent, "5.00")
    foreign = InvoiceFactory(organization=other_organization, sent=True)
    foreign_note = credit(foreign, "1.00")
    write_off(foreign)
    listing = client_a.get(url(CreditNote, "changelist"))
    assert listing.status_code == 200
    assert note.number in listing.content.decode()
    assert client_a.get(url(CreditNote, "change", note.pk)).status_code == 200
    assert client_a.get(url(CreditNote, "change", foreign_note.pk)).status_code in (302, 404)
    assert client_a.get(url(CreditNote, "add")).status_code == 403
    assert client_a.get(url(CreditNote, "delete", note.pk)).status_code == 403
    assert client_a.get(url(WriteOff, "changelist")).status_code == 200
    assert "Gone" not in client_a.get(url(WriteOff, "changelist")).content.decode()
    assert client_a.get(url(CreditNoteSequence, "changelist")).status_code == 200
