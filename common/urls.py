"""The pages of background jobs that belong to no one app: a file import's progress and result."""

from django.urls import path

from common import views

app_name = "common"

urlpatterns = [
    path("<int:pk>/", views.import_job, name="import_job"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
]
