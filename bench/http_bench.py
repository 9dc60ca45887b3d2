"""HTTP load benchmark: the product against the ceiling app, side by side (`make bench`).

    .venv/bin/python bench/http_bench.py [--duration 10] [--pairs 3] [--paths pay,list]

Both apps are served by gunicorn (2 sync workers) on the same PostgreSQL, each with a
database of its own that is dropped and re-created at the start (fintrack_bench_product,
fintrack_bench_ceiling). For each path, wrk -t2 -c8 loads the product, then the ceiling,
alternating, `--pairs` times; the medians and their ratio are printed, with each side's
gunicorn-worker CPU per answer (from /proc/<pid>/stat before and after each run).

- pay: product `POST /api/v1/invoices/{id}/pay/` (JWT, X-Organization, a fresh
  Idempotency-Key per request) against the ceiling's `POST /invoices/<id>/payments/`;
- list: product `GET /api/v1/invoices/?page_size=25` (lines included) against the
  ceiling's `GET /invoices/<id>/`.

Needs `wrk` on PATH and gunicorn in the virtualenv (`make bench` installs both).
"""

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from in_process import process_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PRODUCT_DB = "fintrack_bench_product"
CEILING_DB = "fintrack_bench_ceiling"
PRODUCT_PORT = 8701
CEILING_PORT = 8702
INVOICES = 200  # payments are spread over these, so rows are rarely contended
INVOICE_TOTAL = "999999.00"  # never paid off by a run (1.00 per payment); 3 equal lines
LINES_PER_INVOICE = 3
# The product is served as in production, with a broker: a payment's outbox event is only
# enqueued after the commit, its consumers run on Celery workers (none runs here). A
# database number of its own, so no other worker on this Redis takes these messages; its
# queue is emptied at the end. `--broker ""` runs the consumers in the web worker instead
# (the embedded default without CELERY_BROKER_URL).
BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/15")

PAY_SCRIPT = """
-- One fresh Idempotency-Key per request; invoices taken round-robin per thread.
local counter = 0
local ids, prefix, suffix, body, nonce
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tag", threads)
end
function init(args)
  prefix, suffix, body, nonce = args[1], args[2], args[3], args[4]
  ids = {}
  for id in string.gmatch(args[5], "%d+") do ids[#ids + 1] = id end
end
function request()
  counter = counter + 1
  local id = ids[(counter * 2 + tag) % #ids + 1]
  wrk.headers["Idempotency-Key"] = string.format("%s-%d-%d", nonce, tag, counter)
  return wrk.format("POST", prefix .. id .. suffix, nil, body)
end
"""


def product_env(broker=""):
    return {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "DATABASE_URL": f"{SERVER}/{PRODUCT_DB}",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "fintrack.settings",
    }


def ceiling_env(prepared=False):
    return {
        **os.environ,
        "CEILING_PREPARED_STATEMENTS": "1" if prepared else "",
        "CEILING_DATABASE_URL": f"{SERVER}/{CEILING_DB}",
        "DJANGO_SETTINGS_MODULE": "ceiling.settings",
        "PYTHONPATH": str(BENCH),
    }


def recreate_database(name):
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(
            [PYTHON, "-c", PSQL_SNIPPET, f"{SERVER}/postgres", sql], check=True, cwd=ROOT
        )


# psql may be absent: the driver speaks to PostgreSQL through psycopg, already installed.
PSQL_SNIPPET = """
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as connection:
    connection.execute(sys.argv[2])
"""


# --- seeding (each runs in a child process with its app's settings) --------------------


