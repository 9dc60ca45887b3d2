"""Production settings (spec 1): check --deploy passes; no SECRET_KEY, no start.

Settings are read from the environment at import time, so each case runs manage.py in a
fresh interpreter with exactly the environment an operator would give it.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PRODUCTION_SECRET = "k3y-" + "9f8e7d6c5b4a" * 5  # long and varied enough for security.W009


def manage(*args, **env):
    environment = {"PATH": os.environ.get("PATH", ""), **env}
    if os.environ.get("DATABASE_URL"):
        environment["DATABASE_URL"] = os.environ["DATABASE_URL"]
    # A fixed argv of this interpreter and manage.py: no shell, no outside input.
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "SECRET_KEY": PRODUCTION_SECRET,
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "1",
    "ALLOWED_HOSTS": "fintrack.example.com",
}


def test_check_deploy_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_without_ssl_redirect():
    # Proves the check above is meaningful: the same run without the redirect warns.
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "SECURE_SSL_REDIRECT": "0"}
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    result = manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = manage("check", SECRET_KEY=PRODUCTION_SECRET)
    assert result.returncode == 0, result.stderr
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        SECRET_KEY=PRODUCTION_SECRET,
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_development_runs_without_secret_key_when_debug_is_on():
    assert manage("check", DEBUG="1").returncode == 0


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_unreadable_boolean_setting_refuses_to_start(value):
    result = manage("check", DEBUG=value, SECRET_KEY=PRODUCTION_SECRET)
    assert result.returncode != 0
    assert "DEBUG must be 0 or 1" in result.stderr


@pytest.mark.redis
def test_redis_url_makes_throttle_counters_shared_across_processes():
    """With REDIS_URL the cache (and so the login throttle) is Redis, not process memory."""
    code = (
        "from django.core.cache import caches; cache = caches['default']; "
        "cache.set('fintrack-probe', 'ok', 5); "
        "print(type(cache).__name__, cache.get('fintrack-probe'))"
    )
    result = manage(
        "shell", "-v", "0", "-c", code, DEBUG="1", REDIS_URL="redis://127.0.0.1:6379/15"
    )
    assert result.stdout.split() == ["RedisCache", "ok"], result.stderr


def test_sqlite_database_url_keeps_immediate_transactions_and_wal():
    # Spec 1: concurrent SQLite writers serialize, also when SQLite is chosen by URL.
    from fintrack.settings import database_from_url

    options = database_from_url("sqlite:////tmp/fintrack-example.sqlite3")["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    postgres = database_from_url("postgres://u:p@db:5432/fintrack")
    assert "transaction_mode" not in postgres.get("OPTIONS", {})


def test_postgresql_prepares_statements_unless_turned_off(monkeypatch):
    from fintrack.settings import database_from_url

    url = "postgres://u:p@db:5432/fintrack"
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    options = database_from_url(url)["OPTIONS"]
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "0")
    options = database_from_url(url)["OPTIONS"]
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options
    assert "server_side_binding" not in database_from_url("sqlite:////tmp/x.sqlite3")["OPTIONS"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_prepares_a_statement_the_connection_runs_again():
    from django.db import connection

    from accounts.models import Organization

    def prepared_statements():
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    for _ in range(6):  # past psycopg's threshold of 5
        list(Organization.objects.filter(pk=-1))
    assert any('FROM "accounts_organization"' in sql for sql in prepared_statements())
