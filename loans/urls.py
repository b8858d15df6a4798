from django.urls import path

from loans.views import (
    applications,
    close_runs,
    closing,
    contracts,
    disbursements,
    imports,
    loan,
    reconciliation,
    repayments,
    reports,
    statements,
)

app_name = "loans"

urlpatterns = [
    path("", applications.application_list, name="applications"),
    path("new/", applications.application_new, name="application_new"),
    path("<int:pk>/", loan.loan_detail, name="loan_detail"),
    path("<int:pk>/edit/", applications.application_edit, name="application_edit"),
    path("<int:pk>/documents/", applications.document_add, name="document_add"),
    path("<int:pk>/submit/", applications.submit, name="submit"),
    path("<int:pk>/withdraw/", applications.withdraw, name="withdraw"),
    path("<int:pk>/contract/", contracts.contract_sign, name="contract_sign"),
    path("<int:pk>/disbursements/new/", disbursements.disbursement_new, name="disbursement_new"),
    path("<int:pk>/repayments/new/", repayments.repayment_new, name="repayment_new"),
    path("<int:pk>/statement.xlsx", statements.statement_xlsx, name="statement_xlsx"),
    path("<int:pk>/schedule.xlsx", statements.schedule_xlsx, name="schedule_xlsx"),
    path("documents/<int:pk>/", applications.document_download, name="document_download"),
    path("close-of-day/", closing.close_of_day, name="close_of_day"),
    path("close-of-day/provisions/", closing.provisions, name="provisions"),
    path("close-of-day/progress/", close_runs.close_progress, name="close_progress"),
    path("close-of-day/runs/", close_runs.close_runs, name="close_runs"),
    path("close-of-day/runs/<int:pk>/", close_runs.close_run, name="close_run"),
    path("close-of-day/failures/<int:pk>/retry/", close_runs.failure_retry, name="failure_retry"),
    path("reports/aging/", reports.aging_report, name="aging_report"),
    path("reports/aging.xlsx", reports.aging_report, {"xlsx": True}, name="aging_xlsx"),
    path("reports/arrears/", reports.arrears_report, name="arrears_report"),
    path("reports/arrears.xlsx", reports.arrears_report, {"xlsx": True}, name="arrears_xlsx"),
    path("reports/classification/", reports.classification_report, name="classification_report"),
    path(
        "reports/classification.xlsx",
        reports.classification_report,
        {"xlsx": True},
        name="classification_xlsx",
    ),
    path("tranches/", disbursements.tranches, name="tranches"),
    path("tranches/<int:pk>/authorize/", disbursements.tranche_authorize, name="tranche_authorize"),
    path("tranches/<int:pk>/cancel/", disbursements.tranche_cancel, name="tranche_cancel"),
    path("repayments/<int:pk>/reverse/", repayments.repayment_reverse, name="repayment_reverse"),
    path("repayments/import/", imports.repayment_import, name="repayment_import"),
    path("repayments/import/template.xlsx", imports.import_template, name="import_template"),
    path("reconciliation/", reconciliation.reconciliation_page, name="reconciliation"),
    path("reconciliation.xlsx", reconciliation.reconciliation_export, name="reconciliation_export"),
    path("reconciliation/<str:code>/", reconciliation.reconciliation_account, name="reconciliation_account"),
    path(
        "reconciliation/<str:code>/<int:pk>/", reconciliation.reconciliation_loan, name="reconciliation_loan"
    ),
]
