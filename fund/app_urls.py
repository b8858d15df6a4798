"""The fund app's own pages (borrowers, products, the fund), under /fund/."""

app_name = "fund"

urlpatterns: list = []
