"""Refresh-token rotation is atomic (spec 11): of N refreshes of one token, one wins."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from accounts.tokens import SingleUseRefreshToken
from fintrack.tests.helpers import error_code

REFRESH = "/api/v1/auth/token/refresh/"


@pytest.mark.django_db
def test_refresh_that_loses_the_blacklist_race_is_401_and_issues_nothing(monkeypatch):
    """Another refresh blacklisted the token after ours checked it: ours must lose."""
    refresh = RefreshToken.for_user(UserFactory())
    # Let the check pass as it would have an instant before the winner committed.
    monkeypatch.setattr(SingleUseRefreshToken, "check_blacklist", lambda self: None)
    refresh.blacklist()
    outstanding = OutstandingToken.objects.count()

    response = APIClient().post(REFRESH, {"refresh": str(refresh)})
    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"
    assert set(response.json()) == {"type", "errors"}
    assert OutstandingToken.objects.count() == outstanding  # no new refresh token recorded


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("clients", [10, 50])
def test_concurrent_refreshes_of_one_token_have_exactly_one_winner(clients):
    refresh = str(RefreshToken.for_user(UserFactory()))
    barrier = threading.Barrier(clients)
    responses = []

    def worker():
        try:
            client = APIClient()
            barrier.wait()
            responses.append(client.post(REFRESH, {"refresh": refresh}))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(responses) == clients
    winners = [response for response in responses if response.status_code == 200]
    assert len(winners) == 1
    losers = [response for response in responses if response.status_code != 200]
    assert {response.status_code for response in losers} == {401}
    assert {error_code(response) for response in losers} == {"token_not_valid"}
    assert BlacklistedToken.objects.filter(token__token=refresh).count() == 1
    # Only the winner's chain goes on, once.
    rotated = winners[0].json()["refresh"]
    assert APIClient().post(REFRESH, {"refresh": rotated}).status_code == 200
    assert APIClient().post(REFRESH, {"refresh": rotated}).status_code == 401
