"""Reports and the CSV export over a book of 1,000,000 invoices (`make bench-big`).

    make bench-big                                            # 1,000,000 invoices
    .venv/bin/python bench/big_book.py --invoices 20000 --runs 3   # a quick look
    .venv/bin/python bench/big_book.py --keep                 # reuse the seeded database

PostgreSQL only (`BENCH_PG`, default postgres://postgres@127.0.0.1:5432). The script drops
and re-creates its own database `fintrack_bench_big`, migrates it, creates one
organization, its admin user and 500 customers with the ORM, then seeds the book in SQL
(`INSERT … SELECT generate_series`, never the ORM): invoices in every status, two lines
each, and the payment rows that explain each invoice's `amount_paid` (one or two
instalments, refunds), then `VACUUM ANALYZE`. It measures, in-process through Django's test
`Client` with a real JWT (the very view, service and SQL the API runs):

- `GET reports/aging/` and `GET reports/summary/` against a hand-written SQL query for
  the same figures on the same database, alternating, medians of `--runs` after a warm-up
  of each; the figures of the two must be equal, or the bench stops;
- `GET invoices/?format=csv` (the whole book, streamed) in a subprocess of its own that
  reads the body chunk by chunk and reports its peak RSS (`ru_maxrss`), rows and time.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from in_process import ROOT, SERVER, run_sql, setup_django, use_database

DATABASE = "fintrack_bench_big"
CUSTOMERS = 500
# Customer slot % 20 -> currency: mostly USD, some EUR, GBP and JPY (no minor unit).
CURRENCIES = ["USD"] * 16 + ["EUR", "EUR", "GBP", "JPY"]
PEAK_RSS_GOAL_MB = 200
RATIO_GOAL = 1.5

# One row per invoice number n with its random draws; every figure derives from them, so
# an invoice's status, amounts and dates agree with each other and with its payments.
SEED_INVOICES = """
CREATE TEMP TABLE slot AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS slot, id, currency, payment_terms_days
    FROM customers_customer WHERE organization_id = %(organization)s;
SELECT setseed(0.13);
CREATE TEMP TABLE draw AS
    SELECT n, random() AS outcome, random() AS size, (random() * 730)::int AS age
    FROM generate_series(1, %(invoices)s) AS n;
INSERT INTO invoices_invoice (
    version, number, status, currency, minor_unit, issue_date, due_date, reference, notes,
    subtotal, discount_total, tax_total, total, amount_paid, balance_due,
    sent_at, paid_at, voided_at, void_reason, created_at, updated_at,
    customer_id, organization_id
)
SELECT 1,
       CASE WHEN status <> 'draft' THEN 'BIG-' || lpad(sequence::text, 7, '0') END,
       status, currency, minor_unit,
       CASE WHEN status <> 'draft' THEN issued END,
       CASE WHEN status <> 'draft' THEN issued + terms END,
       '', '',
       total, 0, 0, total, paid, total - paid,
       CASE WHEN status <> 'draft' THEN issued + TIME '09:00' END,
       CASE WHEN status = 'paid' THEN issued + TIME '09:00' + INTERVAL '10 days' END,
       CASE WHEN status = 'void' THEN issued + TIME '12:00' END,
       CASE WHEN status = 'void' THEN 'Issued in error' ELSE '' END,
       issued + TIME '08:00', issued + TIME '08:00',
       customer, %(organization)s
