"""Markers for tests that need something the default run lacks, and CI's guard on them.

Each marker names a requirement. Without it the test is skipped, saying why, so
`make test` works with nothing but Python. In CI (`CI=true`) a skip of such a test is a
failure, because a skipped test proves nothing and a green CI would say otherwise:

- when this run provides the requirement, none of its tests may be skipped (not by a
  `skipif`, nor by a `pytest.skip()` inside the test);
- when this run lacks it, its tests may be skipped only if the marker is listed in
  `CI_DEFERRED` (comma-separated): another run of the same CI job provides it and runs
  them. `.ci/run` defers `postgres`, `replica` and `celery` in its SQLite run and
  `replica` and `celery` in its PostgreSQL run; `.ci/celery` then runs the `celery` tests
  with a real worker and Redis, and `.ci/replica` the `replica` tests against a real
  streaming replica. So every such test either runs somewhere or fails the job.

A new marker goes in `REQUIREMENTS`; CI then fails until a run of it provides the
requirement (or defers it to one that does).
"""

import importlib.util
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass

import dj_database_url
import pytest


def _database_is_postgresql() -> bool:
    url = os.environ.get("DATABASE_URL", "")
    return bool(url) and "postgresql" in dj_database_url.parse(url)["ENGINE"]


def _replica_is_configured() -> bool:
    return _database_is_postgresql() and bool(os.environ.get("DATABASE_REPLICA_URL"))


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def _broker_is_configured() -> bool:
    return bool(os.environ.get("CELERY_BROKER_URL"))


def _browser_is_installed() -> bool:
    # Playwright is optional: only the browser job installs it.
    has_playwright = importlib.util.find_spec("playwright") is not None
    return has_playwright and shutil.which("chromium", path="/usr/bin") is not None


@dataclass(frozen=True)
class Requirement:
    description: str  # the marker's help, and the skip reason
    is_met: Callable[[], bool]


REQUIREMENTS = {
    "postgres": Requirement(
        "needs PostgreSQL row locks (SQLite serializes writers and ignores SELECT FOR "
        "UPDATE): run with DATABASE_URL=postgres://...",
        _database_is_postgresql,
    ),
    "replica": Requirement(
        "needs a PostgreSQL streaming replica: run with DATABASE_REPLICA_URL on PostgreSQL",
        _replica_is_configured,
    ),
    "redis": Requirement(
        "needs a Redis server at 127.0.0.1:6379 (CI machines run one)", _redis_answers
    ),
    "celery": Requirement(
        "needs a real Celery worker on a broker: run with CELERY_BROKER_URL",
        _broker_is_configured,
    ),
    "browser": Requirement(
        "needs Playwright and Debian's Chromium at /usr/bin/chromium",
        _browser_is_installed,
    ),
}


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _deferred() -> set[str]:
    return {name.strip() for name in os.environ.get("CI_DEFERRED", "").split(",") if name.strip()}


def _markers_of(item) -> list[str]:
    return [name for name in REQUIREMENTS if item.get_closest_marker(name) is not None]


def pytest_configure(config):
    for name, requirement in REQUIREMENTS.items():
        config.addinivalue_line("markers", f"{name}: {requirement.description}")
    # Whether each requirement is met is fixed for the run: decide once.
    config._requirements_met = {name: req.is_met() for name, req in REQUIREMENTS.items()}


def pytest_collection_modifyitems(config, items):
    met = config._requirements_met
    for item in items:
        for name in _markers_of(item):
            if not met[name]:
                item.add_marker(pytest.mark.skip(reason=REQUIREMENTS[name].description))


def _ci_refusal(item) -> str | None:
    """Why CI may not accept this test's skip, or None when it may."""
    met, deferred = item.config._requirements_met, _deferred()
    for name in _markers_of(item):
        if met[name]:
            return f"`{name}` test skipped although this run provides its requirement"
        if name not in deferred:
            return (
                f"`{name}` test skipped: this run lacks its requirement and CI_DEFERRED "
                f"does not name `{name}` as run by another run of this job"
            )
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and _ci() and not hasattr(report, "wasxfail"):
        refusal = _ci_refusal(item)
        if refusal is not None:
            report.outcome = "failed"
            report.longrepr = f"CI=true: {refusal}. Skip reason: {_skip_reason(report)}"
    return report


def _skip_reason(report) -> str:
    # A skip's longrepr is (path, line, "Skipped: reason").
    if isinstance(report.longrepr, tuple):
        return report.longrepr[2]
    return str(report.longrepr)
