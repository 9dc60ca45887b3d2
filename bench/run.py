"""FinTrack benchmarks: speed and memory of the API on a realistic book.

    .venv/bin/python bench/run.py [--invoices 2000] [--runs 20] [--payments 200]

Runs against its own throwaway database, created and dropped by Django's test-database
machinery: a temporary SQLite file by default, or `test_<name>` on the server of
DATABASE_URL (the database named in DATABASE_URL itself is never written). Requests go
through Django's test Client with a real JWT, so the whole stack (middleware, auth,
tenancy, serializers) is measured. See bench/README.md for the figures and how to read them.
"""

import argparse
import gc
import logging
import os
import platform
import random
import resource
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CUSTOMERS = 50
LINES_PER_INVOICE = 5
# Invoices built through the domain methods (the rest by bulk insert), and timed.
DOMAIN_SAMPLE = 100
SMALL_FRACTION = 4  # exports are also measured on a book of N / 4 invoices

# Share of invoices per outcome; "open" takes the rest. paid + refunded ~ a third.
OUTCOMES = (
    ("draft", 0.04),
    ("void", 0.03),
    ("paid", 0.30),
    ("refunded", 0.04),
    ("partial", 0.15),
    ("reversed", 0.01),
)
CURRENCY_MIX = ["USD"] * 40 + ["EUR"] * 6 + ["GBP"] * 2 + ["JPY"] * 2
PRODUCTS = [
    ("Consulting (hours)", "95.00"),
    ("Support plan, monthly", "450.00"),
    ("Barcode scanner", "129.00"),
    ("On-site installation", "780.00"),
    ("Training seat", "320.00"),
    ("Cloud storage 1 TB", "12.50"),
    ("Travel expenses", "240.00"),
    ("License renewal", "1990.00"),
]
METHODS = ["bank_transfer", "bank_transfer", "card", "cheque", "cash"]


# --- Django setup ----------------------------------------------------------------------


