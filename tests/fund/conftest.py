import pytest

from fund import roles
from tests.fund.factories import BorrowerFactory, FundFactory


@pytest.fixture
def coop_borrower(db):
    return BorrowerFactory(name="Hợp tác xã của tôi")


@pytest.fixture
def coop_user(user_with_role, coop_borrower):
    return user_with_role(roles.COOP_USER, borrower=coop_borrower)


@pytest.fixture
def fund(db):
    return FundFactory()
