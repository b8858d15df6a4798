from django.urls import path

from loans.api import closing, documents, reports, views

urlpatterns = [
    path("close-runs/", closing.CloseRuns.as_view(), name="api-close-runs"),
    path("close-runs/<id:pk>/", closing.CloseRunDetail.as_view(), name="api-close-run"),
    path("reports/aging/", reports.AgingReport.as_view(), name="api-report-aging"),
    path("reports/arrears/", reports.ArrearsReport.as_view(), name="api-report-arrears"),
    path("reports/classification/", reports.ClassificationReport.as_view(), name="api-report-classification"),
    path("reports/portfolio/", reports.PortfolioReport.as_view(), name="api-report-portfolio"),
    path("reports/due/", reports.DueReport.as_view(), name="api-report-due"),
    path("reports/trend/", reports.TrendReport.as_view(), name="api-report-trend"),
    path("reports/recoveries/", reports.RecoveriesReport.as_view(), name="api-report-recoveries"),
    path("loans/", views.LoanList.as_view(), name="api-loans"),
    path("loans/<id:pk>/", views.LoanDetail.as_view(), name="api-loan"),
    path("loans/<id:pk>/schedule/", views.Schedule.as_view(), name="api-loan-schedule"),
    path("loans/<id:pk>/statement/", views.Statement.as_view(), name="api-loan-statement"),
    path("loans/<id:pk>/payoff/", views.PayoffQuote.as_view(), name="api-loan-payoff"),
    path("loans/<id:pk>/repayments/", views.LoanRepayments.as_view(), name="api-loan-repayments"),
    path("loans/<id:pk>/tranches/", views.LoanTranches.as_view(), name="api-loan-tranches"),
    path("repayments/<id:pk>/reverse/", views.RepaymentReverse.as_view(), name="api-repayment-reverse"),
    path("tranches/<id:pk>/authorize/", views.TrancheAuthorize.as_view(), name="api-tranche-authorize"),
    path("tranches/<id:pk>/cancel/", views.TrancheCancel.as_view(), name="api-tranche-cancel"),
    path("applications/", views.Applications.as_view(), name="api-applications"),
    path(
        "applications/<id:pk>/documents/",
        documents.ApplicationDocuments.as_view(),
        name="api-application-documents",
    ),
    path("applications/<id:pk>/submit/", views.ApplicationSubmit.as_view(), name="api-application-submit"),
    path(
        "applications/<id:pk>/withdraw/", views.ApplicationWithdraw.as_view(), name="api-application-withdraw"
    ),
]
