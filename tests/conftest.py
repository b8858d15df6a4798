import importlib

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import clear_url_caches
from django.utils import translation

from fund import roles
from tests.factories import UserFactory


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL; on SQLite they are skipped and the summary says so."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs on the PostgreSQL pass of the test command")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def user_with_role(db):
    """Make a user holding the given roles: `user_with_role("accountant")`."""

    def make(*roles: str, **fields):
        user = UserFactory(**fields)
        user.groups.set(Group.objects.filter(name__in=roles))
        return user

    return make


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashers take most of a second per password by design; tests need not.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def in_english():
    """Messages a test reads from a service are compared with their English source, whatever the
    catalogue says. Pages still speak the language a request asks for (LocaleMiddleware)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def uploads_in_a_temporary_folder(settings, tmp_path):
    # Uploaded documents of a test go to its own folder, never to the project's media/.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def site_urls_in_debug(settings):
    """The site's URLs as a debug run builds them, where a project would add MEDIA_URL."""
    urls = importlib.import_module(settings.ROOT_URLCONF)
    debug = settings.DEBUG
    settings.DEBUG = True
    importlib.reload(urls)
    clear_url_caches()
    yield
    settings.DEBUG = debug
    importlib.reload(urls)
    clear_url_caches()


@pytest.fixture
def officer(user_with_role):
    return user_with_role(roles.FUND_OFFICER)


@pytest.fixture
def appraiser(user_with_role):
    return user_with_role(roles.APPRAISER)


@pytest.fixture
def approver(user_with_role):
    return user_with_role(roles.APPROVER)


@pytest.fixture
def accountant(user_with_role):
    return user_with_role(roles.ACCOUNTANT)