def seed_product():
    """Organization, admin user, JWT, INVOICES sent invoices: printed as JSON."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from decimal import Decimal

    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import Membership, Organization, Role, User
    from customers.models import Customer
    from invoices.models import Invoice

    actor = User.objects.system_actor()
    organization = Organization.objects.create(
        name="Bench Trading Co", base_currency="USD", invoice_prefix="BEN", country="US"
    )
    user = User.objects.create_user("bench@fintrack.test", name="Bench Finance")
    Membership.objects.create(user=user, organization=organization, role=Role.ADMIN)
    customer = Customer.objects.create(
        organization=organization,
        name="Bench Customer",
        email="ap@customer.example",
        country="US",
        currency="USD",
    )
    share = Decimal(INVOICE_TOTAL) / LINES_PER_INVOICE
    ids = []
    for _ in range(INVOICES):
        invoice = Invoice.create_draft(
            organization=organization,
            customer=customer,
            actor=actor,
            lines=[
                {"description": f"Service {n}", "quantity": Decimal(1), "unit_price": share}
                for n in range(LINES_PER_INVOICE)
            ],
        )
        invoice.send(actor=actor)
        ids.append(invoice.pk)
    token = str(RefreshToken.for_user(user).access_token)
    print(json.dumps({"organization": organization.pk, "token": token, "invoices": ids}))


def seed_ceiling():
    import django

    django.setup()
    from datetime import date
    from decimal import Decimal

    from ceiling.models import Invoice

    total = Decimal(INVOICE_TOTAL)
    rows = Invoice.objects.bulk_create(
        Invoice(
            number=f"INV-{n:05d}",
            customer_name="Bench Customer",
            currency="USD",
            status="sent",
            issue_date=date(2026, 1, 1),
            due_date=date(2026, 1, 31),
            total=total,
            amount_paid=Decimal(0),
            balance_due=total,
        )
        for n in range(INVOICES)
    )
    print(json.dumps({"invoices": [row.pk for row in rows]}))


def prepare(broker):
    """Fresh databases, migrated and seeded; returns (product seed, ceiling seed)."""
    recreate_database(PRODUCT_DB)
    recreate_database(CEILING_DB)
    env = product_env(broker)
    for command in (["migrate", "--noinput", "-v0"], ["createcachetable"]):
        subprocess.run([PYTHON, "manage.py", *command], check=True, cwd=ROOT, env=env)
    subprocess.run(
        [PYTHON, "-m", "django", "migrate", "--run-syncdb", "--noinput", "-v0"],
        check=True,
        cwd=BENCH,
        env=ceiling_env(),
    )
    product = child_json(["seed-product"], {**env, "CELERY_BROKER_URL": ""})
    ceiling = child_json(["seed-ceiling"], ceiling_env())
    return product, ceiling, env


def child_json(arguments, env):
    output = subprocess.run(
        [PYTHON, __file__, *arguments], check=True, cwd=ROOT, env=env, stdout=subprocess.PIPE
    ).stdout
    return json.loads(output.decode().strip().splitlines()[-1])


# --- serving ---------------------------------------------------------------------------


class Server:
    """gunicorn with 2 sync workers; `cpu_seconds()` sums its workers' user+system time."""

    def __init__(self, name, app, port, cwd, env):
        self.name = name
        self.port = port
        gunicorn = str(Path(PYTHON).parent / "gunicorn")
        self.process = subprocess.Popen(
            [
                gunicorn,
                "--workers",
                "2",
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                # Two servers run at once here; neither needs gunicorn's control interface,
                # whose one socket per user the second would fail to bind.
                "--no-control-socket",
                app,
            ],
            cwd=cwd,
            env=env,
        )

    def wait_ready(self, path, headers):
        deadline = time.monotonic() + 90
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    if response.status == 200:
                        return
            # Not listening yet, or (a loaded machine) still importing the app.
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise SystemExit(f"{self.name} did not answer 200 on {path}")

    def workers(self):
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    pids.append(entry.name)
        return pids

    def cpu_seconds(self):
        total = 0.0
        for pid in self.workers():
            try:
                total += process_cpu_seconds(pid)
            except OSError:  # a worker that has just exited
                continue
        return total

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def run_wrk(url, duration, headers, script=None, script_args=()):
    # A 30 s timeout, not wrk's 2 s: on a loaded machine a slow answer is counted, not
    # an error that stops the bench.
    command = ["wrk", "-t2", "-c8", f"-d{duration}s", "--timeout", "30s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    command += [url]
    if script_args:
        command += ["--", *script_args]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return requests, rate, int(bad.group(1)) if bad else 0, errors.group(1) if errors else ""


def measure(server, url, duration, headers, script=None, script_args=()):
    before = server.cpu_seconds()
    requests, rate, bad, errors = run_wrk(url, duration, headers, script, script_args)
    cpu = server.cpu_seconds() - before
    if bad or errors:
        raise SystemExit(f"{server.name} {url}: {bad} non-2xx answers; socket errors {errors}")
    return rate, cpu / max(requests, 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--pairs", type=int, default=3, help="alternating pairs per path")
    parser.add_argument("--paths", default="pay,list", help="comma-separated: pay,list")
    parser.add_argument(
        "--broker",
        default=BROKER,
        help="the product's CELERY_BROKER_URL ('' for none: consumers run in the web worker)",
    )
    parser.add_argument(
        "--ceiling-prepared",
        action="store_true",
        help="give the ceiling the product's prepared statements too (the issue's ceiling "
        "keeps Django's defaults)",
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make bench installs it: apt-get install wrk)")

    product, ceiling, env = prepare(args.broker)
    auth = {
        "Authorization": f"Bearer {product['token']}",
        "X-Organization": str(product["organization"]),
    }
    servers = {
        "product": Server("product", "fintrack.wsgi:application", PRODUCT_PORT, ROOT, env),
        "ceiling": Server(
            "ceiling",
            "ceiling.wsgi:application",
            CEILING_PORT,
            BENCH,
            ceiling_env(args.ceiling_prepared),
        ),
    }
    first_ceiling = ceiling["invoices"][0]
    nonce = secrets.token_hex(4)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(PAY_SCRIPT)
    body = json.dumps({"amount": "1.00", "method": "bank_transfer"})
    cases = {
        "pay": {
            "product": (
                f"http://127.0.0.1:{PRODUCT_PORT}/",
                {**auth, "Content-Type": "application/json"},
                script.name,
                [
                    "/api/v1/invoices/",
                    "/pay/",
                    body,
                    nonce,
                    ",".join(map(str, product["invoices"])),
                ],
            ),
            "ceiling": (
                f"http://127.0.0.1:{CEILING_PORT}/",
                {"Content-Type": "application/json"},
                script.name,
                ["/invoices/", "/payments/", body, nonce, ",".join(map(str, ceiling["invoices"]))],
            ),
        },
        "list": {
            "product": (
                f"http://127.0.0.1:{PRODUCT_PORT}/api/v1/invoices/?page_size=25",
                auth,
                None,
                [],
            ),
            "ceiling": (f"http://127.0.0.1:{CEILING_PORT}/invoices/{first_ceiling}/", {}, None, []),
        },
    }
    results = {}
    try:
        servers["product"].wait_ready("/api/v1/invoices/?page_size=1", auth)
        servers["ceiling"].wait_ready(f"/invoices/{first_ceiling}/", {})
        for path in args.paths.split(","):
            for side in ("product", "ceiling"):  # warm-up: imports, caches, connections
                url, headers, lua, script_args = cases[path][side]
                measure(
                    servers[side],
                    url,
                    2,
                    headers,
                    lua,
                    [*script_args[:3], "warm", *script_args[4:]] if script_args else [],
                )
            for pair in range(args.pairs):
                for side in ("product", "ceiling"):
                    url, headers, lua, script_args = cases[path][side]
                    if script_args:
                        script_args = [*script_args[:3], f"{nonce}{pair}", *script_args[4:]]
                    rate, cpu = measure(
                        servers[side], url, args.duration, headers, lua, script_args
                    )
                    results.setdefault((path, side), []).append((rate, cpu))
                    print(
                        f"{path:<5} {side:<8} run {pair + 1}: {rate:8.1f} req/s, "
                        f"{cpu * 1000:6.2f} ms CPU per answer",
                        flush=True,
                    )
    finally:
        for server in servers.values():
            server.stop()
        os.unlink(script.name)
        empty_queue(args.broker)
    report(results, args)


def empty_queue(broker):
    """Drop the messages no worker took (the broker's database is the bench's own)."""
    if broker:
        import redis

        redis.Redis.from_url(broker).delete("celery")


def report(results, args):
    print(
        f"\nwrk -t2 -c8 -d{args.duration}s, {args.pairs} alternating pairs, medians; "
        f"gunicorn 2 sync workers; {os.cpu_count()} CPUs; "
        f"product's broker: {args.broker or 'none (consumers in the web worker)'}; "
        "prepared statements: product "
        f"{'off' if os.environ.get('DATABASE_PREPARED_STATEMENTS') == '0' else 'on'}, "
        f"ceiling {'on' if args.ceiling_prepared else 'off'}"
    )
    print("| path | product | ceiling | ratio | worker CPU per answer |")
    print("|---|---|---|---|---|")
    for path in args.paths.split(","):
        product = results[(path, "product")]
        ceiling = results[(path, "ceiling")]
        rate_p = statistics.median(rate for rate, _ in product)
        rate_c = statistics.median(rate for rate, _ in ceiling)
        cpu_p = statistics.median(cpu for _, cpu in product)
        cpu_c = statistics.median(cpu for _, cpu in ceiling)
        print(
            f"| {path} | {rate_p:.0f} req/s | {rate_c:.0f} req/s | **{rate_p / rate_c:.2f}** "
            f"| {cpu_p * 1000:.1f} ms vs {cpu_c * 1000:.1f} ms |"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["seed-product"]:
        seed_product()
    elif sys.argv[1:2] == ["seed-ceiling"]:
        seed_ceiling()
    else:
        main()
