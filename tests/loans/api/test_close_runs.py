"""Close of day's runs through the API: read by whoever may close days, as the runs page shows them."""

import datetime as dt

import pytest

from loans.models import CloseRun
from loans.services.closing.runs import close_until
from tests.loans.api.conftest import session, token_client
from tests.loans.conftest import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(staff, loan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        close_until(actor=staff["accountant"], until=START + dt.timedelta(days=2))
    return list(CloseRun.objects.order_by("business_date"))


def test_the_accountant_reads_the_runs_latest_first_with_their_progress(staff, runs):
    client = token_client(staff["accountant"])
    page = client.get("/api/v1/close-runs/").json()
    assert page["count"] == len(runs) == 2
    latest = page["results"][0]
    assert latest["business_date"] == str(START + dt.timedelta(days=1))
    assert latest["state"] == "done" and latest["started_by"] == staff["accountant"].username
    assert latest["progress"]["chunks"] == latest["progress"]["chunks_done"] >= 1
    assert latest["progress"]["open_failures"] == 0
    one = client.get(f"/api/v1/close-runs/{runs[0].pk}/").json()
    assert (one["id"], one["business_date"]) == (runs[0].pk, str(START))
    assert one["progress"]["loans"] >= 1  # the active loan was looked at on its first day


def test_who_may_not_close_days_may_not_read_them_and_unknown_runs_are_404(staff, runs):
    assert session(staff["officer"]).get("/api/v1/close-runs/").status_code == 403
    assert token_client(staff["accountant"]).get("/api/v1/close-runs/999999/").status_code == 404
