import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.dates import format_date
from fund import selectors, services
from fund.models import AuthorityLevel, CapitalReceipt, CapitalSource, Fund
from ledger.models import Account, JournalEntry
from tests.concurrency import at_once
from tests.factories import UserFactory
from tests.fund.helpers import refused

pytestmark = pytest.mark.django_db

FUND_FIELDS = {
    "name": "Quỹ Hỗ trợ nông dân tỉnh Nghệ An",
    "legal_form": Fund.LegalForm.FARMERS_PROVINCIAL,
    "province": "Nghệ An",
    "charter_capital": Decimal("20000000000"),
}


def lending_accounts():
    return Account.objects.filter(code__in=["1111", "11212"])


def test_without_a_fund_the_selectors_say_so_clearly():
    with pytest.raises(selectors.FundNotSetUp, match="not set up"):
        selectors.current_fund()
    with pytest.raises(Fund.DoesNotExist):
        selectors.business_date()


def test_an_accountant_sets_up_the_one_fund_and_its_business_date(accountant):
    fund = services.set_up_fund(
        actor=accountant,
        fields=FUND_FIELDS,
        business_date=dt.date(2026, 1, 5),
        lending_accounts=lending_accounts(),
    )
    assert selectors.current_fund() == fund
    assert selectors.business_date() == dt.date(2026, 1, 5)
    assert set(fund.lending_accounts.values_list("code", flat=True)) == {"1111", "11212"}
    refused(
        lambda: services.set_up_fund(
            actor=accountant,
            fields=FUND_FIELDS,
            business_date=dt.date(2026, 1, 5),
            lending_accounts=lending_accounts(),
        )
    )
    assert Fund.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_set_up_sent_twice_at_once_makes_one_fund(accountant):
    def send():
        return services.set_up_fund(
            actor=accountant,
            fields=FUND_FIELDS,
            business_date=dt.date(2026, 1, 5),
            lending_accounts=lending_accounts(),
        )

    outcomes = at_once(send, send)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Fund", "ValidationError"]
    assert Fund.objects.count() == 1


def test_the_database_holds_one_fund_only(fund):
    with pytest.raises(IntegrityError), transaction.atomic():
        Fund.objects.create(**FUND_FIELDS, business_date=dt.date(2026, 1, 1))


@pytest.mark.parametrize(
    ("fields", "accounts", "field"),
    [
        ({"charter_capital": Decimal(0)}, ["1111"], "charter_capital"),
        ({"exposure_charter_share": Decimal("1.5")}, ["1111"], "exposure_charter_share"),
        ({"exposure_cap": Decimal(-5)}, ["1111"], "exposure_cap"),
        ({}, [], "lending_accounts"),
        ({}, ["112"], "lending_accounts"),  # a parent account takes no postings
        ({}, ["41111"], "lending_accounts"),  # capital is not cash
    ],
)
def test_bad_fund_settings_are_refused(accountant, fields, accounts, field):
    errors = refused(
        lambda: services.set_up_fund(
            actor=accountant,
            fields={**FUND_FIELDS, **fields},
            business_date=dt.date(2026, 1, 5),
            lending_accounts=Account.objects.filter(code__in=accounts),
        )
    )
    assert field in errors
    assert not Fund.objects.exists()


def test_officers_cannot_set_up_or_change_the_fund(officer, fund):
    with pytest.raises(PermissionDenied):
        services.update_fund(actor=officer, fields={"name": "Khác"})
    assert Fund.objects.get().name == fund.name


def test_a_fund_opens_on_its_first_business_date_never_after_today(accountant):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    set_up = lambda day: services.set_up_fund(  # noqa: E731
        actor=accountant, fields=FUND_FIELDS, business_date=day, lending_accounts=lending_accounts()
    )
    assert "business_date" in refused(lambda: set_up(tomorrow))
    assert not Fund.objects.exists()
    assert set_up(dt.date(2026, 1, 5)).opened_on == dt.date(2026, 1, 5)


def test_exposure_limit_reads_the_funds_settings(fund):
    # 15 % of 50 billion is 7.5 billion; the cap of 5 billion is lower.
    assert selectors.exposure_limit() == Decimal("5000000000")
    Fund.objects.update(exposure_cap=None)
    assert selectors.exposure_limit() == Decimal("7500000000")


# --- approval authority ----------------------------------------------------------------------


@pytest.fixture
def levels(fund, accountant):
    director, board = UserFactory(), UserFactory()
    services.create_authority_level(
        actor=accountant, name="Giám đốc", max_amount=Decimal(1_000_000_000), holders=[director]
    )
    services.create_authority_level(actor=accountant, name="Hội đồng", max_amount=None, holders=[board])
    return director, board


def test_the_lowest_level_covering_an_amount_approves_it(levels):
    assert selectors.approval_level_for(Decimal(1_000_000_000)).name == "Giám đốc"
    assert selectors.approval_level_for(Decimal(1_000_000_001)).name == "Hội đồng"
    director, board = levels
    assert selectors.can_approve(user=director, amount=Decimal(999_000_000))
    assert not selectors.can_approve(user=director, amount=Decimal(1_500_000_000))
    assert selectors.can_approve(user=board, amount=Decimal(50_000_000_000))
    assert list(selectors.approvers_for(Decimal(1_500_000_000))) == [board]


def test_without_a_covering_level_approval_is_refused_with_a_message(fund, accountant):
    services.create_authority_level(actor=accountant, name="Giám đốc", max_amount=Decimal(1_000_000_000))
    with pytest.raises(ValidationError, match="No approval authority level"):
        selectors.approval_level_for(Decimal(2_000_000_000))


