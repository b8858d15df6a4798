import pytest
from django.conf import settings

from fund import roles
from tests.appraisal import factories
from tests.fund.factories import FundFactory


@pytest.fixture
def fund(db):
    return FundFactory()


@pytest.fixture
def director(user_with_role):
    """An approver whose authority covers up to 500 million."""
    return user_with_role(roles.APPROVER)


@pytest.fixture
def board_member(user_with_role):
    """An approver of the management board: no upper limit."""
    return user_with_role(roles.APPROVER)


@pytest.fixture
def levels(fund, director, board_member):
    return factories.authority_levels(fund, directors=[director], board=[board_member])


@pytest.fixture
def coop_user(user_with_role):
    return user_with_role(roles.COOP_USER)


@pytest.fixture
def submitted(fund, officer):
    return factories.submitted_loan(officer=officer)


@pytest.fixture
def appraising(fund, officer, appraiser):
    return factories.appraising_loan(appraiser=appraiser, officer=officer)


@pytest.fixture
def appraised(fund, levels, officer, appraiser):
    return factories.appraised_loan(appraiser=appraiser, officer=officer)


@pytest.fixture
def client(client):
    """Pages in English too (the language switch's cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
