"""The appraisal report: a printable page and the same figures as .xlsx."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from appraisal.reports import appraisal_workbook
from appraisal.selectors import appraisal_figures
from appraisal.views.common import loan_and_appraisal
from common.xlsx import xlsx_response
from fund.selectors import current_fund


@login_required
def report(request, pk: int):
    loan, appraisal = loan_and_appraisal(request.user, pk)
    return render(
        request,
        "appraisal/report.html",
        {
            "loan": loan,
            "appraisal": appraisal,
            "figures": appraisal_figures(appraisal),
            "fund_name": current_fund().name,
        },
    )


@login_required
def report_xlsx(request, pk: int):
    loan, appraisal = loan_and_appraisal(request.user, pk)
    content = appraisal_workbook(appraisal_figures(appraisal))
    return xlsx_response(content, f"{loan.reference}-appraisal.xlsx")
