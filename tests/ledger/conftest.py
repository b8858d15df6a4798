import pytest


@pytest.fixture
def coop_user(user_with_role):
    return user_with_role("coop_user")
