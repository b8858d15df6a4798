"""The demo: applications in the early states, and loans serviced with a few months of history."""

import dataclasses
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import translation
from openpyxl import load_workbook

from appraisal import demo as appraisal_demo
from fund.models import Fund, LoanProduct
from loans.models import Disbursement, Loan, LoanBalance, LoanStatus, LoanTransaction, Repayment
from loans.replaying import parts_of, replay_part
from loans.selectors.position import loan_position
from loans.selectors.reconciliation import reconciliation
from loans.selectors.recoveries import off_balance
from loans.selectors.schedule import group_schedule, schedule_of
from tests.sheets import rows_of, table_under

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo files its dossiers' placeholder scans


@pytest.fixture
def more_approved(monkeypatch):
    """The appraisal demo approving the applications it leaves appraised: every plan applies."""
    approved = [
        dataclasses.replace(a, until="approved") if a.until == "appraised" else a
        for a in appraisal_demo.APPLICATIONS
    ]
    monkeypatch.setattr(appraisal_demo, "APPLICATIONS", approved)


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", force=True, stdout=out)
    return out.getvalue()


def snapshot():
    return (
        sorted(Loan.objects.values_list("pk", "status")),
        Repayment.objects.count(),
        LoanTransaction.objects.count(),
        Disbursement.objects.count(),
        Fund.objects.get().business_date,
    )


def test_the_demo_has_applications_in_the_early_states_and_services_the_approved_loans():
    out = run_demo()
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


def test_with_more_loans_approved_every_state_is_there_and_a_second_run_changes_nothing(more_approved):
    run_demo()
    statuses = set(Loan.objects.values_list("status", flat=True))
    assert statuses >= {LoanStatus.APPROVED, LoanStatus.ACTIVE, LoanStatus.CLOSED}
    closed = Loan.objects.get(status=LoanStatus.CLOSED)
    assert closed.transactions.aggregate(left=Sum("principal"))["left"] == 0
    # The loan never repaid is written off, with a recovery: income, and less pursued off-balance.
    lost = Loan.objects.get(borrower__registration_number="02/HĐHT-UBND", status=LoanStatus.WRITTEN_OFF)
    recovery = lost.recoveries.get()
    assert recovery.amount.amount > 0
    assert off_balance(
        lost.pk
    ) == lost.write_off_record.principal.amount + lost.write_off_record.interest.amount - (
        recovery.amount.amount
    )
    assert {
        row.code: row.difference
        for row in reconciliation(as_of=Fund.objects.get().business_date)
        if row.difference
    } == {}
    coops = Loan.objects.filter(borrower__registration_number="1000123456", status=LoanStatus.ACTIVE)
    assert coops.get().repayments.count() == 4  # the demo co-op user sees an active loan of its own
    restructured = Loan.objects.get(restructure_count=1)
    extension = restructured.actions.get()
    assert (extension.kind, extension.status) == ("extension", "applied")
    assert restructured.balances.get(valid_to__isnull=True).restructured
    assert restructured.schedule_versions.filter(reason="extension").exists()
    before = snapshot()
    run_demo()
    assert snapshot() == before


def test_the_example_portfolio_merges_into_the_demo_fund(user_with_role, django_capture_on_commit_callbacks):
    from fund import roles
    from loans.models import PortfolioImport
    from loans.selectors.reconciliation import reconciliation
    from loans.services.onboarding import importing
    from loans.services.onboarding.example import CAPITAL, SOURCE, example_workbook
    from loans.services.onboarding.workbook import LOANS

    run_demo()
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


def test_the_example_rows_of_every_import_template_import_on_the_demo_fund(user_with_role, client):
    """The borrowers', households', repayments' and chart's templates, downloaded by an
    accountant and uploaded as they come: each example row goes in."""
    from django.urls import reverse

    from fund import imports, roles
    from ledger.services import import_chart
    from loans.services.servicing.imports import import_repayments

    run_demo()
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
