"""The queue on a real Celery worker and a real Redis (spec 16), run by `.ci/celery`.

The worker and beat are separate processes started here, on the test database; Redis is
a server of its own on `CELERY_BROKER_URL`'s port (6390 in CI), started here so that it
can be restarted without disturbing anyone's 6379. Leases are 4 s and the relay runs
every second, so a lost message comes back within seconds.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from accounts.models import User
from emails.models import EmailMessage, EmailStatus
from emails.tests.smtp import SMTPServer
from invoices.mail import queue_invoice_email
from invoices.tests.factories import InvoiceFactory
from payments.models import Payment
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.tests.receiver import Receiver

# Only `celery`: a `postgres` mark would make the PostgreSQL suite (no broker) refuse the
# skip. The worker must share the test database, which SQLite's in-memory one cannot.
pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 4
DEADLINE_SECONDS = 90


def wait_for(condition, what, timeout=DEADLINE_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class RedisServer:
    """redis-server without persistence: a restart loses every queued message."""

    def __init__(self, port):
        self.port = port
        self.process = None

    def answers(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self.answers, "redis-server", timeout=10)

    def stop(self):
        self.process.kill()
        self.process.wait()


class Processes:
    """The worker and beat, started with the test database and short leases."""

    def __init__(self, env, tmp_path):
        self.env = env
        self.tmp_path = tmp_path
        self.worker = None
        self.beat = None
        self.started = 0

    def celery(self, *args, log):
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "--app", "fintrack", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_worker(self):
        self.started += 1
        log = open(self.tmp_path / f"worker{self.started}.log", "w")  # noqa: SIM115
        # The solo pool runs the task in the worker's own process: kill -9 stops it there.
        self.worker = self.celery(
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"test{self.started}@%h",
            "--loglevel",
            "INFO",
            log=log,
        )

    def start_beat(self):
        log = open(self.tmp_path / "beat.log", "w")  # noqa: SIM115
        self.beat = self.celery(
            "beat",
            "--schedule",
            str(self.tmp_path / "beat-schedule"),
            "--loglevel",
            "INFO",
            log=log,
        )

    def kill_worker(self):
        os.kill(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def stop(self):
        for process in (self.worker, self.beat):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def logs(self):
        return "\n".join(path.read_text()[-3000:] for path in self.tmp_path.glob("*.log"))


@pytest.fixture
def redis_server():
    port = urlsplit(os.environ["CELERY_BROKER_URL"]).port or 6379
    server = RedisServer(port)
    if server.answers():
        pytest.fail(f"port {port} is taken: the test starts (and restarts) its own Redis there")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        yield server


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def celery_processes(settings, redis_server, smtp, tmp_path):
    if connection.vendor != "postgresql":
        pytest.fail("the worker shares the test database: run on PostgreSQL (.ci/celery)")
    settings.OUTBOX_LEASE = timedelta(seconds=LEASE_SECONDS)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # the receiver is on 127.0.0.1
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}{password}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}",
        "SECRET_KEY": "celery-test-secret-key-0123456789abcdef0123456789abcdef",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTBOX_RELAY_INTERVAL": "1",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "LOG_FORMAT": "text",
    }
    processes = Processes(env, tmp_path)
    yield processes
    processes.stop()
    print(processes.logs())  # shown when the test failed


def make_work(receiver, count):
    actor = User.objects.system_actor()
    first = InvoiceFactory(sent=True, total="25.00")
    organization = first.organization
    endpoint = WebhookEndpoint.create(
        organization=organization, url=receiver.url, events=["payment.created", "invoice.paid"]
    )
    receiver.secret = endpoint.secret
    invoices = [first] + [
        InvoiceFactory(organization=organization, sent=True, total="25.00")
        for _ in range(count - 1)
    ]
    for invoice in invoices:
        queue_invoice_email(invoice)  # outside a transaction: handed on at once
        Payment.pay(invoice, amount="25.00", method="cash", actor=actor)
    return endpoint


def all_done(endpoint, emails):
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    return (
        deliveries.count() == emails * 2
        and not deliveries.exclude(status=DeliveryStatus.DELIVERED).exists()
        and EmailMessage.objects.filter(status=EmailStatus.SENT).count() == emails
    )


def received_ids(receiver):
    return [event_id for event_id, _, valid, _ in receiver.received if valid]


def test_a_worker_killed_mid_delivery_loses_nothing(celery_processes, receiver, smtp):
    count = 3
    receiver.hold = threading.Event()  # the first POST waits: the worker dies inside it
    endpoint = make_work(receiver, count)
    celery_processes.start_beat()
    celery_processes.start_worker()

    wait_for(lambda: receiver.received, "the first delivery to reach the receiver")
    celery_processes.kill_worker()
    in_flight = received_ids(receiver)[0]
    hold, receiver.hold = receiver.hold, None
    hold.set()  # the receiver accepts it, but nobody is left to record that
    celery_processes.start_worker()

    wait_for(lambda: all_done(endpoint, count), "every delivery and e-mail")
    ids = received_ids(receiver)
    delivered = set(WebhookDelivery.objects.values_list("event_id", flat=True))
    assert {str(event_id) for event_id in delivered} == set(ids)  # none lost
    repeated = {event_id for event_id in ids if ids.count(event_id) > 1}
    # The delivery the worker died in was accepted but never recorded: its lease ran out
    # and the relay handed it to the new worker (the documented window of a repeat).
    assert repeated == {in_flight}
    assert len(smtp.mailbox.messages) == count  # every e-mail, once


def test_a_redis_restart_with_events_pending_loses_nothing(
    celery_processes, redis_server, receiver, smtp
):
    count = 3
    # No worker yet: the hand-offs wait in Redis, which then loses them.
    endpoint = make_work(receiver, count)
    redis_server.stop()
    redis_server.start()
    celery_processes.start_beat()
    celery_processes.start_worker()

    wait_for(lambda: all_done(endpoint, count), "every delivery and e-mail")
    ids = received_ids(receiver)
    assert len(ids) == len(set(ids)) == count * 2
    assert len(smtp.mailbox.messages) == count
