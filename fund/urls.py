"""The fund app's own pages (borrowers, products, the fund), under /fund/."""

from django.urls import path

from fund.views import borrowers, calendar, products, settings, tokens

app_name = "fund"

urlpatterns = [
    path("borrowers/", borrowers.borrower_list, name="borrower_list"),
    path("borrowers/new/", borrowers.borrower_create, name="borrower_create"),
    path("borrowers/import/", borrowers.borrower_import, name="borrower_import"),
    path("borrowers/import/template/", borrowers.borrower_import_template, name="borrower_import_template"),
    path("borrowers/<int:pk>/", borrowers.borrower_detail, name="borrower_detail"),
    path("borrowers/<int:pk>/edit/", borrowers.borrower_edit, name="borrower_edit"),
    path("borrowers/<int:pk>/status/", borrowers.borrower_status, name="borrower_status"),
    path("borrowers/<int:pk>/households/new/", borrowers.member_create, name="member_create"),
    path("borrowers/<int:pk>/documents/new/", borrowers.document_upload, name="document_upload"),
    path("households/<int:pk>/edit/", borrowers.member_edit, name="member_edit"),
    path("documents/<int:pk>/", borrowers.document_download, name="document_download"),
    path("products/", products.product_list, name="product_list"),
    path("products/new/", products.product_create, name="product_create"),
    path("products/<int:pk>/", products.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", products.product_edit, name="product_edit"),
    path("products/<int:pk>/status/", products.product_status, name="product_status"),
    path("settings/", settings.fund_detail, name="fund_detail"),
    path("settings/setup/", settings.fund_setup, name="fund_setup"),
    path("settings/edit/", settings.fund_edit, name="fund_edit"),
    path("settings/calendar/", calendar.calendar, name="calendar"),
    path("settings/calendar/remove/", calendar.calendar_remove, name="calendar_remove"),
    path("settings/authority/new/", settings.authority_create, name="authority_create"),
    path("settings/authority/<int:pk>/edit/", settings.authority_edit, name="authority_edit"),
    path("settings/capital/sources/new/", settings.capital_source_create, name="capital_source_create"),
    path("api-tokens/", tokens.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", tokens.api_token_revoke, name="api_token_revoke"),
    path("settings/capital/receipts/new/", settings.capital_receipt_create, name="capital_receipt_create"),
]