FROM (
    SELECT n, status, currency, minor_unit, issued, terms, customer, total,
           -- The gapless series: drafts have no number yet.
           count(*) FILTER (WHERE status <> 'draft') OVER (ORDER BY n) AS sequence,
           CASE outcome_kind
               WHEN 'paid' THEN total
               WHEN 'refunded' THEN total - round(total / 4, minor_unit)
               WHEN 'partial' THEN round(total * 2 / 5, minor_unit)
               ELSE 0
           END AS paid
    FROM (
        SELECT d.n, s.currency, s.id AS customer, s.payment_terms_days AS terms,
               CASE WHEN s.currency = 'JPY' THEN 0 ELSE 2 END AS minor_unit,
               %(today)s::date - d.age AS issued,
               round((10 + d.size * 4990)::numeric
                     * CASE WHEN s.currency = 'JPY' THEN 150 ELSE 1 END,
                     CASE WHEN s.currency = 'JPY' THEN 0 ELSE 2 END) AS total,
               CASE WHEN d.outcome < 0.04 THEN 'draft'
                    WHEN d.outcome < 0.07 THEN 'void'
                    WHEN d.outcome < 0.37 THEN 'paid'
                    WHEN d.outcome < 0.41 THEN 'refunded'
                    WHEN d.outcome < 0.56 THEN 'partial'
                    ELSE 'sent' END AS outcome_kind,
               CASE WHEN d.outcome < 0.04 THEN 'draft'
                    WHEN d.outcome < 0.07 THEN 'void'
                    WHEN d.outcome < 0.37 THEN 'paid'
                    WHEN d.outcome < 0.56 THEN 'partially_paid'
                    ELSE 'sent' END AS status
        FROM draw AS d JOIN slot AS s ON s.slot = d.n %% %(customers)s
    ) AS drawn
) AS priced
ORDER BY n;
INSERT INTO invoices_invoicesequence (organization_id, last_number)
SELECT %(organization)s, count(number) FROM invoices_invoice
WHERE organization_id = %(organization)s
ON CONFLICT (organization_id) DO UPDATE SET last_number = EXCLUDED.last_number;
"""
# Two lines per invoice summing to its total (the reports never read them; the book is
# realistic in size all the same).
SEED_LINES = """
INSERT INTO invoices_invoiceline (
    position, description, quantity, unit_price, discount_percent, tax_rate,
    amount, discount_amount, tax_amount, total, invoice_id, organization_id
)
SELECT p, CASE p WHEN 1 THEN 'Consulting' ELSE 'Licences' END, 1, amount, 0, 0,
       amount, 0, 0, amount, id, organization_id
FROM (
    SELECT i.id, i.organization_id, 1 AS p, round(i.total * 3 / 5, i.minor_unit) AS amount
    FROM invoices_invoice AS i WHERE i.organization_id = %(organization)s
    UNION ALL
    SELECT i.id, i.organization_id, 2, i.total - round(i.total * 3 / 5, i.minor_unit)
    FROM invoices_invoice AS i WHERE i.organization_id = %(organization)s
) AS lines;
"""
# The payment rows behind each amount_paid: paid invoices in one or two instalments,
# refunded ones paid in full then partly refunded, partly paid ones with one payment.
# Received dates never pass today.
SEED_PAYMENTS = """
INSERT INTO payments_payment (
    organization_id, invoice_id, kind, amount, currency, reference, method, received_on,
    reverses_id, reason, notes, created_by_id, created_at
)
SELECT organization_id, id, kind, amount, currency, '', method, received,
       NULL, reason, '', NULL, received + TIME '10:00'
FROM (
    SELECT i.organization_id, i.id, i.currency, 'payment' AS kind,
           CASE WHEN i.status = 'paid' AND i.id %% 3 = 0
                THEN round(i.total / 2, i.minor_unit) ELSE i.total END AS amount,
           'bank_transfer' AS method, '' AS reason,
           least(i.issue_date + 5, %(today)s::date) AS received
    FROM invoices_invoice AS i
    WHERE i.organization_id = %(organization)s AND i.status = 'paid'
    UNION ALL
    SELECT i.organization_id, i.id, i.currency, 'payment',
           i.total - round(i.total / 2, i.minor_unit), 'card', '',
           least(i.issue_date + 20, %(today)s::date)
    FROM invoices_invoice AS i
    WHERE i.organization_id = %(organization)s AND i.status = 'paid' AND i.id %% 3 = 0
    UNION ALL
    SELECT i.organization_id, i.id, i.currency, 'payment',
           CASE WHEN i.amount_paid > round(i.total * 2 / 5, i.minor_unit)
                THEN i.total ELSE i.amount_paid END,
           'bank_transfer', '', least(i.issue_date + 7, %(today)s::date)
    FROM invoices_invoice AS i
    WHERE i.organization_id = %(organization)s AND i.status = 'partially_paid'
    UNION ALL
    SELECT i.organization_id, i.id, i.currency, 'refund', i.amount_paid - i.total, '',
           'Goods returned', least(i.issue_date + 25, %(today)s::date)
    FROM invoices_invoice AS i
    WHERE i.organization_id = %(organization)s AND i.status = 'partially_paid'
      AND i.amount_paid > round(i.total * 2 / 5, i.minor_unit)
) AS rows
ORDER BY received, id;
"""

# --- the hand-written queries: the same figures, written straight in SQL ---------------

HAND_SUMMARY = """
SELECT currency,
       count(*) FILTER (WHERE status = 'draft') AS draft,
       count(*) FILTER (WHERE status = 'sent') AS sent,
       count(*) FILTER (WHERE status = 'partially_paid') AS partially_paid,
       count(*) FILTER (WHERE status = 'paid') AS paid,
       count(*) FILTER (WHERE status = 'void') AS void,
       coalesce(sum(total) FILTER (WHERE status IN ('sent', 'partially_paid', 'paid')), 0),
       coalesce(sum(amount_paid) FILTER (WHERE status IN ('sent', 'partially_paid', 'paid')), 0),
       coalesce(sum(balance_due) FILTER (WHERE status IN ('sent', 'partially_paid', 'paid')), 0),
       count(*) FILTER (WHERE status IN ('sent', 'partially_paid') AND balance_due > 0
                              AND due_date < %(today)s),
       coalesce(sum(balance_due) FILTER (WHERE status IN ('sent', 'partially_paid')
                                           AND balance_due > 0 AND due_date < %(today)s), 0)
