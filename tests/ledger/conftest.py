from datetime import date

import pytest

from tests.ledger.factories import post


@pytest.fixture
def coop_user(user_with_role):
    return user_with_role("coop_user")


@pytest.fixture
def books():
    """Capital in, a loan out, interest accrued and received, a provision, a write-off off-balance."""
    for day, debit, credit, amount, memo in [
        (date(2025, 1, 2), "11212", "41111", 1_000_000_000, "Vốn ngân sách"),
        (date(2025, 1, 10), "128311", "11212", 300_000_000, "Giải ngân HTX A"),
        (date(2025, 1, 31), "13881", "5151", 2_000_000, "Dự thu lãi"),
        (date(2025, 2, 10), "11212", "13881", 2_000_000, "Thu lãi"),
        (date(2025, 2, 28), "6426", "22932", 2_250_000, "Dự phòng chung"),
        (date(2025, 3, 5), "0041", "009", 50_000_000, "Nợ đã xử lý"),
    ]:
        post(value_date=day, debit=debit, credit=credit, amount=amount, memo=memo)
