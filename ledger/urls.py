from django.urls import path

from ledger.views import chart, journal, periods, reports

app_name = "ledger"

urlpatterns = [
    path("", journal.journal, name="journal"),
    path("journal.xlsx", journal.journal_export, name="journal_export"),
    path("entries/new/", journal.entry_create, name="entry_create"),
    path("entries/<int:pk>/", journal.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/reverse/", journal.entry_reverse, name="entry_reverse"),
    path("accounts/", chart.chart, name="chart"),
    path("accounts/chart.xlsx", chart.chart_export, name="chart_export"),
    path("accounts/import/", chart.chart_import, name="chart_import"),
    path("accounts/new/", chart.account_create, name="account_create"),
    path("accounts/<str:code>/edit/", chart.account_edit, name="account_edit"),
    path("trial-balance/", reports.trial_balance, name="trial_balance"),
    path("trial-balance.xlsx", reports.trial_balance_export, name="trial_balance_export"),
    path("trial-balance/period/", reports.period_trial_balance, name="period_trial_balance"),
    path(
        "trial-balance/period.xlsx", reports.period_trial_balance_export, name="period_trial_balance_export"
    ),
    path("general-ledger/", reports.ledger_detail, name="ledger_detail"),
    path("general-ledger.xlsx", reports.ledger_detail_export, name="ledger_detail_export"),
    path("periods/", periods.periods, name="periods"),
    path("periods.xlsx", periods.periods_export, name="periods_export"),
    path("periods/<int:year>/<int:month>/close/", periods.period_close, name="period_close"),
    path("periods/<int:year>/<int:month>/reopen/", periods.period_reopen, name="period_reopen"),
    path("periods/<int:year>/close-year/", periods.year_close, name="year_close"),
    path("periods/<int:year>/reopen-year/", periods.year_reopen, name="year_reopen"),
]
