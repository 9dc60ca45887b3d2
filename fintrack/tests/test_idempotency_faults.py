"""Idempotency when things break (spec 11): faults between the work and its answer, the
lease of a claim, and which answers are not stored. Every outcome must be recoverable with
the same key, and nothing is ever done twice."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, connections
from django.utils import timezone

from accounts.models import Role
from api.models import IdempotencyKey, IdempotencyKeyStatus
from fintrack.tests.helpers import error_code
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment

pytestmark = pytest.mark.django_db

BODY = {"amount": "10.00", "method": "card"}


def pay_url(invoice):
    return f"/api/v1/invoices/{invoice.pk}/pay/"


def post(client, url, body=BODY, key="key-1", **headers):
    return client.post(url, body, HTTP_IDEMPOTENCY_KEY=key, **headers)


@pytest.fixture
def invoice(organization):
    return InvoiceFactory(organization=organization, sent=True, total="100.00")


@pytest.fixture
def client(api, finance_user):
    """An API client that shows 500s as answers instead of re-raising them."""
    client = api(finance_user)
    client.raise_request_exception = False
    return client


def assert_service_unavailable(response):
    assert response.status_code == 503
    assert error_code(response) == "service_unavailable"
    assert int(response["Retry-After"]) > 0


def assert_paid_once(invoice, response):
    """The retry did the work, once, and the key now replays its answer."""
    assert response.status_code == 201, response.content
    assert "Idempotent-Replayed" not in response
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("10.00")
    assert IdempotencyKey.objects.get().status == IdempotencyKeyStatus.COMPLETED


def assert_nothing_paid(invoice):
    assert not Payment.objects.filter(invoice=invoice).exists()
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("0.00")


# --- the answer is stored with the work, or neither is ------------------------------------


@pytest.mark.parametrize(
    ("failure", "status"),
    [(OperationalError("server closed the connection unexpectedly"), 503), (RuntimeError, 500)],
)
def test_store_failing_after_the_work_rolls_the_work_back_and_the_same_key_recovers(
    client, invoice, monkeypatch, failure, status
):
    def store_fails(self, **answer):
        raise failure

    monkeypatch.setattr(IdempotencyKey, "store", store_fails)
    response = post(client, pay_url(invoice))
    assert response.status_code == status
    if status == 503:
        assert_service_unavailable(response)
    assert_nothing_paid(invoice)
    assert not IdempotencyKey.objects.exists()  # released: the retry need not wait

    monkeypatch.undo()
    retry = post(client, pay_url(invoice))
    assert_paid_once(invoice, retry)
    replay = post(client, pay_url(invoice))
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == retry.content
    assert Payment.objects.count() == 1


def test_database_error_inside_the_work_is_503_not_stored(client, invoice, monkeypatch):
    def pay_loses_the_database(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(Payment, "pay", pay_loses_the_database)
    assert_service_unavailable(post(client, pay_url(invoice)))
    assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    assert_paid_once(invoice, post(client, pay_url(invoice)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_connection_dropped_between_the_work_and_its_answer_leaves_it_undone_and_retryable(
    api, user_in, organization, monkeypatch
):
    """The connection is killed (as by a PostgreSQL restart) after the payment was written
    but before its answer was: the transaction never commits, and the retry pays once."""
    client = api(user_in(Role.FINANCE, organization))
    client.raise_request_exception = False
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    real_store = IdempotencyKey.store
    killed = []

    def drop_connection_then_store(self, **answer):
        assert Payment.objects.filter(invoice=invoice).exists()  # the work is done
        victim = connection.connection.info.backend_pid
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [victim])
                killed.append(cursor.fetchone()[0])
        finally:
            other.close()
        return real_store(self, **answer)

    monkeypatch.setattr(IdempotencyKey, "store", drop_connection_then_store)
    response = post(client, pay_url(invoice))
    assert killed == [True]
    assert_service_unavailable(response)
    assert_nothing_paid(invoice)

    monkeypatch.undo()
    assert_paid_once(invoice, post(client, pay_url(invoice)))
    assert post(client, pay_url(invoice))["Idempotent-Replayed"] == "true"
    assert Payment.objects.filter(invoice=invoice).count() == 1


# --- the lease ---------------------------------------------------------------------------


def test_a_claim_whose_owner_died_is_taken_over_after_the_lease(client, invoice, monkeypatch):
    def worker_dies(*args, **kwargs):
        raise RuntimeError("worker killed")

    # A killed worker neither commits nor releases: its claim is all that is left.
    monkeypatch.setattr(Payment, "pay", worker_dies)
    monkeypatch.setattr(IdempotencyKey, "release", lambda self: None)
    assert post(client, pay_url(invoice)).status_code == 500
    monkeypatch.undo()
    assert IdempotencyKey.objects.get().status == IdempotencyKeyStatus.IN_PROGRESS

    # Within the lease the key is in use (and that answer is not pinned to the key).
    busy = post(client, pay_url(invoice))
    assert busy.status_code == 409
    assert error_code(busy) == "idempotency_key_in_use"
    assert_nothing_paid(invoice)

    IdempotencyKey.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert_paid_once(invoice, post(client, pay_url(invoice)))


def test_a_request_that_outlived_its_lease_cannot_commit_its_work(client, invoice, monkeypatch):
    """The first request stalls after its claim until the lease is gone and a retry took
    the key over and paid; when it resumes it is refused and pays nothing."""
    real_claim = IdempotencyKey.claim.__func__
    successor = []

    def claim_then_stall(cls, **request):
        claimed, existing = real_claim(cls, **request)
        if claimed is not None and not successor:
            successor.append(None)
            cls.objects.filter(pk=claimed.pk).update(
                lease_expires_at=timezone.now() - timedelta(seconds=1)
            )
            successor[0] = post(client, pay_url(invoice))
        return claimed, existing

    monkeypatch.setattr(IdempotencyKey, "claim", classmethod(claim_then_stall))
    stalled = post(client, pay_url(invoice))
    monkeypatch.undo()

    assert stalled.status_code == 409
    assert error_code(stalled) == "idempotency_key_in_use"
    assert_paid_once(invoice, successor[0])
    replay = post(client, pay_url(invoice))
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == successor[0].content


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_live_request_past_its_lease_keeps_its_key(
    api, user_in, organization, settings, monkeypatch
):
    """The lease only frees the keys of dead requests: one still working holds its key's
    row lock, so a retry is told the key is in use instead of paying a second time."""
    settings.IDEMPOTENCY_KEY_LEASE = timedelta(0)  # every claim is past its lease at once
    user = user_in(Role.FINANCE, organization)
    invoice = InvoiceFactory(organization=organization, sent=True, total="100.00")
    real_pay = Payment.pay
    working, finish = threading.Event(), threading.Event()
    answers = {}

    def slow_pay(*args, **kwargs):
        working.set()
        finish.wait(30)
        return real_pay(*args, **kwargs)

    def first_request():
        try:
            answers["first"] = post(api(user), pay_url(invoice))
        finally:
            connection.close()

    monkeypatch.setattr(Payment, "pay", slow_pay)
    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert working.wait(30)
        retry = post(api(user), pay_url(invoice))
    finally:
        finish.set()
        thread.join()
    monkeypatch.undo()

    assert retry.status_code == 409
    assert error_code(retry) == "idempotency_key_in_use"
    assert_paid_once(invoice, answers["first"])


def test_lease_setting_is_at_most_sixty_seconds(settings):
    assert timedelta(0) < settings.IDEMPOTENCY_KEY_LEASE <= timedelta(seconds=60)


# --- answers that depend on the moment are not stored --------------------------------------


def test_412_is_not_stored_so_the_retry_with_the_right_version_runs(finance_api, organization):
    invoice = InvoiceFactory(organization=organization)
    url = f"/api/v1/invoices/{invoice.pk}/send/"
    stale = post(finance_api, url, {}, HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    assert not IdempotencyKey.objects.exists()
    fresh = post(finance_api, url, {}, HTTP_IF_MATCH='"1"')
    assert fresh.status_code == 200, fresh.content
    assert "Idempotent-Replayed" not in fresh
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.SENT


def test_409_concurrent_modification_is_not_stored(finance_api, invoice, monkeypatch):
    from core.errors import ConcurrentModification

    def lost_a_race(*args, **kwargs):
        raise ConcurrentModification()

    monkeypatch.setattr(Payment, "pay", lost_a_race)
    response = post(finance_api, pay_url(invoice))
    assert response.status_code == 409
    assert error_code(response) == "concurrent_modification"
    assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    assert_paid_once(invoice, post(finance_api, pay_url(invoice)))


def test_a_refused_request_leaves_no_partial_work_behind(finance_api, invoice, monkeypatch):
    """A 4xx rolls back everything the request wrote, even outside the model method."""
    real_pay = Payment.pay

    def pay_then_refuse(*args, **kwargs):
        real_pay(*args, **kwargs)
        from core.errors import InvalidStatus

        raise InvalidStatus()

    monkeypatch.setattr(Payment, "pay", pay_then_refuse)
    response = post(finance_api, pay_url(invoice))
    assert response.status_code == 409
    assert error_code(response) == "invalid_status"
    assert_nothing_paid(invoice)
    # A refusal that describes the request is stored and replayed.
    assert IdempotencyKey.objects.get().response_status == 409
    monkeypatch.undo()
    assert post(finance_api, pay_url(invoice))["Idempotent-Replayed"] == "true"
    assert_nothing_paid(invoice)
