"""Two accountants importing the same bank statement at the same moment, on PostgreSQL."""

import pytest

from loans.models import BankStatement, StatementLine
from loans.services.bank.importing import import_statement
from loans.services.bank.mapping import save_mapping
from tests.concurrency import at_once
from tests.loans.test_bank import LAYOUT, credit, statement

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_same_statement_imported_twice_at_once_is_kept_once(staff, bank):
    save_mapping(actor=staff["accountant"], account=bank, fields=LAYOUT)
    rows = [credit(1, 1_000_000 + i, f"NOP TIEN {i}") for i in range(20)]
    reports = at_once(
        *[
            lambda: import_statement(
                actor=staff["accountant"], account=bank, file=statement(*rows), file_name="saoke.xlsx"
            )
            for _ in range(2)
        ]
    )
    assert sorted((r.added, r.skipped) for r in reports) == [(0, 20), (20, 0)], reports
    assert StatementLine.objects.count() == 20 and BankStatement.objects.count() == 1
