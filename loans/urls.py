from django.urls import path

from loans.views import applications, loan

app_name = "loans"

urlpatterns = [
    path("", applications.application_list, name="applications"),
    path("new/", applications.application_new, name="application_new"),
    path("<int:pk>/", loan.loan_detail, name="loan_detail"),
    path("<int:pk>/edit/", applications.application_edit, name="application_edit"),
    path("<int:pk>/documents/", applications.document_add, name="document_add"),
    path("<int:pk>/submit/", applications.submit, name="submit"),
    path("<int:pk>/withdraw/", applications.withdraw, name="withdraw"),
]