def setup_django(workdir):
    """Production-like settings (DEBUG off) on a fresh test database; returns its name."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fintrack.settings")
    os.environ["DEBUG"] = "0"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)

    import django
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        # Never the project's db.sqlite3: a file in a temporary directory, same options.
        database["NAME"] = str(Path(workdir) / "bench.sqlite3")
        database.setdefault("TEST", {})["NAME"] = str(Path(workdir) / "bench.sqlite3")
    django.setup()

    from django.db import connection

    return connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def teardown_database(name):
    from django.db import connection

    connection.creation.destroy_test_db(name, verbosity=0)


# --- the book --------------------------------------------------------------------------


@dataclass
class Planned:
    """One invoice to build: its outcome, customer, dates, line inputs and money moves."""

    outcome: str
    customer: object
    issue_date: object
    lines: list
    moves: list = field(default_factory=list)  # (kind, amount, received_on)


class BookBuilder:
    """Builds the organization's book deterministically (seeded), in stages."""

    def __init__(self, seed=42):
        from accounts.models import Organization, User
        from customers.models import Customer

        self.rng = random.Random(seed)
        self.actor = User.objects.system_actor()
        self.user = User.objects.create_user("bench@fintrack.test", name="Bench Finance")
        self.organization = Organization.register(
            admin=self.user,
            actor=self.actor,
            name="Bench Trading Co",
            base_currency="USD",
            invoice_prefix="BEN",
            country="US",
        )
        self.today = self.organization.today()
        self.customers = []
        for index in range(CUSTOMERS):
            customer = Customer(
                organization=self.organization,
                name=f"Customer {index:02d} {self.rng.choice(['Ltd', 'GmbH', 'Inc', 'SA'])}",
                email=f"ap{index}@customer.example",
                country="US",
                currency=CURRENCY_MIX[index % len(CURRENCY_MIX)],
                payment_terms_days=self.rng.choice([14, 30, 30, 30, 45, 60]),
            )
            customer._history_user = self.actor
            customer.save()
            self.customers.append(customer)
        self.built = 0
        # Planned partial amounts, and how many SQLite's CHECK would have refused.

    # planning (shared by both builders, so both produce the same kind of book)

    def plan(self):
        draw, outcome = self.rng.random(), "open"
        for name, share in OUTCOMES:
            if draw < share:
                outcome = name
                break
            draw -= share
        customer = self.rng.choice(self.customers)
        lines = []
        for _ in range(LINES_PER_INVOICE):
            description, price = self.rng.choice(PRODUCTS)
            if customer.currency == "JPY":
                price = str(int(Decimal(price) * 150))
            lines.append(
                {
                    "description": description,
                    "quantity": Decimal(self.rng.choice(["1", "2", "3", "5", "12.5", "40"])),
                    "unit_price": Decimal(price),
                    "discount_percent": Decimal(self.rng.choice(["0", "0", "0", "5", "10"])),
                    "tax_rate": Decimal(self.rng.choice(["0", "8.5", "20"])),
                }
            )
        issue_date = None
        if outcome != "draft":
            issue_date = self.today - timedelta(days=self.rng.randint(0, 365))
        return Planned(outcome, customer, issue_date, lines)

    def plan_moves(self, planned, total, currency):
        """Payments, refunds and reversals for an invoice of `total` (known once built)."""
        from core.money import quantize

        def day():
            return min(self.today, planned.issue_date + timedelta(days=self.rng.randint(0, 45)))

        outcome = planned.outcome
        if outcome in ("paid", "refunded") and self.rng.random() < 0.3:
            first = quantize(total / 2, currency)
            planned.moves += [("payment", first, day()), ("payment", total - first, day())]
        elif outcome in ("paid", "refunded", "reversed"):
            planned.moves.append(("payment", total, day()))
        elif outcome == "partial":
            share = Decimal(self.rng.randint(20, 80)) / 100
            amount = quantize(total * share, currency)
            planned.moves.append(("payment", amount, day()))
        if outcome == "refunded":
            amount = quantize(total / 4, currency)
            planned.moves.append(("refund", amount, self.today))
        if outcome == "reversed":
            planned.moves.append(("reversal", total, self.today))

    # building through the domain methods (timed: the cost of the real write path)

    def build_with_domain(self, count):
        from invoices.models import Invoice
        from payments.models import Payment

        for _ in range(count):
            planned = self.plan()
            dates = {}
            if planned.issue_date:
                terms = planned.customer.payment_terms_days
                dates = {
                    "issue_date": planned.issue_date,
                    "due_date": planned.issue_date + timedelta(days=terms),
                }
            invoice = Invoice.create_draft(
                organization=self.organization,
                customer=planned.customer,
                actor=self.actor,
                lines=planned.lines,
                reference=f"PO-{self.rng.randint(1000, 99999)}",
                **dates,
            )
            if planned.outcome != "draft":
                invoice.send(actor=self.actor)
            if planned.outcome == "void":
                invoice.void(reason="Issued in error", actor=self.actor)
            self.plan_moves(planned, invoice.total, invoice.currency)
            payment = None
            for kind, amount, received_on in planned.moves:
                if kind == "payment":
                    payment = Payment.pay(
                        invoice,
                        amount=amount,
                        method=self.rng.choice(METHODS),
                        actor=self.actor,
                        received_on=received_on,
                        reference=f"BANK-{uuid.uuid4().hex[:10]}",
                    )
                elif kind == "refund":
                    Payment.refund(invoice, amount=amount, actor=self.actor, reason="Goodwill")
                else:
                    payment.reverse(actor=self.actor, reason="Cheque bounced")
        self.built += count

    # bulk building: the same domain computations, inserted in batches with history

    def build_in_bulk(self, count):
        from django.db import transaction
        from simple_history.utils import bulk_create_with_history

        from core.money import document_minor_unit
        from invoices.models import Invoice, InvoiceSequence, InvoiceStatus
        from payments.models import Payment, PaymentKind

        with transaction.atomic():
            sequence, _ = InvoiceSequence.objects.select_for_update().get_or_create(
                organization=self.organization
            )
            planned_invoices, lines = [], []
            for _ in range(count):
                planned = self.plan()
                invoice = Invoice(
                    organization=self.organization,
                    customer=planned.customer,
                    currency=planned.customer.currency,
                    minor_unit=document_minor_unit(planned.customer.currency),
                    reference=f"PO-{self.rng.randint(1000, 99999)}",
                )
                if planned.issue_date:
                    invoice.issue_date = planned.issue_date
                    terms = planned.customer.payment_terms_days
                    invoice.due_date = planned.issue_date + timedelta(days=terms)
                built = invoice._build_lines(planned.lines)  # spec 5.2 per line
                invoice._set_totals(built)
                planned_invoices.append((planned, invoice))
                lines += built
            # Numbers in issue order, continuing the organization's gapless series.
            issued = sorted(
                (item for item in planned_invoices if item[0].outcome != "draft"),
                key=lambda item: item[0].issue_date,
            )
            for planned, invoice in issued:
                sequence.last_number += 1
                invoice.number = InvoiceSequence.format_number(
                    self.organization.invoice_prefix, sequence.last_number
                )
                invoice.status = InvoiceStatus.SENT
                invoice.sent_at = datetime.combine(planned.issue_date, datetime.min.time(), UTC)
                if planned.outcome == "void":
                    invoice.status = InvoiceStatus.VOID
                    invoice.voided_at = invoice.sent_at + timedelta(days=1)
                    invoice.void_reason = "Issued in error"
                self.plan_moves(planned, invoice.total, invoice.currency)
                apply_moves(invoice, planned.moves)
            sequence.save(update_fields=["last_number"])
            invoices = [invoice for _, invoice in planned_invoices]
            bulk_create_with_history(invoices, Invoice, batch_size=500, default_user=self.actor)
            bulk_create_with_history(
                lines, type(lines[0]), batch_size=1000, default_user=self.actor
            )
            payments, reversals = [], []
            for planned, invoice in planned_invoices:
                original = None
                for kind, amount, received_on in planned.moves:
                    row = Payment(
                        organization=self.organization,
                        invoice=invoice,
                        kind=kind,
                        amount=amount if kind == PaymentKind.PAYMENT else -amount,
                        currency=invoice.currency,
                        received_on=received_on,
                        created_by=self.actor,
                    )
                    if kind == PaymentKind.PAYMENT:
                        row.method = self.rng.choice(METHODS)
                        row.reference = f"BANK-{uuid.uuid4().hex[:10]}"
                        original = row
                        payments.append(row)
                    elif kind == PaymentKind.REFUND:
                        row.reason = "Goodwill"
                        payments.append(row)
                    else:
                        row.method, row.reverses = original.method, original
                        row.reason = "Cheque bounced"
                        reversals.append(row)
            bulk_create_with_history(payments, Payment, batch_size=1000, default_user=self.actor)
            if reversals:
                bulk_create_with_history(
                    reversals, Payment, batch_size=1000, default_user=self.actor
                )
        self.built += count