FROM invoices_invoice
WHERE organization_id = %(organization)s
GROUP BY currency
ORDER BY currency
"""
HAND_AGING = """
WITH received AS (
    SELECT invoice_id, sum(amount) AS paid
    FROM payments_payment
    WHERE organization_id = %(organization)s AND received_on <= %(as_of)s
    GROUP BY invoice_id
), owed AS (
    SELECT i.currency, i.customer_id, %(as_of)s::date - i.due_date AS late,
           i.total - coalesce(r.paid, 0) AS owed
    FROM invoices_invoice AS i LEFT JOIN received AS r ON r.invoice_id = i.id
    WHERE i.organization_id = %(organization)s
      AND i.status IN ('sent', 'partially_paid', 'paid') AND i.issue_date <= %(as_of)s
)
SELECT currency, customer_id,
       coalesce(sum(owed) FILTER (WHERE late <= 0), 0),
       coalesce(sum(owed) FILTER (WHERE late BETWEEN 1 AND 30), 0),
       coalesce(sum(owed) FILTER (WHERE late BETWEEN 31 AND 60), 0),
       coalesce(sum(owed) FILTER (WHERE late BETWEEN 61 AND 90), 0),
       coalesce(sum(owed) FILTER (WHERE late > 90), 0),
       sum(owed)
