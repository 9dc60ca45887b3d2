"""`bank-statements/` and `bank-lines/` (spec 15): import, idempotent re-import, the lines'
list and filters, suggestions, ignore, roles, tenancy and every error code."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Role, User
from accounts.tests.factories import MembershipFactory, UserFactory
from banking.models import BankLine, BankStatement
from banking.tests.factories import import_lines
from banking.tests.files import camt053, camt_entry, sample, upload
from banking.views import MAX_STATEMENT_BYTES
from fintrack.tests.helpers import error_code
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment
from payments.receipts import Receipt

STATEMENTS = "/api/v1/bank-statements/"
LINES = "/api/v1/bank-lines/"
NOV_30 = date(2026, 11, 30)


def post_file(client, data, name="statement.dat", **fields):
    return client.post(STATEMENTS, {"file": upload(data, name), **fields}, format="multipart")


@pytest.mark.parametrize(
    ("name", "format_", "entries"),
    [
        ("camt053_sparkasse.xml", "camt053", 7),
        ("mt940_deutsche_bank.sta", "mt940", 7),
        ("ofx_chase.ofx", "ofx", 8),
        ("csv_export.csv", "csv", 7),
    ],
)
def test_each_sample_imports_and_a_second_import_adds_nothing(
    finance_api, organization, name, format_, entries
):
    response = post_file(finance_api, sample(name), account="DE-CSV")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "format", "account", "entries", "added", "matched"}
    assert (body["format"], body["entries"], body["added"], body["matched"]) == (
        format_,
        entries,
        entries,
        0,
    )
    # Two identical transfers on one day are two lines.
    assert BankLine.objects.filter(organization=organization).count() == entries
    again = post_file(finance_api, sample(name), account="DE-CSV").json()
    assert (again["entries"], again["added"], again["matched"]) == (entries, 0, 0)
    assert BankLine.objects.filter(organization=organization).count() == entries


def test_a_later_statement_overlapping_the_first_adds_only_its_new_entries(finance_api):
    day = NOV_30
    first = [
        camt_entry(amount="25.00", day=day, text="Beitrag", name="Verein"),
        camt_entry(amount="25.00", day=day, text="Beitrag", name="Verein"),
        camt_entry(amount="90.00", day=day, text="x", reference="REF-1"),
    ]
    assert post_file(finance_api, camt053(first)).json()["added"] == 3
    third = camt_entry(amount="25.00", day=day, text="Beitrag", name="Verein")
    later = [camt_entry(amount="7.00", day=day, text="new", reference="REF-2"), *first, third]
    assert post_file(finance_api, camt053(later)).json()["added"] == 2


def test_the_same_reference_on_another_account_is_another_line(finance_api):
    entry = [camt_entry(amount="10.00", day=NOV_30, reference="R-1")]
    post_file(finance_api, camt053(entry, iban="DE89370400440532013000"))
    assert (
        post_file(finance_api, camt053(entry, iban="DE02120300000000202051")).json()["added"] == 1
    )


def test_lines_answer_the_contract_shape_and_filter(finance_api, organization):
    statement = post_file(finance_api, sample("camt053_sparkasse.xml")).json()
    post_file(finance_api, sample("csv_export.csv"))
    body = finance_api.get(LINES, {"statement": statement["id"]}).json()
    assert body["count"] == 7
    line = body["results"][0]
    assert set(line) == {
        "id",
        "statement",
        "date",
        "amount",
        "currency",
        "reference",
        "counterparty",
        "status",
        "receipt",
        "suggestions",
    }
    assert (line["amount"], line["currency"], line["status"], line["receipt"]) == (
        "1190.00",
        "EUR",
        "unmatched",
        None,
    )
    assert line["counterparty"] == "Jürgen Weiß Büroservice"
    amounts = {row["amount"] for row in body["results"]}
    assert {"-349.25", "-80.00", "4200.50"} <= amounts
    everything = finance_api.get(LINES).json()
    assert everything["count"] == 14
    BankLine.objects.filter(amount=Decimal("-80.00")).first().ignore(actor=None)
    ignored = finance_api.get(LINES, {"status": "ignored"}).json()
    assert [row["amount"] for row in ignored["results"]] == ["-80.00"]
    assert finance_api.get(LINES, {"status": "unmatched"}).json()["count"] == 13
    assert finance_api.get(LINES, {"status": "lost"}).status_code == 400


def test_unmatched_incoming_lines_suggest_open_invoices_by_amount_then_name(
    finance_api, organization
):
    with time_machine.travel(date(2026, 11, 1)):
        exact = InvoiceFactory(
            organization=organization,
            sent=True,
            total="120.00",
            currency="EUR",
            customer__name="Zeta GmbH",
        )
        named = InvoiceFactory(
            organization=organization,
            sent=True,
            total="500.00",
            currency="EUR",
            customer__name="Müller AG",
        )
        near = InvoiceFactory(
            organization=organization,
            sent=True,
            total="130.00",
            currency="EUR",
            customer__name="Alpha SA",
        )
        InvoiceFactory(organization=organization, sent=True, total="120.00", currency="USD")
        InvoiceFactory(organization=organization, total="120.00", currency="EUR")  # a draft
    entries = [
        camt_entry(amount="120.00", day=NOV_30, text="thanks", name="Müller AG, Köln"),
        camt_entry(amount="120.00", day=NOV_30, text="fee", debit=True, name="Bank"),
    ]
    post_file(finance_api, camt053(entries))
    incoming, outgoing = finance_api.get(LINES).json()["results"]
    assert [s["invoice"] for s in incoming["suggestions"]] == [exact.pk, named.pk, near.pk]
    first = incoming["suggestions"][0]
    assert first == {
        "invoice": exact.pk,
        "number": exact.number,
        "customer": exact.customer_id,
        "customer_name": "Zeta GmbH",
        "currency": "EUR",
        "balance_due": "120.00",
    }
    assert outgoing["suggestions"] == []


def test_ignore_sets_a_line_aside_and_twice_changes_nothing(finance_api, finance_user):
    post_file(finance_api, sample("csv_export.csv"))
    line = BankLine.objects.first()
    response = finance_api.post(f"{LINES}{line.pk}/ignore/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["suggestions"]) == ("ignored", [])
    assert finance_api.post(f"{LINES}{line.pk}/ignore/").status_code == 200
    history = line.history.order_by("history_id")
    assert [row.status for row in history] == ["unmatched", "ignored"]
    assert history.last().history_user == finance_user


def test_import_is_audited_with_the_real_actor(finance_api, finance_user):
    post_file(finance_api, sample("csv_export.csv"))
    statement = BankStatement.objects.get()
    assert statement.created_by == finance_user
    assert {row.history_user for row in statement.history.all()} == {finance_user}
    assert {row.history_user for row in BankLine.history.all()} == {finance_user}


def test_a_file_over_ten_megabytes_is_refused_with_413(finance_api):
    head = b"date,amount,currency,reference,counterparty\n"
    big = head + b"2026-11-30,1.00,EUR,x,y\n" * (MAX_STATEMENT_BYTES // 24 + 1)
    assert len(big) > MAX_STATEMENT_BYTES
    response = post_file(finance_api, big)
    assert response.status_code == 413
    assert error_code(response) == "file_too_large"
    assert not BankStatement.objects.exists()


def test_a_file_of_exactly_ten_megabytes_is_read(finance_api):
    head = b"date,amount,currency,reference,counterparty\n2026-11-30,1.00,EUR,x,y\n"
    data = head + b"\n" * (MAX_STATEMENT_BYTES - len(head))
    response = post_file(finance_api, data)
    assert response.status_code == 201
    assert response.json()["added"] == 1


def test_a_ten_megabyte_file_with_an_idempotency_key_is_read_once(finance_api):
    # The key's fingerprint holds the whole body in memory: 10 MB must fit.
    head = b"date,amount,currency,reference,counterparty\n2026-11-30,1.00,EUR,x,y\n"
    data = head + b"\n" * (MAX_STATEMENT_BYTES - len(head))
    key = {"Idempotency-Key": "statement-1"}
    first = finance_api.post(STATEMENTS, {"file": upload(data)}, format="multipart", headers=key)
    again = finance_api.post(STATEMENTS, {"file": upload(data)}, format="multipart", headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert BankStatement.objects.count() == 1


def test_a_file_over_ten_megabytes_with_an_idempotency_key_is_file_too_large(finance_api):
    head = b"date,amount,currency,reference,counterparty\n"
    big = head + b"\n" * MAX_STATEMENT_BYTES
    response = finance_api.post(
        STATEMENTS,
        {"file": upload(big)},
        format="multipart",
        headers={"Idempotency-Key": "statement-2"},
    )
    assert response.status_code == 413
    assert error_code(response) == "file_too_large"
    assert not BankStatement.objects.exists()


@pytest.mark.parametrize(
    "name",
    ["camt053_malformed.xml", "mt940_malformed.sta", "ofx_malformed.ofx", "csv_malformed.csv"],
)
def test_an_unreadable_file_is_refused_and_nothing_is_kept(finance_api, name):
    response = post_file(finance_api, sample(name))
    assert response.status_code == 400
    assert error_code(response) == "invalid_statement"
    assert response.json()["errors"][0]["attr"] == "file"
    assert not BankStatement.objects.exists()
    assert not BankLine.objects.exists()


def test_a_csv_file_that_breaks_on_its_last_line_keeps_none_of_it(finance_api):
    data = (
        b"date,amount,currency,reference,counterparty\n"
        b"2026-11-30,1.00,EUR,a,b\n2026-11-30,2.00,EUR,c,d\n2026-11-31,3.00,EUR,e,f\n"
    )
    response = post_file(finance_api, data)
    assert response.status_code == 400
    assert "line 4" in response.json()["errors"][0]["detail"]
    assert not BankLine.objects.exists()


def test_nul_characters_in_a_statements_texts_are_dropped_not_a_500(finance_api):
    # PostgreSQL text cannot hold NUL; the bank's texts are kept without it.
    csv_file = b"date,amount,currency,reference,counterparty\n2026-11-30,1.00,EUR,a\x00b,c\x00\n"
    mt940 = (
        b":20:STMT\n:25:DE89370400440532013000\x00\n:28C:1\n:60F:C261129EUR0,00\n"
        b":61:2611301130CR5,00NTRFNONREF//B\x00R1\n:86:Pay\x00ment\n:62F:C261130EUR5,00\n"
    )
    for data in (csv_file, mt940):
        response = post_file(finance_api, data, account="Main")
        assert response.status_code == 201, response.content
    texts = BankLine.objects.order_by("pk").values_list(
        "account", "entry_reference", "reference", "counterparty"
    )
    assert all("\x00" not in text for row in texts for text in row)
    assert [row[2] for row in texts] == ["ab", "Payment"]


def test_no_file_is_a_validation_error(finance_api):
    response = finance_api.post(STATEMENTS, {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "file"


def test_viewers_cannot_import_nor_ignore(viewer_api, finance_api):
    post_file(finance_api, sample("csv_export.csv"))
    assert post_file(viewer_api, sample("csv_export.csv")).status_code == 403
    line = BankLine.objects.first()
    assert viewer_api.post(f"{LINES}{line.pk}/ignore/").status_code == 403
    assert viewer_api.get(LINES).json()["count"] == 7
    line.refresh_from_db()
    assert line.status == "unmatched"


def test_admins_import_too(admin_api):
    assert post_file(admin_api, sample("csv_export.csv")).status_code == 201


def test_another_organizations_lines_and_statements_are_not_there(
    finance_api, api, user_in, other_organization
):
    other = api(user_in(Role.ADMIN, other_organization))
    statement = post_file(other, sample("csv_export.csv")).json()
    line = BankLine.objects.first()
    assert finance_api.get(LINES).json()["count"] == 0
    assert finance_api.get(f"{LINES}{line.pk}/").status_code == 404
    assert finance_api.post(f"{LINES}{line.pk}/ignore/").status_code == 404
    assert finance_api.get(f"{STATEMENTS}{statement['id']}/").status_code == 404
    assert finance_api.get(LINES, {"statement": statement["id"]}).json()["count"] == 0
    # The same file in this organization is its own set of lines.
    assert post_file(finance_api, sample("csv_export.csv")).json()["added"] == 7
    line.refresh_from_db()
    assert line.status == "unmatched"


# --- matching ---------------------------------------------------------------------------


def match(client, line, customer, *allocations):
    body = {"customer": customer.pk if customer else None, "allocations": list(allocations)}
    return client.post(f"{LINES}{line.pk}/match/", body, format="json")


def test_an_incoming_line_naming_one_open_invoice_is_matched_automatically(
    finance_api, finance_user, organization
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="300.00", currency="EUR")
    spaced = invoice.number.replace("-", " ").lower()
    today = organization.today()
    entries = [
        camt_entry(amount="100.00", day=today, text=f"Payment {spaced} thanks", reference="A"),
        camt_entry(
            amount="50.00", day=today, text=f"re:{invoice.number}", debit=True, reference="B"
        ),
        camt_entry(amount="20.00", day=today, text=f"X{invoice.number}", reference="C"),
    ]
    body = post_file(finance_api, camt053(entries)).json()
    assert (body["added"], body["matched"]) == (3, 1)
    matched, outgoing, glued = BankLine.objects.order_by("position")
    assert matched.status == "matched"
    receipt = matched.receipt
    assert (receipt.amount, receipt.allocated, receipt.customer_id) == (
        Decimal("100.00"),
        Decimal("100.00"),
        invoice.customer_id,
    )
    assert (receipt.method, receipt.reference, receipt.received_on) == ("bank_transfer", "A", today)
    assert receipt.created_by == finance_user
    assert matched.history.latest("history_id").history_user == finance_user
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status) == (Decimal("100.00"), "partially_paid")
    # Money going out is never matched; a number glued to other letters is not named.
    assert (outgoing.status, glued.status) == ("unmatched", "unmatched")
    line = finance_api.get(f"{LINES}{matched.pk}/").json()
    assert (line["status"], line["receipt"], line["suggestions"]) == ("matched", receipt.pk, [])


@pytest.mark.parametrize(
    "case", ["control", "two_invoices", "over_balance", "before_issue", "other_currency", "paid"]
)
def test_lines_that_do_not_name_exactly_one_fitting_open_invoice_stay_unmatched(
    finance_api, finance_user, organization, case
):
    with time_machine.travel(date(2026, 11, 20)):
        first = InvoiceFactory(organization=organization, sent=True, total="100.00", currency="EUR")
        second = InvoiceFactory(
            organization=organization, sent=True, total="100.00", currency="EUR"
        )
    text, amount, day, currency = f"{first.number}", "100.00", NOV_30, "EUR"
    if case == "two_invoices":
        text = f"{first.number} and {second.number}"
    elif case == "over_balance":
        amount = "100.01"
    elif case == "before_issue":
        day = date(2026, 11, 19)
    elif case == "other_currency":
        currency = "USD"
    elif case == "paid":
        Payment.pay(first, amount=Decimal("100.00"), method="cash", actor=finance_user)
    entry = camt_entry(amount=amount, day=day, text=text, currency=currency, reference="R")
    body = post_file(finance_api, camt053([entry])).json()
    # The control case shows the others would have matched but for their one difference.
    assert body["matched"] == (1 if case == "control" else 0)
    assert BankLine.objects.get().status == ("matched" if case == "control" else "unmatched")


def test_match_records_a_receipt_and_a_second_match_is_409(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="80.00", currency="EUR")
    today = organization.today()
    post_file(finance_api, camt053([camt_entry(amount="100.00", day=today, text="?")]))
    line = BankLine.objects.get()
    response = match(
        finance_api, line, invoice.customer, {"invoice": invoice.pk, "amount": "80.00"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["allocated"], body["unallocated"]) == ("100.00", "80.00", "20.00")
    assert body["allocations"][0]["invoice"] == invoice.pk
    line.refresh_from_db()
    assert (line.status, line.receipt_id) == ("matched", body["id"])
    again = match(finance_api, line, invoice.customer)
    assert again.status_code == 409
    assert error_code(again) == "already_matched"
    assert finance_api.post(f"{LINES}{line.pk}/ignore/").status_code == 409
    line.refresh_from_db()
    assert (line.status, line.receipt_id) == ("matched", body["id"])


def test_match_refusals_change_nothing(finance_api, organization, api, user_in, other_organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="80.00", currency="EUR")
    stranger = InvoiceFactory(
        organization=other_organization, sent=True, total="80.00", currency="EUR"
    )
    today = organization.today()
    post_file(
        finance_api,
        camt053(
            [
                camt_entry(amount="50.00", day=today, text="in", reference="IN"),
                camt_entry(amount="50.00", day=today, text="out", reference="OUT", debit=True),
            ]
        ),
    )
    incoming, outgoing = BankLine.objects.order_by("position")
    customer = invoice.customer
    cases = [
        (outgoing, customer, [], 400, "outgoing_line"),
        (
            incoming,
            customer,
            [{"invoice": invoice.pk, "amount": "60.00"}],
            400,
            "allocation_exceeds_receipt",
        ),
        (
            incoming,
            customer,
            [{"invoice": stranger.pk, "amount": "10.00"}],
            400,
            "invalid_allocation",
        ),
        (incoming, stranger.customer, [], 400, "does_not_exist"),
        (incoming, customer, [{"invoice": invoice.pk, "amount": "1.001"}], 400, "too_precise"),
    ]
    for line, who, allocations, status_code, code in cases:
        response = match(finance_api, line, who, *allocations)
        assert response.status_code == status_code, (code, response.content)
        assert error_code(response) == code
    assert not BankLine.objects.filter(status="matched").exists()
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0
    assert not Receipt.objects.exists()


def test_an_ignored_line_can_still_be_matched(finance_api, organization):
    invoice = InvoiceFactory(organization=organization, sent=True, total="80.00", currency="EUR")
    post_file(finance_api, camt053([camt_entry(amount="80.00", day=organization.today())]))
    line = BankLine.objects.get()
    line.ignore(actor=User.objects.system_actor())
    response = match(
        finance_api, line, invoice.customer, {"invoice": invoice.pk, "amount": "80.00"}
    )
    assert response.status_code == 201
    line.refresh_from_db()
    assert line.status == "matched"


def test_viewers_cannot_match_and_other_organizations_lines_are_404(
    viewer_api, finance_api, organization, api, user_in, other_organization
):
    invoice = InvoiceFactory(organization=organization, sent=True, total="80.00", currency="EUR")
    post_file(finance_api, camt053([camt_entry(amount="80.00", day=organization.today())]))
    line = BankLine.objects.get()
    allocation = {"invoice": invoice.pk, "amount": "80.00"}
    assert match(viewer_api, line, invoice.customer, allocation).status_code == 403
    stranger = api(user_in(Role.FINANCE, other_organization))
    assert match(stranger, line, invoice.customer, allocation).status_code == 404
    line.refresh_from_db()
    assert line.status == "unmatched"


@pytest.mark.django_db
def test_an_unverified_user_may_neither_import_nor_match_when_verification_is_required(
    api, organization, settings
):
    settings.EMAIL_VERIFICATION = "required"
    user = UserFactory(email_verified=False)
    MembershipFactory(user=user, organization=organization, role=Role.FINANCE)
    client = api(user)
    response = post_file(client, sample("csv_export.csv"))
    assert response.status_code == 403
    assert error_code(response) == "email_not_verified"
    (line,) = import_lines(organization, {"amount": "5.00"})
    response = client.post(f"{LINES}{line.pk}/match/", {"customer": 1}, format="json")
    assert error_code(response) == "email_not_verified"
    assert BankStatement.objects.count() == 1
