"""What the in-process benchmarks share: a database of their own on the local PostgreSQL
(`BENCH_PG`, default postgres://postgres@127.0.0.1:5432) and the product's settings for it."""

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def process_cpu_seconds(pid) -> float:
    """User and system CPU time of process `pid` so far (a local process, from /proc)."""
    fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); [0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_sql(database, sql):
    import psycopg

    with psycopg.connect(f"{SERVER}/{database}", autocommit=True) as connection:
        connection.execute(sql)


def use_database(database):
    """Production-like settings (`DEBUG` off) on `database`, for the test `Client`."""
    os.environ.update(
        DATABASE_URL=f"{SERVER}/{database}",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="fintrack.settings",
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def setup_django():
    import django

    django.setup()