def float_exact(total, paid):
    """Whether `total - paid` is exact in binary floating point, as SQLite computes it.

    SQLite stores DECIMAL columns as REAL; the balance CHECK constraint rounds to the
    stored scale so such payments are accepted (the probe below keeps that honest).
    """
    return float(total) - float(paid) == float(total - paid)


def apply_moves(invoice, moves):
    """What `Invoice.apply_payments` derives from the rows, for rows not yet inserted."""
    from invoices.models import InvoiceStatus, status_for_amount_paid

    if invoice.status == InvoiceStatus.VOID:
        return
    paid = sum(amount if kind == "payment" else -amount for kind, amount, _ in moves)
    invoice.amount_paid = paid
    invoice.balance_due = invoice.total - paid
    invoice.status = status_for_amount_paid(paid, invoice.total)
    if invoice.status == InvoiceStatus.PAID:
        last_day = max(day for _, _, day in moves)
        invoice.paid_at = datetime.combine(last_day, datetime.min.time(), UTC)


# --- measuring -------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.rows = []

    def section(self, title):
        self.rows.append((title, None, None))

    def add(self, name, value, detail=""):
        self.rows.append((name, value, detail))

    def print(self):
        width = max(len(name) for name, value, _ in self.rows if value is not None) + 2
        for name, value, detail in self.rows:
            if value is None:
                print(f"\n{name}\n{'-' * len(name)}")
            else:
                print(f"  {name:<{width}}{value:>14}  {detail}")


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def mib(size):
    return f"{size / 2**20:.2f} MiB"


