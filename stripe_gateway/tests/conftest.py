"""Fixtures of the Stripe tests: an organization connected to Stripe and Stripe's HTTP API
stubbed (`responses`): nothing here reaches Stripe."""

import pytest
import responses
from cryptography.fernet import Fernet

from stripe_gateway.tests.fakes import connect


@pytest.fixture
def encryption_key(settings):
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    return settings.FIELD_ENCRYPTION_KEY


@pytest.fixture
def connected(encryption_key, organization):
    """The `organization` fixture, connected to its Stripe account."""
    return connect(organization)


@pytest.fixture
def stripe_api():
    """Stripe's HTTP API, stubbed: any call not registered fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
