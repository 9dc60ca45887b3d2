"""Dump and restore one database, per vendor, and count its rows."""

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.migrations.recorder import MigrationRecorder

from fintrack.backup import BackupError

DUMP_MEMBER = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
# Rows every migrated database has: they do not make a restore target "non-empty".
SCHEMA_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables(connection) -> list[str]:
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor, include_views=False))


def row_counts(cursor, table_names) -> dict[str, int]:
    """`{table: rows}` through any DB-API cursor."""
    counts = {}
    for table in table_names:
        cursor.execute(f"SELECT COUNT(*) FROM {quote_name(table)}")  # noqa: S608 - quoted
        counts[table] = cursor.fetchone()[0]
    return counts


def applied_migrations(connection) -> list[str]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def tables_with_data(connection) -> list[str]:
    """Tables holding rows beyond what `migrate` itself writes."""
    ignored = SCHEMA_TABLES | {settings.CACHE_TABLE}
    names = [name for name in tables(connection) if name not in ignored]
    with connection.cursor() as cursor:
        return [name for name, count in row_counts(cursor, names).items() if count]


# --- PostgreSQL -------------------------------------------------------------------------


def pg_environment(settings_dict) -> dict[str, str]:
    """libpq's variables for the configured database (the password never on a command line)."""
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    if settings_dict.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = settings_dict["OPTIONS"]["sslmode"]
    return env


def _run(command, env):
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} is not installed: install the PostgreSQL client of the server's "
            "major version."
        ) from error
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")


def _dump_postgresql(connection, target: Path) -> dict[str, int]:
    # One REPEATABLE READ transaction counts the rows and exports its snapshot; pg_dump
    # dumps that same snapshot, so the counts describe exactly the dumped rows.
    names = tables(connection)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = row_counts(cursor, names)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={target}",
                connection.settings_dict["NAME"],
            ],
            pg_environment(connection.settings_dict),
        )
    return counts


def _restore_postgresql(connection, source: Path):
    connection.close()  # our own idle session must not hold anything pg_restore drops
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(source),
        ],
        pg_environment(connection.settings_dict),
    )


# --- SQLite -----------------------------------------------------------------------------


def _sqlite_connection(connection) -> sqlite3.Connection:
    connection.ensure_connection()
    return connection.connection


def _dump_sqlite(connection, target: Path) -> dict[str, int]:
    # The online backup API copies a consistent state even while others write.
    with closing(sqlite3.connect(target)) as copy:
        _sqlite_connection(connection).backup(copy)
        return row_counts(copy.cursor(), tables(connection))


def _restore_sqlite(connection, source: Path):
    # Copied page by page into the configured database, replacing all it held.
    with closing(sqlite3.connect(source)) as backup:
        backup.backup(_sqlite_connection(connection))


# --- per vendor -------------------------------------------------------------------------


def dump(connection, target: Path) -> dict[str, int]:
    """Write the database to `target`; return the row counts of exactly what was written."""
    if connection.in_atomic_block:
        raise BackupError("A backup cannot run inside a transaction.")
    if connection.vendor == "postgresql":
        return _dump_postgresql(connection, target)
    if connection.vendor == "sqlite":
        return _dump_sqlite(connection, target)
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")


def restore(connection, source: Path):
    if connection.in_atomic_block:
        raise BackupError("A restore cannot run inside a transaction.")
    if connection.vendor == "postgresql":
        _restore_postgresql(connection, source)
    elif connection.vendor == "sqlite":
        _restore_sqlite(connection, source)
    else:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
