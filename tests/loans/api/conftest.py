"""What the API tests share: clients logged in or holding a token, and co-op users."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from fund import roles
from fund.services.tokens import issue_token


@pytest.fixture(autouse=True)
def fresh_throttle_counts(settings, db):
    """Each test starts with no request counted, at a rate no test reaches unless it means to
    (on PostgreSQL the counts are in the database: `db` is torn down after them)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100000/min"},
    }
    cache.clear()
    yield
    cache.clear()


def english(client: APIClient) -> APIClient:
    """Messages are compared with their English source: the client asks for English (an API
    caller that names no language gets the fund's, Vietnamese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def session(user) -> APIClient:
    client = english(APIClient())
    client.force_login(user)
    return client


def token_client(user, *, days: int = 30) -> APIClient:
    _token, key = issue_token(actor=user, user=user, name="máy của Hội Nông dân", days=days)
    client = english(APIClient())
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def coop_of(user_with_role):
    """A co-op user acting for `borrower`."""
    return lambda borrower: user_with_role(roles.COOP_USER, borrower=borrower)