FROM owed
GROUP BY currency, customer_id
HAVING sum(owed) > 0
ORDER BY currency, customer_id
"""
# The same figures the way the product reads them: an invoice owed at `as_of` its balance
# due plus what it received after `as_of` (balance_due = total - every payment row).
HAND_AGING_FROM_BALANCES = """
WITH later AS (
    SELECT invoice_id, sum(amount) AS paid
    FROM payments_payment
    WHERE organization_id = %(organization)s AND received_on > %(as_of)s
    GROUP BY invoice_id
), owed AS (
    SELECT i.currency, i.customer_id, %(as_of)s::date - i.due_date AS late,
           i.balance_due + coalesce(l.paid, 0) AS owed
    FROM invoices_invoice AS i LEFT JOIN later AS l ON l.invoice_id = i.id
    WHERE i.organization_id = %(organization)s
      AND i.status IN ('sent', 'partially_paid', 'paid') AND i.issue_date <= %(as_of)s
)
""" + HAND_AGING[HAND_AGING.index("SELECT currency, customer_id") :]
SUMMARY_COUNTS = ("draft", "sent", "partially_paid", "paid", "void")
SUMMARY_AMOUNTS = ("invoiced", "collected", "outstanding", "overdue_count", "overdue_amount")
AGING_COLUMNS = ("current", "1_30", "31_60", "61_90", "over_90", "total")


def figures(value):
    """Counts stay integers; amounts become Decimals, so "10.50" equals 10.5000."""
    return value if isinstance(value, int) else Decimal(value)


def summary_figures(report):
    return {
        entry["currency"]: (
            *(entry["counts"][status] for status in SUMMARY_COUNTS),
            *(figures(entry[key]) for key in SUMMARY_AMOUNTS),
        )
        for entry in report["currencies"]
    }


def hand_summary_figures(rows):
    # (currency, five counts, invoiced, collected, outstanding, overdue count and amount)
    return {
        row[0]: (*row[1:6], *(Decimal(amount) for amount in row[6:9]), row[9], Decimal(row[10]))
        for row in rows
    }


def aging_figures(report):
    return {
        (entry["currency"], customer["customer"]): tuple(
            Decimal(customer[column]) for column in AGING_COLUMNS
        )
        for entry in report["currencies"]
        for customer in entry["customers"]
    }


def hand_aging_figures(rows):
    return {(row[0], row[1]): tuple(Decimal(value) for value in row[2:]) for row in rows}


# --- running ------------------------------------------------------------------------------


def configure():
    use_database(DATABASE)
    # WhiteNoise's notice that collectstatic never ran: no static file is served here.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    setup_django()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="book size")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each side")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the database afterwards, and reuse one already seeded with as many invoices",
    )
    parser.add_argument("--skip-export", action="store_true", help="reports only")
    parser.add_argument(
        "--verify", action="store_true", help="run verify_ledger on the book before measuring"
    )
    parser.add_argument("--export-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows while it runs
    if args.export_child:
        configure()
        return export_child()

    fresh = not args.keep or seeded_invoices() != args.invoices
    if fresh:
        run_sql("postgres", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        run_sql("postgres", f"CREATE DATABASE {DATABASE}")
    configure()
    if fresh:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], check=True, cwd=ROOT
        )
    try:
        if fresh:
            seed(args.invoices)
        if args.verify:
            from django.core.management import call_command

            # The seed writes in SQL what the domain code would: the ledger must agree.
            call_command("verify_ledger")
        failures = measure_reports(args.runs)
        if not args.skip_export:
            failures += measure_export()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            run_sql("postgres", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    if failures:
        print("\nMISSED: " + "; ".join(failures))
    return 1 if failures else 0


def seeded_invoices():
    """The invoices in a database left by `--keep`, or None."""
    import psycopg

    try:
        with psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as connection:
            return connection.execute("SELECT count(*) FROM invoices_invoice").fetchone()[0]
    except psycopg.Error:
        return None


def seed(invoices):
    from django.db import connection

    from accounts.models import Membership, Organization, Role, User
    from customers.models import Customer

    organization = Organization.objects.create(
        name="Big Book Trading Co", base_currency="USD", invoice_prefix="BIG", country="US"
    )
    user = User.objects.create_user("big@fintrack.test", name="Big Book Finance")
    Membership.objects.create(user=user, organization=organization, role=Role.ADMIN)
    Customer.objects.bulk_create(
        Customer(
            organization=organization,
            name=f"Customer {slot:03d}",
            country="US",
            currency=CURRENCIES[slot % len(CURRENCIES)],
            payment_terms_days=(14, 30, 45, 60)[slot % 4],
        )
        for slot in range(CUSTOMERS)
    )
    parameters = {
        "organization": organization.pk,
        "invoices": invoices,
        "customers": CUSTOMERS,
        "today": organization.today(),
    }
    started = time.perf_counter()
    steps = []
    with connection.cursor() as cursor:
        for name, sql in (
            ("invoices", SEED_INVOICES),
            ("lines", SEED_LINES),
            ("payments", SEED_PAYMENTS),
        ):
            step = time.perf_counter()
            cursor.execute(sql, parameters)
            steps.append(f"{name} {time.perf_counter() - step:.0f} s")
        step = time.perf_counter()
        # What autovacuum does to a real book: statistics and the visibility map.
        for table in (
            "customers_customer",
            "invoices_invoice",
            "invoices_invoiceline",
            "payments_payment",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        steps.append(f"vacuum analyze {time.perf_counter() - step:.0f} s")
        cursor.execute(
            "SELECT (SELECT count(*) FROM invoices_invoice), "
            "(SELECT count(*) FROM invoices_invoiceline), "
            "(SELECT count(*) FROM payments_payment)"
        )
        counts = cursor.fetchone()
    print(
        f"Seeded {counts[0]:,} invoices, {counts[1]:,} lines, {counts[2]:,} payment rows "
        f"in {time.perf_counter() - started:.0f} s ({', '.join(steps)})"
    )


def api_client():
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import Membership

    membership = Membership.objects.select_related("user", "organization").get()
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(membership.user).access_token}",
        HTTP_X_ORGANIZATION=str(membership.organization_id),
    )
    return client, membership.organization


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def measure_reports(runs):
    from django.db import connection

    client, organization = api_client()
    today = organization.today()
    as_of_past = today - timedelta(days=45)  # payments received since then must not count

    def hand(sql, **extra):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, {"organization": organization.pk, "today": today, **extra})
                return cursor.fetchall()

        return run

    def product(url):
        def run():
            response = client.get(url)
            assert response.status_code == 200, response.content[:500]
            return response.json()

        return run

    # (report, product request, {hand query: runner}, figures of each side)
    cases = [
        (
            "summary",
            product("/api/v1/reports/summary/"),
            {"one GROUP BY": hand(HAND_SUMMARY)},
            summary_figures,
            hand_summary_figures,
        ),
    ]
    for label, as_of, url in (
        ("aging, as of today", today, "/api/v1/reports/aging/"),
        (f"aging, as of {as_of_past}", as_of_past, f"/api/v1/reports/aging/?as_of={as_of_past}"),
    ):
        cases.append(
            (
                label,
                product(url),
                {
                    "from payment rows": hand(HAND_AGING, as_of=as_of),
                    "from balances": hand(HAND_AGING_FROM_BALANCES, as_of=as_of),
                },
                aging_figures,
                hand_aging_figures,
            )
        )
    print(f"\n{'report':<24} | {'product':>9} | {'hand SQL':<17} | {'hand':>9} | ratio | figures")
    failures = []
    for name, product_run, hands, product_figures, hand_figures in cases:
        # Warm-up of each side (caches, plans), and the figures compared.
        got = product_figures(product_run())
        for label, hand_run in hands.items():
            if hand_figures(hand_run()) != got:
                raise SystemExit(f"{name}: the product's figures differ from {label} by hand")
        # Alternating, so both sides see the same machine.
        times = {"product": [], **{label: [] for label in hands}}
        for _ in range(runs):
            times["product"].append(timed(product_run)[0])
            for label, hand_run in hands.items():
                times[label].append(timed(hand_run)[0])
        medians = {label: statistics.median(values) for label, values in times.items()}
        for label in hands:
            ratio = medians["product"] / medians[label]
            print(
                f"{name:<24} | {medians['product'] * 1000:7.0f} ms | {label:<17} | "
                f"{medians[label] * 1000:7.0f} ms | {ratio:5.2f} | equal ({len(got)} rows)"
            )
        ratio = medians["product"] / min(medians[label] for label in hands)
        if ratio > RATIO_GOAL:
            failures.append(f"{name} at {ratio:.2f}x the fastest hand SQL (goal {RATIO_GOAL}x)")
    return failures


def measure_export():
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--export-child"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"\nCSV export GET invoices/?format=csv: {report['rows']:,} rows, "
        f"{report['bytes'] / 2**20:,.0f} MiB in {report['seconds']:.0f} s "
        f"({report['rows'] / report['seconds']:,.0f} rows/s), "
        f"first byte after {report['first_byte'] * 1000:.0f} ms, "
        f"peak RSS {report['peak_rss_mb']:.0f} MB (before the request "
        f"{report['rss_before_mb']:.0f} MB; subprocess wall {time.perf_counter() - started:.0f} s)"
    )
    if report["peak_rss_mb"] >= PEAK_RSS_GOAL_MB:
        return [f"export peak RSS {report['peak_rss_mb']:.0f} MB (goal < {PEAK_RSS_GOAL_MB})"]
    return []


def current_rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def export_child():
    """Runs in a process of its own, so its peak RSS is the export's alone."""
    client, _ = api_client()
    rss_before = current_rss_mb()
    started = time.perf_counter()
    response = client.get("/api/v1/invoices/?format=csv")
    assert response.status_code == 200 and response.streaming, response
    first_byte = None
    size = newlines = 0
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        newlines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    response.close()
    print(
        json.dumps(
            {
                "rows": newlines - 1,  # less the header
                "bytes": size,
                "seconds": seconds,
                "first_byte": first_byte,
                "rss_before_mb": rss_before,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
