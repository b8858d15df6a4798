"""End-to-end tests in a real browser: Playwright driving Debian's Chromium (`/usr/bin/chromium`,
which the test command installs; Playwright's own download is not used) against the site served by
pytest-django's `live_server`.

Any test can use:
- `browser`: one headless Chromium for the whole test process (the test command runs
  tests/browser in a process of its own, after the rest of the suite);
- `open_page(user=None, *, viewport=None, language="vi")`: a new browser context (its own cookies)
  and page on the live server, logged in as `user` through the login form when one is given;
- `log_in(page, user)`: the one place that knows how a person logs in;
- `fund` (on START, with 5 billion of capital in its bank) and `staff` (one user per staff role),
  the loan tests' own.
Their database is transactional (the server's thread sees what the test wrote) and the migrated
data (the chart of accounts, the roles) comes back after each test's flush.
A failing test saves a screenshot of each page it opened under `test-results/browser/` and the
report prints where.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import TEST_PASSWORD
from tests.loans.conftest import fund, staff  # noqa: F401  (the loan tests' fund and staff, here too)

CHROMIUM = os.environ.get("COOPFUND_CHROMIUM", "/usr/bin/chromium")
# The machines' network is closed: without these Chromium keeps trying to reach Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
TIMEOUT_MS = 20_000  # a loaded 2-core machine: a page may take seconds, never this long

# Playwright's sync API runs an event loop in this thread; Django refuses database calls from a
# thread with a running loop unless told the calls are synchronous, as they are here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in item.nodeid or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        missing = f"no Chromium at {CHROMIUM}: install Debian's chromium package (scripts/test.sh does)"
        if os.environ.get("CI"):  # the test command installs it: missing there is a failure
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def log_in(page, user, password: str = TEST_PASSWORD) -> None:
    """Log in through the login form as a person does, and wait for the home page."""
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(password)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.fixture
def open_page(request, browser, live_server, db):
    """Open pages on the live server; every context is closed when the test ends."""
    contexts = []
    request.node.browser_pages = []

    def open_(user=None, *, viewport=None, language: str = "vi"):
        url = live_server.url
        context = browser.new_context(base_url=url, viewport=viewport or DESKTOP, accept_downloads=True)
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": url}])
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        request.node.browser_pages.append(page)
        if user is not None:
            log_in(page, user)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    pages = getattr(item, "browser_pages", [])
    if report.when != "call" or not report.failed or not pages:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", item.nodeid.split("::", 1)[-1])
    saved = []
    for index, page in enumerate(pages):
        path = SCREENSHOTS / f"{name}-{index}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception as error:  # a closed page must not hide the test's own failure
            saved.append(f"{path}: not saved ({error})")
            continue
        saved.append(f"{path} (at {page.url})")
    report.sections.append(("browser screenshots", "\n".join(saved)))
