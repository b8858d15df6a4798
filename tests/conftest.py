import importlib
import os
import sqlite3
from contextlib import closing
from urllib.parse import quote, urlsplit

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.urls import clear_url_caches
from django.utils import translation

from config.celery import app as celery_app
from fund import roles
from fund.selectors import forget_calendar
from scripts.celery_cluster import Cluster, celery_cluster, tasks_sent_to
from tests.factories import user_holding

# Fixtures through which a test reaches the database (pytest-django's, and `live_server`'s).
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def uses_the_database(item) -> bool:
    return "django_db" in item.keywords or not DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL; on SQLite they are skipped and the summary says so.
    After the SQLite pass (scripts/test.sh sets COOPFUND_AFTER_SQLITE), the PostgreSQL pass
    deselects the tests that use no database and are not marked `postgres`: they ran in the SQLite
    pass and would run the same here (pytest-django refuses them a query), so this pass spends its
    time on what differs between the databases."""
    for item in items:  # a module's shared rows built once, by one worker (`--dist loadgroup`)
        if "shared_db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    if connection.vendor == "postgresql":
        if os.environ.get("COOPFUND_AFTER_SQLITE"):
            kept, dropped = [], []
            for item in items:
                (kept if uses_the_database(item) or "postgres" in item.keywords else dropped).append(item)
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs on the PostgreSQL pass of the test command")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings, django_db_blocker):
    """scripts/test.sh migrates one database per pass, once (COOPFUND_MIGRATED_DB on PostgreSQL,
    COOPFUND_MIGRATED_SQLITE on SQLite); this process's test database is made a copy of it and
    kept as it is, instead of migrating its own: the migrations run once, not once per pytest
    process. `migrate` then finds nothing to apply."""
    if connection.vendor == "postgresql" and os.environ.get("COOPFUND_MIGRATED_DB"):
        template = os.environ["COOPFUND_MIGRATED_DB"]
        name = connection.creation._get_test_db_name()
        with django_db_blocker.unblock(), connection.creation._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield True
    elif connection.vendor == "sqlite" and os.environ.get("COOPFUND_MIGRATED_SQLITE"):
        # The test database lives in memory, shared by name within this process (Django's
        # `mode=memory&cache=shared`) for as long as one connection to it is open: this one
        # holds it from the copy to the end of the session.
        name = connection.creation._get_test_db_name()
        assert connection.creation.is_in_memory_db(name), name
        with closing(sqlite3.connect(name, uri=True)) as test_db:
            with closing(sqlite3.connect(os.environ["COOPFUND_MIGRATED_SQLITE"])) as migrated:
                migrated.backup(test_db)
            yield True
    else:
        yield request.config.getvalue("reuse_db")


@pytest.fixture(scope="session", autouse=True)
def flush_lifts_the_journal_truncate_guard():
    """A transactional test ends with a flush, one TRUNCATE of every table, which the ledger's
    and the audit trail's guards refuse on PostgreSQL. The flush, run by the tables' owner,
    disables those triggers for its own transaction only: every other statement of the tests
    still meets them."""
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    tables = (
        *importlib.import_module("ledger.migrations.0009_postgresql_refuse_truncate").TABLES,
        importlib.import_module("audit.migrations.0001_postgresql_guards").TABLE,
    )
    flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        lift = [f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_truncate" for table in tables]
        keep = [f"ALTER TABLE {table} ENABLE TRIGGER {table}_no_truncate" for table in tables]
        flush(self, [*lift, *sql_list, *keep])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture(scope="module")
def shared_db(django_db_setup, django_db_blocker, tmp_path_factory):
    """Rows that the tests of one module read and built once: written in the module's own
    transaction, rolled back after its last test. Each test's `db` transaction is a savepoint
    within it, so what a test changes is gone for the next. Written as the function-scoped
    fixtures below would have them (in English, fast hashing, uploads in a temporary folder, the
    calendar read afresh); only for modules without transactional tests."""
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        translation.override("en"),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        ),
    ):
        forget_calendar()
        yield
        transaction.set_rollback(True)
    forget_calendar()


@pytest.fixture
def user_with_role(db):
    """Make a user holding the given roles: `user_with_role("accountant")`."""
    return user_holding


@pytest.fixture(autouse=True)
def second_factor_optional(settings):
    """Tests log users in with `force_login` or a password alone; the second factor is then
    asked of nobody who has not enrolled one. tests/twofactor turns it back on (fixture
    `second_factor_required`) to prove the roles' requirement."""
    settings.TWO_FACTOR_REQUIRED = False


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


@pytest.fixture(autouse=True)
def fresh_calendar():
    """The fund's calendar is kept in memory between uses: each test reads its own fund's."""
    forget_calendar()


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """POST an import page's form the way a browser does: the task it sends runs (eagerly, once
    the request's transaction commits) and the page it redirects to, the job's, answers; a
    form the page refused answers as it is."""

    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data)
        return client.get(response["Location"]) if response.status_code == 302 else response

    return post


@pytest.fixture(scope="session")
def celery_session_cluster(django_db_setup):
    """Redis and two Celery worker processes on this test process's PostgreSQL test database,
    shared by its tests. Stopped before the test database is dropped (it depends on its set-up),
    which PostgreSQL refuses while a worker is connected."""
    if connection.vendor != "postgresql":
        pytest.fail("Celery workers need the test database on PostgreSQL: mark the test `postgres`")
    url = urlsplit(os.environ["DATABASE_URL"])
    test_database = url._replace(path="/" + quote(connection.settings_dict["NAME"])).geturl()
    with celery_cluster(test_database) as cluster:
        yield cluster


@pytest.fixture
def celery_workers(django_db_serialized_rollback, transactional_db, celery_session_cluster) -> Cluster:
    """Real Celery workers: the test's tasks go through Redis to them instead of running eagerly.
    They see what the test committed (hence a transactional database, whose migrated data, the
    chart of accounts and roles, comes back after the flush) and write their results into it.
    A worker the previous test killed is replaced; tasks left over are forgotten."""
    cluster = celery_session_cluster
    for index, process in enumerate(cluster.processes):
        if process.poll() is not None:
            cluster.start(index)
    with tasks_sent_to(celery_app, cluster.broker_url):
        yield cluster
    cluster.forget_tasks()
