"""The invoice list's page at two book sizes: its cost must follow the rows, not the book.

    .venv/bin/python bench/list_scale.py                 # 2,000 then 200,000 invoices
    .venv/bin/python bench/list_scale.py --sizes 2000,20000 --runs 50

PostgreSQL only (`BENCH_PG`, default postgres://postgres@127.0.0.1:5432): the script drops
and re-creates its own database `fintrack_bench_list_scale`, migrates it, creates one
organization, user and customer with the ORM, then grows the book with
`INSERT … SELECT generate_series` (3 lines per invoice; no history rows, which the list
never reads) up to each size, runs `ANALYZE`, and measures in-process through Django's test
`Client` with a real JWT:

- the page `GET /api/v1/invoices/?page_size=25` (median wall and CPU time over `--runs`
  requests after a warm-up, and its query count);
- the database time of the pagination `COUNT` (the one statement whose cost follows the
  book) and of the page's other statements, from the same requests;
- `EXPLAIN ANALYZE` of the page's statement, to show which index serves it.
"""

import argparse
import statistics
import subprocess
import sys
import time

from in_process import ROOT, run_sql, setup_django, use_database

DATABASE = "fintrack_bench_list_scale"
LINES_PER_INVOICE = 3

SEED_INVOICES = """
INSERT INTO invoices_invoice (
    version, number, status, currency, minor_unit, issue_date, due_date, reference, notes,
    subtotal, discount_total, tax_total, total, amount_paid, balance_due,
    sent_at, paid_at, voided_at, void_reason, created_at, updated_at,
    customer_id, organization_id
)
SELECT 1, 'SCL-' || lpad(n::text, 7, '0'),
       CASE WHEN n %% 3 = 0 THEN 'paid' ELSE 'sent' END, 'USD', 2,
       DATE '2025-01-01' + (n %% 600), DATE '2025-01-31' + (n %% 600), '', '',
       300.00, 0, 0, 300.00,
       CASE WHEN n %% 3 = 0 THEN 300.00 ELSE 0 END,
       CASE WHEN n %% 3 = 0 THEN 0 ELSE 300.00 END,
       TIMESTAMPTZ '2025-01-01' + n * INTERVAL '1 minute',
       CASE WHEN n %% 3 = 0 THEN TIMESTAMPTZ '2025-01-02' + n * INTERVAL '1 minute' END,
       NULL, '',
       TIMESTAMPTZ '2025-01-01' + n * INTERVAL '1 minute',
       TIMESTAMPTZ '2025-01-01' + n * INTERVAL '1 minute',
       %(customer)s, %(organization)s
FROM generate_series(%(first)s, %(last)s) AS n
"""
SEED_LINES = """
INSERT INTO invoices_invoiceline (
    position, description, quantity, unit_price, discount_percent, tax_rate,
    amount, discount_amount, tax_amount, total, invoice_id, organization_id
)
SELECT p, 'Service ' || p, 1, 100.00, 0, 0, 100.00, 0, 0, 100.00, i.id, i.organization_id
FROM invoices_invoice AS i CROSS JOIN generate_series(1, %(lines)s) AS p
WHERE i.id > %(after)s
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,200000", help="comma-separated book sizes")
    parser.add_argument("--runs", type=int, default=100, help="timed requests per size")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]

    run_sql("postgres", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    run_sql("postgres", f"CREATE DATABASE {DATABASE}")
    use_database(DATABASE)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], check=True, cwd=ROOT
    )
    setup_django()
    try:
        measure(sizes, args.runs)
    finally:
        from django.db import connections

        connections.close_all()
        run_sql("postgres", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def measure(sizes, runs):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import Membership, Organization, Role, User
    from customers.models import Customer
    from invoices.listing import invoice_rows
    from invoices.models import Invoice

    organization = Organization.objects.create(
        name="Scale Trading Co", base_currency="USD", invoice_prefix="SCL", country="US"
    )
    user = User.objects.create_user("scale@fintrack.test", name="Scale Finance")
    Membership.objects.create(user=user, organization=organization, role=Role.ADMIN)
    customer = Customer.objects.create(
        organization=organization, name="Scale Customer", country="US", currency="USD"
    )
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}",
        HTTP_X_ORGANIZATION=str(organization.pk),
    )
    url = "/api/v1/invoices/?page_size=25"
    page = invoice_rows(
        Invoice.objects.filter(organization=organization).with_is_overdue(organization.today())
    )[:25]
    seeded = 0
    print(
        f"{'invoices':>9} | page median | page CPU | queries | COUNT median "
        "| other statements | page plan"
    )
    for size in sizes:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            after = Invoice.objects.order_by("-id").values_list("id", flat=True).first() or 0
            parameters = {"first": seeded + 1, "last": size}
            cursor.execute(
                SEED_INVOICES,
                {**parameters, "customer": customer.pk, "organization": organization.pk},
            )
            cursor.execute(SEED_LINES, {"lines": LINES_PER_INVOICE, "after": after})
            # What autovacuum does to a real book (the visibility map lets COUNT read the index).
            cursor.execute("VACUUM ANALYZE invoices_invoice")
            cursor.execute("VACUUM ANALYZE invoices_invoiceline")
        seeded = size
        seed_seconds = time.perf_counter() - started
        for _ in range(10):
            assert client.get(url).status_code == 200
        walls, cpus = [], []
        for _ in range(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            client.get(url)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        counts, others = [], []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            seconds = [float(query["time"]) for query in captured.captured_queries]
            count = [
                float(query["time"])
                for query in captured.captured_queries
                if query["sql"].startswith("SELECT COUNT(")
            ]
            counts.append(sum(count))
            others.append(sum(seconds) - sum(count))
        sql, params = page.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]
        node = next((line.strip() for line in plan if "Scan" in line), plan[0].strip())
        print(
            f"{size:>9,} | {statistics.median(walls) * 1000:8.1f} ms | "
            f"{statistics.median(cpus) * 1000:5.1f} ms | {len(captured.captured_queries):>7} | "
            f"{statistics.median(counts) * 1000:9.2f} ms | "
            f"{statistics.median(others) * 1000:13.2f} ms | {node}"
            f"  (seeded in {seed_seconds:.0f} s)"
        )


if __name__ == "__main__":
    main()
