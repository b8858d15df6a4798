from django.urls import path

from loans.portal import views
from loans.views import applications

# The dossier's upload, submit and withdraw are the staff pages' actions, back to the portal.
BACK = {"back": "portal:application"}

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("loans/<int:pk>/", views.loan, name="loan"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("applications/<int:pk>/documents/", applications.document_add, BACK, name="document_add"),
    path("applications/<int:pk>/submit/", applications.submit, BACK, name="submit"),
    path("applications/<int:pk>/withdraw/", applications.withdraw, BACK, name="withdraw"),
    path("requests/<int:pk>/answer/", views.answer, name="answer"),
]
