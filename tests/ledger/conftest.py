import pytest


@pytest.fixture
def accountant(user_with_role):
    return user_with_role("accountant")


@pytest.fixture
def officer(user_with_role):
    return user_with_role("fund_officer")


@pytest.fixture
def coop_user(user_with_role):
    return user_with_role("coop_user")


@pytest.fixture
def in_english():
    """Messages compared with their English source, whatever the catalogue says."""
    from django.utils import translation

    with translation.override("en"):
        yield
