"""Fixtures shared by every app's tests: organizations, users per role, JWT API clients."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory

DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}
# The markers for tests that need PostgreSQL (or, later, a replica, a worker or a browser),
# with CI's refusal to let them be skipped; `pytester` tests that refusal.
pytest_plugins = ["fintrack.tests.markers", "pytester"]


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Throttle counters live in the cache: no test may inherit another's attempts.

    The default cache is a database table (created with the test database), so only a
    test that uses the database can have counters; it starts with none.
    """
    if request.node.get_closest_marker("django_db") or DATABASE_FIXTURES & set(
        request.fixturenames
    ):
        request.getfixturevalue("db")
        cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded files (receipts, bill attachments, the demo's) go to a directory of the
    test's own, never into the working tree's `media/`."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme Ltd", base_currency="USD")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Other Corp", base_currency="EUR")


@pytest.fixture
def user_in(db):
    """`user_in(role, organization)` -> a new user with that role there."""

    def make(role=Role.ADMIN, organization=None, **user_fields):
        membership = MembershipFactory(
            role=role,
            organization=organization or OrganizationFactory(),
            user=UserFactory(**user_fields),
        )
        return membership.user

    return make


@pytest.fixture
def api():
    """`api(user, organization=None)` -> an APIClient sending a real Bearer JWT."""

    def make(user=None, organization=None):
        client = APIClient()
        if user is not None:
            token = RefreshToken.for_user(user).access_token
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        if organization is not None:
            client.defaults["HTTP_X_ORGANIZATION"] = str(organization.pk)
        return client

    return make


@pytest.fixture
def admin_user(user_in, organization):
    return user_in(Role.ADMIN, organization)


@pytest.fixture
def finance_user(user_in, organization):
    return user_in(Role.FINANCE, organization)


@pytest.fixture
def viewer_user(user_in, organization):
    return user_in(Role.VIEWER, organization)


@pytest.fixture
def admin_api(api, admin_user):
    return api(admin_user)


@pytest.fixture
def finance_api(api, finance_user):
    return api(finance_user)


@pytest.fixture
def viewer_api(api, viewer_user):
    return api(viewer_user)
