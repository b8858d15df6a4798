"""The site's URLs: each app's pages under its own prefix.

Uploaded files have no URL of their own (not even MEDIA_URL in debug): each app's document
view hands them out to those who may see them.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import common.api.urls  # noqa: F401  (registers the <id:…> converter of the API's paths)
from common.api.views import UnknownPath
from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include("twofactor.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("fund/", include("fund.urls")),
    path("ledger/", include("ledger.urls")),
    path("loans/", include("loans.urls")),
    path("appraisal/", include("appraisal.urls")),
    path("portal/", include("loans.portal.urls")),
    path("audit/", include("audit.urls")),
    path("imports/", include("common.urls")),
    # The web API: each app's resources; any other path under /api/ is the API's JSON 404.
    path(
        "api/v1/",
        include([path("", include(f"{app}.api.urls")) for app in ("fund", "loans", "ledger")]),
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    re_path(r"^api/", UnknownPath.as_view()),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"), permanent=True)),
]
