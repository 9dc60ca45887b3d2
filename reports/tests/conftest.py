"""Report tests run on a fixed calendar: every organization's "today" is TODAY."""

from contextlib import contextmanager
from datetime import date
from unittest import mock

import pytest

from accounts.models import Organization

TODAY = date(2025, 6, 30)


@contextmanager
def today_is(day):
    """Refunds and reversals are dated "today": this picks that day."""
    with mock.patch.object(Organization, "today", lambda self: day):
        yield


@pytest.fixture(autouse=True)
def fixed_today():
    with today_is(TODAY):
        yield TODAY