class Bench:
    def __init__(self, user, runs):
        self.user = user
        self.runs = runs

    def client(self):
        """A test Client with a fresh access token (it lives 15 minutes)."""
        from django.test import Client
        from rest_framework_simplejwt.tokens import RefreshToken

        token = RefreshToken.for_user(self.user).access_token
        return Client(headers={"authorization": f"Bearer {token}"})

    @staticmethod
    def consume(response, url, collect_every=0):
        """Read the body chunk by chunk (never joined); returns (bytes, lines).

        `collect_every` > 0 runs a full garbage collection every that many chunks: a
        diagnostic telling memory held by unreachable reference cycles from live memory.
        """
        if response.status_code != 200:
            raise SystemExit(f"GET {url} -> {response.status_code}: {response.content[:500]!r}")
        if not response.streaming:
            return len(response.content), response.content.count(b"\n")
        size = newlines = 0
        for index, chunk in enumerate(response.streaming_content, start=1):
            size += len(chunk)
            newlines += chunk.count(b"\n")
            if collect_every and index % collect_every == 0:
                gc.collect()
        return size, newlines

    def get(self, client, url, collect_every=0):
        return self.consume(client.get(url), url, collect_every)

    def queries(self, action):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            action()
        return len(captured)

    def latency(self, url, runs=None):
        """(median seconds, max seconds, query count, response bytes) of GET `url`."""
        client = self.client()
        size, _ = self.get(client, url)  # warm-up: first-request imports and caches
        times = []
        for _ in range(runs or self.runs):
            start = time.perf_counter()
            self.get(client, url)
            times.append(time.perf_counter() - start)
        count = self.queries(lambda: self.get(client, url))
        return statistics.median(times), max(times), count, size

    def export(self, url, runs=3):
        """(median seconds, peak traced bytes, query count, bytes, lines) of an export.

        Timed without tracemalloc (it slows allocation-heavy code several-fold); the
        peak comes from a separate run that consumes the stream the same way.
        """
        client = self.client()
        self.get(client, url)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            size, lines = self.get(client, url)
            times.append(time.perf_counter() - start)
        count = self.queries(lambda: self.get(client, url))
        return statistics.median(times), self.peak(client, url), count, size, lines

    def peak(self, client, url, collect_every=0):
        """Peak traced Python memory while requesting and consuming `url`."""
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        self.get(client, url, collect_every)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak


def measure_exports(bench, report, label):
    results = {}
    for fmt in ("csv", "xlsx"):
        seconds, peak, count, size, lines = bench.export(f"/api/v1/invoices/?format={fmt}")
        results[fmt] = peak
        rows = f"{lines - 1} rows, " if fmt == "csv" else ""
        report.add(
            f"{fmt.upper()} export, {label}: time",
            ms(seconds),
            f"median of 3; {rows}{size / 1024:.0f} KiB; {count} queries",
        )
        report.add(f"{fmt.upper()} export, {label}: peak", mib(peak), "tracemalloc peak")
    return results


