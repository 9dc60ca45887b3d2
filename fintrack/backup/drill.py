"""The restore drill: back up, restore into a fresh scratch database, and prove it whole.

The restore and `verify_ledger` run as separate `manage.py` processes whose DATABASE_URL
names the scratch database, exactly as an operator would run them; the scratch database
(PostgreSQL: `fintrack_drill_<random>` on the same server; SQLite: a temporary file) is
removed afterwards, whatever happened.
"""

import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from fintrack.backup import BackupError, database
from fintrack.backup.archive import create_backup


def _postgresql_url(settings_dict, name: str) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else f"{user}@"
    host = quote(settings_dict.get("HOST") or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    url = f"postgres://{credentials}{host}{port}/{quote(name, safe='')}"
    sslmode = settings_dict.get("OPTIONS", {}).get("sslmode")
    return f"{url}?sslmode={sslmode}" if sslmode else url


@contextmanager
def _scratch_postgresql(connection) -> Iterator[tuple[str, Callable]]:
    name = f"fintrack_drill_{secrets.token_hex(4)}"
    # A cursor on the server's maintenance database, as Django's test runner creates its
    # databases: CREATE DATABASE cannot run inside the configured one's transaction.
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {database.quote_name(name)}")

    def connect():
        import psycopg

        params = connection.settings_dict
        return psycopg.connect(
            dbname=name,
            host=params.get("HOST") or None,
            port=params.get("PORT") or None,
            user=params.get("USER") or None,
            password=params.get("PASSWORD") or None,
        )

    try:
        yield _postgresql_url(connection.settings_dict, name), connect
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {database.quote_name(name)} WITH (FORCE)")


@contextmanager
def _scratch_sqlite(work: Path) -> Iterator[tuple[str, Callable]]:
    path = work / "drill.sqlite3"
    yield f"sqlite:///{path}", lambda: sqlite3.connect(path)


def _manage(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def run_drill(say: Callable[[str], None], using=DEFAULT_DB_ALIAS) -> list[str]:
    """Run the drill, reporting each step through `say`; return the problems found."""
    connection = connections[using]
    problems = []
    with tempfile.TemporaryDirectory(prefix="fintrack-drill-") as work:
        work = Path(work)
        archive = work / "drill.tar.gz"
        manifest = create_backup(archive, using=using)
        counts = manifest["row_counts"]
        media = [name for name in manifest["files"] if name.startswith("media/")]
        say(
            f"Backed up {len(counts)} tables, {sum(counts.values())} rows and "
            f"{len(media)} media file(s) to {archive}."
        )
        if connection.vendor == "postgresql":
            scratch = _scratch_postgresql(connection)
        elif connection.vendor == "sqlite":
            scratch = _scratch_sqlite(work)
        else:
            raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
        with scratch as (url, connect):
            env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(work / "media")}
            # The scratch database has no replica.
            env.pop("DATABASE_REPLICA_URL", None)
            say(f"Restoring into the scratch database {url.rsplit('/', 1)[-1]} ...")
            for step in (["restore", str(archive)], ["verify_ledger"]):
                result = _manage(step, env)
                say(result.stdout.strip())
                if result.returncode != 0:
                    problems.append(
                        f"`{step[0]}` failed ({result.returncode}): "
                        f"{(result.stderr or result.stdout).strip()}"
                    )
                    return problems
            # Counted again here, through a connection of our own, not the restore's word.
            with closing(connect()) as scratch_connection:
                restored = database.row_counts(scratch_connection.cursor(), sorted(counts))
            problems += [
                f"{table}: {restored[table]} rows restored, {rows} backed up"
                for table, rows in sorted(counts.items())
                if restored[table] != rows
            ]
            missing = [name for name in media if not (work / name).is_file()]
            problems += [f"{name}: not restored" for name in missing]
    return problems
