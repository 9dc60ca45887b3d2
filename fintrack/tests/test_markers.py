"""`fintrack.tests.markers`: requirement markers skip with a reason, and CI refuses a skip
that would hide a test no run of the job ran."""

import pytest

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/unused"

TESTS = """
import pytest

@pytest.mark.postgres
def test_needs_postgres():
    pass

@pytest.mark.postgres
def test_postgres_but_skips_itself():
    pytest.skip("not today")

@pytest.mark.celery
def test_needs_a_worker():
    pass

def test_plain():
    pass

def test_plain_skip():
    pytest.skip("plain skips are not guarded")
"""


@pytest.fixture
def run(pytester, monkeypatch):
    """`run(**env)` -> the outcome counts of the suite above under that environment."""
    pytester.makepyfile(test_sample=TESTS)
    for name in ("CI", "CI_DEFERRED", "DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    # Only this plugin: the inner run needs no Django, xdist or Hypothesis.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def go(*, only=None, **env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        args = ["-p", "no:cacheprovider", "-p", "fintrack.tests.markers"]
        args += ["--strict-markers", "-rsfE"]
        if only:
            args += ["-k", only]
        return pytester.runpytest_inprocess(*args)

    return go


def test_markers_are_registered_for_strict_markers(run):
    result = run()
    result.assert_outcomes(passed=1, skipped=4)


def test_a_missing_requirement_skips_with_its_reason(run):
    result = run()
    result.stdout.fnmatch_lines(["*needs PostgreSQL row locks*", "*CELERY_BROKER_URL*"])


def test_a_provided_requirement_runs_the_test(run):
    result = run(DATABASE_URL=POSTGRES_URL, only="needs_postgres")
    result.assert_outcomes(passed=1)


def test_under_ci_a_missing_requirement_that_no_run_defers_fails(run):
    result = run(CI="true", only="needs_postgres or needs_a_worker")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*`postgres` test skipped: this run lacks its requirement*"])
    assert result.ret != 0


def test_under_ci_a_deferred_requirement_may_skip_here(run):
    result = run(CI="true", CI_DEFERRED="postgres", only="needs_postgres")
    result.assert_outcomes(skipped=1)
    assert result.ret == 0


def test_under_ci_a_deferred_requirement_does_not_cover_another_marker(run):
    result = run(CI="true", CI_DEFERRED="postgres", only="needs_a_worker")
    result.assert_outcomes(errors=1)


def test_under_ci_a_provided_requirement_may_not_be_skipped_at_all(run):
    # The PostgreSQL run: the test that skips itself would never run anywhere.
    result = run(CI="true", DATABASE_URL=POSTGRES_URL, only="postgres")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*skipped although this run provides its requirement*"])


def test_outside_ci_nothing_is_refused_and_plain_skips_stay_skips(run):
    result = run(CI="false", DATABASE_URL=POSTGRES_URL)
    result.assert_outcomes(passed=2, skipped=3)
    result = run(CI="true", CI_DEFERRED="postgres,celery", only="plain")
    result.assert_outcomes(passed=1, skipped=1)
