"""Where a request of the HTTP bench spends its CPU: pyinstrument over the WSGI application.

    .venv/bin/python bench/profile_paths.py                    # pay and list, 300 each
    .venv/bin/python bench/profile_paths.py --paths pay --requests 500 --html /tmp/pay.html
    .venv/bin/python bench/profile_paths.py --cpu-only --ceiling   # the ceiling, the same way

PostgreSQL only (`BENCH_PG`): the script drops and re-creates its own database
`fintrack_bench_profile`, migrates it and seeds the HTTP bench's book (one organization,
an admin and its JWT, 200 sent invoices of 3 lines). It then calls the product's WSGI
application directly (`fintrack.wsgi`, the object gunicorn serves: every middleware, no
test `Client`) with the bench's requests, `DEBUG` off, and prints for each path the CPU per
answer (`time.process_time`, no profiler attached) with the CPU its PostgreSQL backend
spent meanwhile (from /proc: a local server), and pyinstrument's call tree of a second
series. `--ceiling` does the same for the ceiling app (`fintrack_bench_profile_ceiling`).
"""

import argparse
import collections
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
import uuid

from in_process import ROOT, SERVER, process_cpu_seconds, run_sql, setup_django, use_database

DATABASE = "fintrack_bench_profile"
CEILING_DATABASE = "fintrack_bench_profile_ceiling"


def environ(method, path, query="", body=b"", headers=None):
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8701",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
    }
    if body:
        env["CONTENT_TYPE"] = "application/json"
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def call(application, env, expected):
    status = []

    def start_response(line, headers, exc_info=None):
        status.append(line)

    result = application(env, start_response)
    b"".join(result)
    if hasattr(result, "close"):
        result.close()
    if not status[0].startswith(expected):
        raise SystemExit(f"{env['PATH_INFO']}: {status[0]}")


