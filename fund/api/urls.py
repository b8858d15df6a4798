from django.urls import path

from fund.api import views

urlpatterns = [
    path("borrowers/", views.BorrowerList.as_view(), name="api-borrowers"),
    path("borrowers/<id:pk>/", views.BorrowerDetail.as_view(), name="api-borrower"),
    path("borrowers/<id:pk>/households/", views.BorrowerHouseholds.as_view(), name="api-borrower-households"),
    path("households/<id:pk>/", views.Household.as_view(), name="api-household"),
    path("products/", views.ProductList.as_view(), name="api-products"),
    path("products/<id:pk>/", views.ProductDetail.as_view(), name="api-product"),
]
