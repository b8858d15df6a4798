"""The demo (`manage.py demo`): the fund, its users, applications in every state of the
appraisal, loans serviced with a few months of history, books that agree, templates whose
examples import. One demo is built for the module (`shared_db`): each test reads it, or runs
the demo again on top of it, and what it changes is rolled back."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from appraisal.models import Appraisal
from fund.demo import DEMO_USERS, demo_password
from fund.models import Borrower, CapitalReceipt, Fund, HouseholdMember, LoanProduct, User
from fund.roles import roles_of
from fund.selectors import approval_level_for, current_fund, offered_products
from ledger.models import JournalEntry
from loans.models import Disbursement, Loan, LoanBalance, LoanStatus, Repayment
from loans.replaying import parts_of, replay_part
from loans.selectors.position import loan_position
from loans.selectors.schedule import group_schedule, schedule_of
from tests.loans.test_reconciliation import assert_nothing_differs
from tests.sheets import rows_of, table_under

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(shared_db) -> str:
    """What the demo printed, its rows written."""
    return run_demo()


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", force=True, stdout=out)
    return out.getvalue()


def counts():
    return [
        model.objects.count()
        for model in (Fund, LoanProduct, Borrower, HouseholdMember, CapitalReceipt, JournalEntry, User)
    ]


# --- the fund and its users --------------------------------------------------------------------


def test_the_demo_fund_has_products_borrowers_of_every_type_and_posted_capital(demo):
    fund = current_fund()
    assert set(fund.lending_accounts.values_list("code", flat=True)) >= {"11211"}
    assert len(offered_products()) == 3
    assert {b.type for b in Borrower.objects.all()} == set(Borrower.Type.values)
    assert Borrower.objects.count() >= 12
    assert Borrower.objects.values("province").distinct().count() >= 4
    assert all(group.members.exists() for group in Borrower.objects.filter(type="household_group"))
    assert offered_products(borrower_type="household_group").get().code == "HTND-TO"
    for receipt in CapitalReceipt.objects.select_related("journal_entry"):
        assert receipt.journal_entry.lines.count() == 2
    coop = User.objects.get(username="coop")
    assert coop.borrower.type == Borrower.Type.COOPERATIVE
    assert approval_level_for(fund.exposure_limit).holders.filter(username="approver").exists()


def test_the_demo_runs_twice_to_the_same_data(demo):
    first = counts()
    run_demo()
    assert counts() == first


def test_demo_creates_a_user_for_each_role_and_prints_the_passwords(demo):
    for username, _name, roles in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password(demo_password(username))
        assert roles_of(user) == roles
        assert demo_password(username) in demo


def test_demo_can_run_again_without_duplicating(demo):
    count = User.objects.count()
    User.objects.filter(username="officer").update(first_name="changed")
    run_demo()
    assert User.objects.count() == count
    assert User.objects.get(username="officer").first_name != "changed"


def test_each_demo_user_logs_in_and_lands_home(client, demo):
    for username in [u for u, _name, _roles in DEMO_USERS]:
        response = client.post(
            reverse("login"), {"username": username, "password": demo_password(username)}, follow=True
        )
        assert response.status_code == 200
        assert response.context["user"].username == username
        assert response.request["PATH_INFO"] == reverse("home")
        client.logout()


# --- applications and their appraisal ----------------------------------------------------------


def test_the_demo_has_applications_in_each_appraisal_state(demo):
    statuses = set(Loan.objects.filter(appraisal__isnull=False).values_list("status", flat=True))
    assert statuses >= {LoanStatus.APPRAISING, LoanStatus.APPRAISED, LoanStatus.APPROVED, LoanStatus.REJECTED}
    approved = Loan.objects.filter(status=LoanStatus.APPROVED)
    assert all(loan.approved_amount and loan.decided_on for loan in approved)
    assert Loan.objects.filter(status=LoanStatus.REJECTED).exclude(rejection_reason="").exists()
    # Four eyes hold in the demo too: no application was decided by its appraiser.
    for loan in Loan.objects.filter(status__in=[LoanStatus.APPROVED, LoanStatus.REJECTED]):
        decided_by = loan.events.get(transition__in=["approve", "reject"]).actor
        assert decided_by != loan.appraisal.appraiser
    assert "Demo appraisals:" in demo


def test_the_demo_runs_twice_without_new_appraisals(demo):
    before = (Loan.objects.count(), Appraisal.objects.count())
    run_demo()
    assert (Loan.objects.count(), Appraisal.objects.count()) == before


# --- loans serviced, and the books -------------------------------------------------------------


def test_the_demo_has_applications_in_the_early_states_and_services_the_approved_loans(demo):
    out = demo
    statuses = set(Loan.objects.values_list("status", flat=True))
    assert statuses >= {LoanStatus.DRAFT, LoanStatus.SUBMITTED, LoanStatus.WITHDRAWN, LoanStatus.ACTIVE}
    withdrawn = Loan.objects.filter(status=LoanStatus.WITHDRAWN)
    assert all(loan.events.get(transition="withdraw").note for loan in withdrawn)
    # The co-op user drafted one of its own.
    assert Loan.objects.filter(status=LoanStatus.DRAFT, created_by__username="coop").exists()

    group = Loan.objects.get(borrower__registration_number="12/QĐ-HND", status=LoanStatus.ACTIVE)
    waiting = Loan.objects.get(borrower__registration_number="1801234567")
    assert waiting.status == LoanStatus.APPROVED and waiting.contract is not None
    # Its first tranche was authorized too early, reversed (the bank returned it), entered again.
    assert sorted(waiting.disbursements.values_list("status", flat=True)) == [
        Disbursement.Status.PENDING,
        Disbursement.Status.REVERSED,
    ]
    reversed_tranche = waiting.disbursements.get(status=Disbursement.Status.REVERSED)
    assert reversed_tranche.reversal.returned_into == reversed_tranche.account
    business_date = Fund.objects.get().business_date
    results = {
        share.member.id_number: replay_part(group, share, as_of=business_date) for share in parts_of(group)
    }
    # One household has not paid its last installment: only it is overdue. One repaid its share.
    assert [number for number, result in results.items() if result.days_past_due] == ["034182004567"]
    assert results["034072003456"].is_repaid
    # Its late month paid interest on the unpaid interest (no principal was due that month).
    late = group.transactions.filter(share__member__id_number="034182004567").aggregate(Sum("penalty"))
    assert late["penalty__sum"] > 0
    assert group.repayments.filter(prepayment_mode="shorten_term", share__member__id_number="034075009876")
    # The whole group's schedule sums every household's rows, the payoff made on an installment
    # date too: all the principal lent, repaid by the last date.
    position = loan_position(group, as_of=business_date)
    whole = group_schedule(position)
    assert whole.principal == sum(schedule_of(part.result).principal for part in position.parts) > 0
    assert whole.lines[-1].row.closing_principal == 0
    assert "Demo applications:" in out and "Demo loans serviced:" in out
    # Serviced through the services, every disbursed sub-loan has its current balances row.
    disbursed = Loan.objects.filter(disbursements__status=Disbursement.Status.AUTHORIZED).distinct()
    for loan in disbursed:
        current = LoanBalance.objects.filter(loan=loan, valid_to__isnull=True)
        assert current.count() == len(parts_of(loan))


def test_after_the_demo_nothing_differs(demo):
    assert_nothing_differs(Fund.objects.get().business_date)


# --- bringing more in: the example portfolio and the import templates --------------------------


def test_the_example_portfolio_merges_into_the_demo_fund(
    demo, user_with_role, django_capture_on_commit_callbacks
):
    from fund import roles
    from loans.models import PortfolioImport
    from loans.selectors.reconciliation import reconciliation
    from loans.services.onboarding import importing
    from loans.services.onboarding.example import CAPITAL, SOURCE, example_workbook
    from loans.services.onboarding.workbook import LOANS

    fund = Fund.objects.get()
    # The rates are numbers in percent (shown 7,20 in Vietnamese), not text such as "7.200000".
    sheet = load_workbook(example_workbook(fund))[LOANS]
    header = next(row for row in rows_of(sheet) if row and row[0] == "Số hợp đồng")
    product, rate = header.index("Mã sản phẩm"), header.index("Lãi suất %/năm")
    given = table_under(sheet, "Số hợp đồng")
    newest = {p.code: p.annual_rate for p in LoanProduct.objects.order_by("version")}
    assert given and all(isinstance(row[rate], int | float) for row in given)
    assert [Decimal(str(row[rate])) for row in given] == [newest[row[product]] * 100 for row in given]
    accountant = user_with_role(roles.ACCOUNTANT)
    batch = importing.check_portfolio(
        actor=accountant,
        file=example_workbook(fund),
        file_name="vi-du.xlsx",
        source_fund=SOURCE,
        capital_account=CAPITAL,
    )
    assert batch.state == PortfolioImport.State.CHECKED, [str(e) for e in importing.refusals(batch)]
    with django_capture_on_commit_callbacks(execute=True):
        importing.commit_portfolio(actor=user_with_role(roles.ACCOUNTANT), batch=batch)
    batch = PortfolioImport.objects.get(pk=batch.pk)
    assert batch.state == PortfolioImport.State.COMMITTED, [str(e) for e in importing.refusals(batch)]
    assert batch.report["loans"] == 3 and batch.report["sub_loans"] == 4
    brought = Loan.objects.filter(openings__batch=batch).distinct()
    assert {loan.borrower.source_fund for loan in brought} == {SOURCE}
    assert all(loan.status == LoanStatus.ACTIVE for loan in brought)
    assert [row.code for row in reconciliation(as_of=batch.cut_over) if row.difference] == []


def test_the_example_rows_of_every_import_template_import_on_the_demo_fund(demo, user_with_role, client):
    """The borrowers', households', repayments' and chart's templates, downloaded by an
    accountant and uploaded as they come: each example row goes in."""
    from fund import imports, roles
    from ledger.services import import_chart
    from loans.services.servicing.imports import import_repayments

    client.force_login(user_with_role(roles.ACCOUNTANT))

    def template(name, **query):
        response = client.get(reverse(name), query)
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.content))
        validations = [v for sheet in workbook.worksheets for v in sheet.data_validations.dataValidation]
        assert validations and workbook.sheetnames[1] in ("Instructions", "Hướng dẫn")
        return io.BytesIO(response.content)

    officer = user_with_role(roles.FUND_OFFICER)
    for kind in (imports.BORROWERS, imports.HOUSEHOLDS):
        file = template("fund:borrower_import_template", kind=kind)
        report = imports.import_file(actor=officer, kind=kind, file=file)
        assert report.ok and report.created == 1, [str(e) for e in report.errors]
    # The repayments' template has no data row: as downloaded it posts nothing; its example,
    # on the instructions sheet, copied into the data sheet as a user would, goes in.
    downloaded, repayments = template("loans:import_template"), Repayment.objects.count()
    with translation.override("en"):  # (the client's requests left Vietnamese active)
        report = import_repayments(actor=officer, file=downloaded, file_name="mau.xlsx")
        assert [str(e.message) for e in report.errors] == ["The sheet has headers but no rows."]
    assert Repayment.objects.count() == repayments
    downloaded.seek(0)
    workbook = load_workbook(downloaded)
    data, instructions = workbook.worksheets[:2]
    assert data.max_row == 1  # the headers only
    example = [row[3] for row in table_under(instructions, instructions["A3"].value)]
    assert len(example) == data.max_column and example[2] == "1.000.000"
    for column, value in enumerate(example, start=1):
        data.cell(row=2, column=column, value=value)
    filled = io.BytesIO()
    workbook.save(filled)
    filled.seek(0)
    report = import_repayments(actor=officer, file=filled, file_name="mau.xlsx")
    assert report.ok and len(report.posted) == 1, [str(e) for e in report.errors]
    accountant = user_with_role(roles.ACCOUNTANT)
    summary = import_chart(actor=accountant, file=template("ledger:chart_export"))
    assert summary.created == summary.updated == 0 and summary.unchanged > 0