def cpu_profile(run, requests):
    """CPU time per package (own time) and the cumulative top of the call tree."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(requests):
        run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    packages = collections.Counter()
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():
        if "site-packages/" in filename:
            filename = filename.split("site-packages/")[1].split("/")[0]
        packages[filename.replace(str(ROOT) + "/", "")] += own
    for name, seconds in packages.most_common(30):
        print(f"  {seconds * 1000 / requests:6.2f} ms  {name}")
    stats.sort_stats("cumulative").print_stats(80)
    if os.environ.get("PROFILE_CALLERS"):
        stats.print_callers(os.environ["PROFILE_CALLERS"])


def product_requests(args):
    """The product's WSGI application and the bench's two requests on its book."""
    use_database(DATABASE)
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    if not args.keep:
        run_sql("postgres", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        run_sql("postgres", f"CREATE DATABASE {DATABASE}")
        for command in (["migrate", "--noinput", "-v0"], ["createcachetable"]):
            subprocess.run([sys.executable, "manage.py", *command], check=True, cwd=ROOT)
        seed = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "http_bench.py"), "seed-product"],
            check=True,
            cwd=ROOT,
            stdout=subprocess.PIPE,
        ).stdout
        (ROOT / "bench" / ".profile_seed.json").write_bytes(seed.strip().splitlines()[-1])
    seed = json.loads((ROOT / "bench" / ".profile_seed.json").read_text())
    os.environ["CELERY_BROKER_URL"] = args.broker
    setup_django()
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from fintrack.wsgi import application

    # A fresh token: the seeded one may have expired when the book is kept.
    user = User.objects.get(email="bench@fintrack.test")
    seed["token"] = str(RefreshToken.for_user(user).access_token)
    auth = {"Authorization": f"Bearer {seed['token']}", "X-Organization": str(seed["organization"])}
    body = json.dumps({"amount": "1.00", "method": "bank_transfer"}).encode()
    counter = iter(range(10**9))

    def pay():
        invoice = seed["invoices"][next(counter) % len(seed["invoices"])]
        headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
        env = environ("POST", f"/api/v1/invoices/{invoice}/pay/", body=body, headers=headers)
        call(application, env, "201")

    def listing():
        call(application, environ("GET", "/api/v1/invoices/", "page_size=25", headers=auth), "200")

    return {"pay": pay, "list": listing}


def ceiling_requests(args):
    """The ceiling's application (`bench/ceiling`, the HTTP bench's other side, with the
    product's prepared statements: like for like) and its two requests on its own book."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ceiling.settings",
        CEILING_DATABASE_URL=f"{SERVER}/{CEILING_DATABASE}",
        CEILING_PREPARED_STATEMENTS="1",
    )
    bench = ROOT / "bench"
    if not args.keep:
        run_sql("postgres", f"DROP DATABASE IF EXISTS {CEILING_DATABASE} WITH (FORCE)")
        run_sql("postgres", f"CREATE DATABASE {CEILING_DATABASE}")
        env = {**os.environ, "PYTHONPATH": str(bench)}
        migrate = [sys.executable, "-m", "django", "migrate", "--run-syncdb", "--noinput", "-v0"]
        subprocess.run(migrate, check=True, cwd=bench, env=env)
        seed = subprocess.run(
            [sys.executable, str(bench / "http_bench.py"), "seed-ceiling"],
            check=True,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
        ).stdout
        (bench / ".profile_ceiling_seed.json").write_bytes(seed.strip().splitlines()[-1])
    invoices = json.loads((bench / ".profile_ceiling_seed.json").read_text())["invoices"]
    sys.path.insert(0, str(bench))
    setup_django()
    from ceiling.wsgi import application

    body = json.dumps({"amount": "1.00", "method": "bank_transfer"}).encode()
    counter = iter(range(10**9))

    def pay():
        invoice = invoices[next(counter) % len(invoices)]
        call(application, environ("POST", f"/invoices/{invoice}/payments/", body=body), "201")

    def one_invoice():
        call(application, environ("GET", f"/invoices/{invoices[0]}/"), "200")

    return {"pay": pay, "list": one_invoice}


def database_cpu():
    """CPU seconds used so far by this process's PostgreSQL backend (a local server)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return process_cpu_seconds(cursor.fetchone()[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paths", default="pay,list")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html", help="write the last path's profile as HTML here")
    parser.add_argument("--keep", action="store_true", help="reuse the seeded database")
    parser.add_argument(
        "--broker",
        default=os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/15"),
        help="CELERY_BROKER_URL as in `make bench` ('' for none)",
    )
    parser.add_argument(
        "--cpu-only", action="store_true", help="print the CPU per answer, no profile"
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="the ceiling app (bench/ceiling, prepared statements on) instead of the product",
    )
    parser.add_argument(
        "--cprofile",
        action="store_true",
        help="cProfile on CPU time (time.process_time) instead of pyinstrument's wall time",
    )
    args = parser.parse_args(argv)

    requests = ceiling_requests(args) if args.ceiling else product_requests(args)
    for path in args.paths.split(","):
        run = requests[path]
        for _ in range(30):
            run()
        started, database_started = time.process_time(), database_cpu()
        for _ in range(args.requests):
            run()
        cpu = (time.process_time() - started) / args.requests
        database = (database_cpu() - database_started) / args.requests
        print(
            f"{path}: {cpu * 1000:.2f} ms CPU per answer, its PostgreSQL backend "
            f"{database * 1000:.2f} ms ({args.requests} requests)"
        )
        if args.cpu_only:
            continue
        if args.cprofile:
            cpu_profile(run, args.requests)
            continue
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.requests):
            run()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        if args.html:
            with open(args.html, "w") as out:
                out.write(profiler.output_html())
    if args.broker and not args.ceiling:
        import redis

        redis.Redis.from_url(args.broker).delete("celery")


if __name__ == "__main__":
    main()