def measure_payments(bench, report, organization, count):
    """`count` sequential POST .../pay/ of 1 (USD 1.00, JPY 1) on open invoices, each
    with its own Idempotency-Key as a well-behaved client sends."""
    from core.money import format_plain
    from invoices.models import Invoice, InvoiceStatus

    targets = list(
        Invoice.objects.filter(
            organization=organization, status=InvoiceStatus.SENT, balance_due__gt=count
        ).values_list("pk", "currency")[:count]
    )
    if not targets:
        report.add("pay", "skipped", "no open invoice")
        return
    client = bench.client()

    def pay(index):
        pk, currency = targets[index % len(targets)]
        url = f"/api/v1/invoices/{pk}/pay/"
        response = client.post(
            url,
            {"amount": format_plain(Decimal(1), currency), "method": "bank_transfer"},
            content_type="application/json",
            headers={"idempotency-key": uuid.uuid4().hex},
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    statuses = {}
    query_count = bench.queries(lambda: pay(0))
    times = []
    start = time.perf_counter()
    with quiet_request_log():
        for index in range(1, count + 1):
            before = time.perf_counter()
            pay(index)
            times.append(time.perf_counter() - before)
    elapsed = time.perf_counter() - start
    failed = {code: n for code, n in statuses.items() if code != 201}
    report.add(
        f"POST pay x{count} (sequential)",
        f"{count / elapsed:.0f} /s",
        f"median {ms(statistics.median(times))}, max {ms(max(times))}; "
        f"{query_count} queries each; {len(targets)} invoices"
        + (f"; NOT 201: {failed}" if failed else ""),
    )


@contextmanager
def quiet_request_log():
    """A deliberate 500 is counted in the table, not printed as a traceback."""
    logger = logging.getLogger("django.request")
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = False


def probe_float_check(bench, report, organization):
    """POST pay of a valid amount whose balance binary floating point cannot represent
    exactly: both databases must answer 201 (a regression probe for SQLite's REAL)."""
    from core.money import exponent, format_plain
    from invoices.models import Invoice, InvoiceStatus

    invoice = (
        Invoice.objects.filter(organization=organization, status=InvoiceStatus.SENT, currency="USD")
        .order_by("pk")
        .first()
    )
    amount = (invoice.balance_due / 2).quantize(exponent("USD"))
    while float_exact(invoice.total, invoice.amount_paid + amount):
        amount += exponent("USD")
    client = bench.client()
    client.raise_request_exception = False
    with quiet_request_log():
        response = client.post(
            f"/api/v1/invoices/{invoice.pk}/pay/",
            {"amount": format_plain(amount, "USD"), "method": "card"},
            content_type="application/json",
        )
    report.add(
        "POST pay, float-inexact balance",
        f"HTTP {response.status_code}",
        f"pay {amount} on total {invoice.total:.2f} USD (balance {invoice.balance_due:.2f})",
    )


def verify_ledger():
    """Time `manage.py verify_ledger`; a violation means the bench built a wrong book."""
    from django.core.management import CommandError, call_command

    out = StringIO()
    start = time.perf_counter()
    try:
        call_command("verify_ledger", stdout=out, stderr=out)
    except CommandError as error:
        raise SystemExit(f"{out.getvalue()}\n{error}") from None
    return time.perf_counter() - start, out.getvalue().strip()


# --- main ------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=2000, help="book size (default 2000)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per GET (default 20)")
    parser.add_argument("--payments", type=int, default=200, help="POST pay count (default 200)")
    args = parser.parse_args(argv)
    if args.invoices < 40:
        parser.error("--invoices must be at least 40")

    with tempfile.TemporaryDirectory(prefix="fintrack-bench-") as workdir:
        test_database = setup_django(workdir)
        try:
            run(args)
        finally:
            teardown_database(test_database)


def run(args):
    import django
    from django.db import connection

    from api.exports import ExportMixin
    from invoices.models import Invoice, InvoiceLine
    from payments.models import Payment

    report = Report()
    total_started = time.perf_counter()
    report.section(
        f"FinTrack bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {connection.vendor} "
        f"{'.'.join(map(str, connection.Database.sqlite_version_info)) if connection.vendor == 'sqlite' else connection.pg_version}"  # noqa: E501
        f", Django {django.get_version()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )

    book = BookBuilder()
    organization = book.organization
    small = args.invoices // SMALL_FRACTION
    sample = min(DOMAIN_SAMPLE, small // 2)
    start = time.perf_counter()
    book.build_with_domain(sample)
    elapsed = time.perf_counter() - start
    report.add(
        "domain create_draft+send(+pay)",
        f"{sample / elapsed:.0f} inv/s",
        f"{sample} invoices via Invoice/Payment methods in {elapsed:.1f} s",
    )
    start = time.perf_counter()
    book.build_in_bulk(small - sample)
    report.add(
        "bulk build (small book)",
        f"{time.perf_counter() - start:.1f} s",
        f"{small - sample} invoices",
    )

    bench = Bench(book.user, args.runs)
    report.section(f"Exports on the small book ({small} invoices)")
    small_peaks = measure_exports(bench, report, f"{small}")

    start = time.perf_counter()
    book.build_in_bulk(args.invoices - small)
    build_seconds = time.perf_counter() - start
    counts = (
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        Payment.objects.count(),
        Invoice.history.count() + InvoiceLine.history.count() + Payment.history.count(),
    )
    report.section(
        f"Full book: {counts[0]} invoices, {counts[1]} lines, {counts[2]} payment rows, "
        f"{counts[3]} history rows, {CUSTOMERS} customers (rest built in {build_seconds:.1f} s)"
    )
    seconds, detail = verify_ledger()
    report.add("verify_ledger (whole book)", ms(seconds), detail)

    for page_size in (25, 100):
        median, worst, count, size = bench.latency(f"/api/v1/invoices/?page_size={page_size}")
        report.add(
            f"GET invoices ?page_size={page_size}",
            ms(median),
            f"median of {args.runs}, max {ms(worst)}; {count} queries; {size / 1024:.0f} KiB",
        )
    last_page = -(-counts[0] // 100)
    median, worst, count, _ = bench.latency(f"/api/v1/invoices/?page_size=100&page={last_page}")
    report.add(
        f"GET invoices last page ({last_page})",
        ms(median),
        f"median of {args.runs}, max {ms(worst)}; {count} queries",
    )
    median, worst, count, _ = bench.latency("/api/v1/invoices/?page_size=100&search=Customer 1")
    report.add(
        "GET invoices ?search=Customer 1",
        ms(median),
        f"median of {args.runs}, max {ms(worst)}; {count} queries",
    )

    full_peaks = measure_exports(bench, report, f"{args.invoices}")
    for fmt in ("csv", "xlsx"):
        ratio = full_peaks[fmt] / small_peaks[fmt]
        report.add(
            f"{fmt.upper()} peak ratio full/small",
            f"x{ratio:.2f}",
            f"for x{args.invoices / small:.1f} rows ("
            + ("flat" if ratio < 1.5 else "grows with the row count")
            + ")",
        )
    # Same CSV export, with a full GC every export chunk (ExportMixin.export_chunk_size
    # rows): if the peak drops, the growth was garbage cycles waiting for the collector.
    collected = bench.peak(
        bench.client(), "/api/v1/invoices/?format=csv", collect_every=ExportMixin.export_chunk_size
    )
    report.add(
        f"CSV export, {args.invoices}: peak, gc",
        mib(collected),
        "diagnostic: gc.collect() every 500 rows while consuming",
    )

    report.section("Reports (whole book)")
    for name in ("summary", "aging", "revenue"):
        median, worst, count, _ = bench.latency(f"/api/v1/reports/{name}/")
        report.add(
            f"GET reports/{name}/",
            ms(median),
            f"median of {args.runs}, max {ms(worst)}; {count} queries",
        )

    report.section("Writes")
    measure_payments(bench, report, organization, args.payments)
    probe_float_check(bench, report, organization)
    seconds, detail = verify_ledger()
    report.add("verify_ledger after the payments", ms(seconds), detail)

    usage = resource.getrusage(resource.RUSAGE_SELF)
    report.section(
        f"Total {time.perf_counter() - total_started:.0f} s; process max RSS "
        f"{usage.ru_maxrss / 1024:.0f} MiB"
    )
    report.print()


if __name__ == "__main__":
    main()
