from django.urls import path

from ledger.api import views

urlpatterns = [
    path("reports/trial-balance/", views.TrialBalance.as_view(), name="api-report-trial-balance"),
]
