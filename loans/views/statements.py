"""The loan's statement (sao kê) and schedule as .xlsx, for whoever may see the loan."""

from django.contrib.auth.decorators import login_required
from django.http import Http404

from common.xlsx import workbook_bytes, xlsx_response
from fund.selectors import current_fund, is_coop_user
from loans import reports
from loans.selectors.access import get_loan_for
from loans.selectors.position import loan_position
from loans.selectors.statement import statement


def _disbursed_loan_for(user, pk: int):
    """The loan and its position today; 404 until something is disbursed (no statement yet)."""
    loan = get_loan_for(user, pk)
    position = loan_position(loan, as_of=current_fund().business_date)
    if not position.started:
        raise Http404
    return loan, position


@login_required
def statement_xlsx(request, pk: int):
    loan, position = _disbursed_loan_for(request.user, pk)
    # Journal entries are the fund's books: a co-op's statement has no entry numbers.
    with_entries = not is_coop_user(request.user) and request.user.has_perm("ledger.view_journalentry")
    sheet = reports.statement_sheet(loan, statement(loan), as_of=position.as_of, with_entries=with_entries)
    return xlsx_response(workbook_bytes(sheet), f"sao-ke-{loan.reference}.xlsx")


@login_required
def schedule_xlsx(request, pk: int):
    loan, position = _disbursed_loan_for(request.user, pk)
    sheets = reports.schedule_sheets(loan, position)
    return xlsx_response(workbook_bytes(*sheets), f"lich-tra-no-{loan.reference}.xlsx")
