from django.urls import path

from appraisal.views import appraising, decisions, reports

app_name = "appraisal"

# Pages of one application's appraisal take the loan's id: a loan has one appraisal.
urlpatterns = [
    path("", appraising.queue, name="queue"),
    path("decisions/", decisions.decisions, name="decisions"),
    path("<int:pk>/", appraising.appraisal_page, name="appraisal"),
    path("<int:pk>/start/", appraising.start, name="start"),
    path("<int:pk>/dossier/", appraising.dossier, name="dossier"),
    path("<int:pk>/statements/", appraising.statements, name="statements"),
    path("<int:pk>/cash-flow/", appraising.cash_flow, name="cash_flow"),
    path("<int:pk>/collateral/", appraising.collateral_add, name="collateral_add"),
    path("<int:pk>/collateral/<int:item>/", appraising.collateral_edit, name="collateral_edit"),
    path("<int:pk>/collateral/<int:item>/remove/", appraising.collateral_remove, name="collateral_remove"),
    path("<int:pk>/site-visit/", appraising.site_visit, name="site_visit"),
    path("<int:pk>/score/", appraising.score, name="score"),
    path("<int:pk>/recommendation/", appraising.recommendation, name="recommendation"),
    path("<int:pk>/complete/", appraising.complete, name="complete"),
    path("<int:pk>/report/", reports.report, name="report"),
    path("<int:pk>/report.xlsx", reports.report_xlsx, name="report_xlsx"),
    path("<int:pk>/decide/", decisions.decide, name="decide"),
    path("<int:pk>/approve/", decisions.approve, name="approve"),
    path("<int:pk>/reject/", decisions.reject, name="reject"),
    path("<int:pk>/undo-approval/", decisions.undo_approval, name="undo_approval"),
]