def test_only_one_level_is_unlimited_and_limits_differ(levels, accountant):
    errors = refused(
        lambda: services.create_authority_level(actor=accountant, name="Đại hội", max_amount=None)
    )
    assert "Only one level" in " ".join(errors["__all__"])
    refused(
        lambda: services.create_authority_level(
            actor=accountant, name="Phó GĐ", max_amount=Decimal(1_000_000_000)
        )
    )
    refused(lambda: services.create_authority_level(actor=accountant, name="Tổ", max_amount=Decimal(0)))
    assert AuthorityLevel.objects.count() == 2


def _director_level(actor):
    return services.create_authority_level(actor=actor, name="Giám đốc", max_amount=None)


def _donations(actor):
    return services.create_capital_source(actor=actor, kind="donation", name="Tài trợ")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("model", "save"), [(AuthorityLevel, _director_level), (CapitalSource, _donations)])
def test_the_same_level_or_source_sent_twice_at_once_is_saved_once(fund, accountant, model, save):
    outcomes = at_once(lambda: save(accountant), lambda: save(accountant))
    assert sorted(type(outcome).__name__ for outcome in outcomes) == sorted(
        [model.__name__, "ValidationError"]
    )
    assert model.objects.count() == 1


# --- capital ---------------------------------------------------------------------------------


def test_a_capital_receipt_is_posted_dr_bank_cr_the_sources_account(fund, accountant):
    source = services.create_capital_source(
        actor=accountant, kind=CapitalSource.Kind.STATE_BUDGET, name="Ngân sách tỉnh"
    )
    assert source.account.code == "41111"
    bank = Account.objects.get(code="11211")
    receipt = services.record_capital_receipt(
        actor=accountant, source=source, amount=Decimal(3_000_000_000), account=bank
    )
    assert receipt.value_date == fund.business_date
    lines = {
        (line.account.code, line.debit.amount, line.credit.amount)
        for line in receipt.journal_entry.lines.all()
    }
    assert lines == {("11211", Decimal(3_000_000_000), 0), ("41111", 0, Decimal(3_000_000_000))}
    assert receipt.journal_entry.created_by == accountant
    assert selectors.capital_sources().get().received == Decimal(3_000_000_000)


@pytest.mark.parametrize(("kind", "code"), [("donation", "4118"), ("in_trust", "33881")])
def test_each_kind_of_source_credits_its_own_account(fund, accountant, kind, code):
    assert services.create_capital_source(actor=accountant, kind=kind, name=kind).account.code == code


def test_the_same_receipt_key_posts_once(fund, accountant):
    source = services.create_capital_source(actor=accountant, kind="donation", name="Tài trợ")
    key = uuid.uuid4()
    bank = Account.objects.get(code="11212")
    first = services.record_capital_receipt(
        actor=accountant, source=source, amount=Decimal(5), account=bank, key=key
    )
    again = services.record_capital_receipt(
        actor=accountant, source=source, amount=Decimal(5), account=bank, key=key
    )
    assert first.pk == again.pk
    assert (CapitalReceipt.objects.count(), JournalEntry.objects.count()) == (1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_receipt_sent_twice_at_once_posts_once(fund, accountant):
    source = services.create_capital_source(actor=accountant, kind="donation", name="Tài trợ")
    bank, key = Account.objects.get(code="11212"), uuid.uuid4()

    def send():
        return services.record_capital_receipt(
            actor=accountant, source=source, amount=Decimal(5), account=bank, key=key
        )

    first, second = at_once(send, send)
    assert isinstance(first, CapitalReceipt) and isinstance(second, CapitalReceipt), (first, second)
    assert first.pk == second.pk
    assert (CapitalReceipt.objects.count(), JournalEntry.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    ("amount", "code", "field"),
    [
        (Decimal(0), "11211", "amount"),
        (Decimal("10.5"), "11211", "amount"),
        (Decimal(1000), "11213", "account"),  # a bank account the fund does not lend from
    ],
)
def test_a_bad_receipt_posts_nothing(fund, accountant, amount, code, field):
    source = services.create_capital_source(actor=accountant, kind="donation", name="Tài trợ")
    errors = refused(
        lambda: services.record_capital_receipt(
            actor=accountant, source=source, amount=amount, account=Account.objects.get(code=code)
        )
    )
    assert field in errors
    assert not JournalEntry.objects.exists() and not CapitalReceipt.objects.exists()


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        (dt.date(1, 1, 1), ("not before the fund's opening date ({})", dt.date(2025, 1, 1))),
        (dt.date(2024, 12, 31), ("not before the fund's opening date ({})", dt.date(2025, 1, 1))),
        (dt.date(2026, 3, 3), ("at the latest the business date ({})", dt.date(2026, 3, 2))),
        (dt.date(9999, 12, 31), ("at the latest the business date ({})", dt.date(2026, 3, 2))),
    ],
)
def test_a_receipt_dated_outside_the_funds_days_posts_nothing(fund, accountant, day, problem):
    problem = problem[0].format(format_date(problem[1]))  # in the language of the test, not of its import
    source = services.create_capital_source(actor=accountant, kind="donation", name="Tài trợ")
    errors = refused(
        lambda: services.record_capital_receipt(
            actor=accountant,
            source=source,
            amount=Decimal(1000),
            account=Account.objects.get(code="11211"),
            value_date=day,
        )
    )
    assert problem in errors["value_date"][0]
    assert not JournalEntry.objects.exists() and not CapitalReceipt.objects.exists()


def test_officers_cannot_record_capital(fund, accountant, officer):
    source = services.create_capital_source(actor=accountant, kind="donation", name="Tài trợ")
    with pytest.raises(PermissionDenied):
        services.record_capital_receipt(
            actor=officer, source=source, amount=Decimal(1000), account=Account.objects.get(code="1111")
        )
    assert not JournalEntry.objects.exists()
