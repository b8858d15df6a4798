"""Every list of applications and borrowers pages in the database and says how many there are;
a page costs the same queries for 3 rows as for 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fund.models import Borrower
from loans.models import Loan
from tests.appraisal import factories
from tests.fund.factories import BorrowerFactory

pytestmark = pytest.mark.django_db

SIZE = 2


@pytest.fixture(autouse=True)
def small_pages(settings):
    settings.PAGE_SIZE = SIZE


def _submitted(officer, count: int, **application) -> None:
    for _ in range(count):
        factories.submitted_loan(officer=officer, **application)


def _queries(client, url: str, query: dict) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(captured), response


# (the list's url, its page's context name, the page parameter, who sees it, how to add n rows);
# the loans and the borrowers page by keyset (no parameter for the first page, no numbers).
LISTS = {
    "loans": ("loans:applications", "page", None, "officer"),
    "appraisal queue": ("appraisal:queue", "waiting", "waiting", "appraiser"),
    "borrowers": ("fund:borrower_list", "page", None, "officer"),
    "decisions": ("appraisal:decisions", "waiting_page", "waiting", "director"),
}


def _add(name: str, count: int, people: dict, borrower) -> None:
    if name == "borrowers":
        BorrowerFactory.create_batch(count)
    elif name == "decisions":
        for _ in range(count):
            factories.appraised_loan(appraiser=people["appraiser"], officer=people["officer"])
    else:
        _submitted(people["officer"], count, borrower=borrower)


@pytest.mark.parametrize("name", LISTS)
def test_a_list_pages_with_its_count_at_the_same_queries_for_3_or_30_rows(
    client, fund, levels, officer, appraiser, director, name
):
    url, context_name, param, who = LISTS[name]
    people = {"officer": officer, "appraiser": appraiser, "director": director}
    client.force_login(people[who])
    borrower = BorrowerFactory()
    counts = []
    for added in (3, 27 if name != "decisions" else 9):  # an appraisal is many services: 12 then
        _add(name, added, people, borrower)
        queries, response = _queries(client, reverse(url), {param: 1} if param else {})
        page = response.context[context_name]
        text = response.content.decode()
        if param:
            rows = page.paginator.count
            assert f"1–{SIZE} of {rows}" in text and f"Page 1 of {-(-rows // SIZE)}" in text
        else:
            rows = page.count
            assert f"{SIZE} shown of {rows}" in text and "last=1" in text
        assert rows >= 3 and len(page.object_list if param else page.rows) == SIZE
        counts.append(queries)
    assert counts[0] == counts[1], f"{name}: {counts[0]} queries for 3 rows, {counts[1]} for 30"


def _walk(client, url: str, query: dict, forwards: bool = True) -> list[int]:
    """The rows of every page from the first (or the last), following Next (or Previous)."""
    pages, asked = [], {**query, **({} if forwards else {"last": "1"})}
    while True:
        page = client.get(url, asked).context["page"]
        pages.append([row.pk for row in page])
        if not (page.has_next if forwards else page.has_previous):
            return [pk for rows in (pages if forwards else reversed(pages)) for pk in rows]
        asked = {**query, **({"after": page.last_key} if forwards else {"before": page.first_key})}


def test_the_loan_list_shows_every_loan_not_the_newest_500(client, fund, officer, settings):
    _submitted(officer, 5)
    client.force_login(officer)
    newest_first = list(Loan.objects.order_by("-pk").values_list("pk", flat=True))
    url = reverse("loans:applications")
    assert _walk(client, url, {}) == newest_first == _walk(client, url, {}, forwards=False)


def test_the_borrower_list_shows_every_borrower_by_name_either_way(client, fund, officer):
    for name in ("HTX Bình", "HTX An", "HTX Bình", "HTX Cường", "HTX An"):
        BorrowerFactory(name=name)
    client.force_login(officer)
    by_name = list(Borrower.objects.order_by("name", "pk").values_list("pk", flat=True))
    url = reverse("fund:borrower_list")
    assert _walk(client, url, {}) == by_name == _walk(client, url, {}, forwards=False)
    assert _walk(client, url, {"q": "bình"}) == [
        pk for pk in by_name if Borrower.objects.get(pk=pk).name == "HTX Bình"
    ]


def test_the_loan_list_search_finds_the_borrower_or_the_purpose_and_pages(client, fund, officer):
    wanted = BorrowerFactory(name="HTX Nông nghiệp Tân Phú")
    _submitted(officer, 3, borrower=wanted)
    _submitted(officer, 2)
    client.force_login(officer)
    page = client.get(reverse("loans:applications"), {"q": "tân phú"}).context["page"]
    assert page.count == 3 and {loan.borrower_id for loan in page} == {wanted.pk}
    assert client.get(reverse("loans:applications"), {"q": "gặt đập"}).context["page"].count == 5


def test_a_borrowers_loans_page(client, fund, officer):
    borrower = BorrowerFactory()
    _submitted(officer, 3, borrower=borrower)
    client.force_login(officer)
    response = client.get(reverse("fund:borrower_detail", args=[borrower.pk]), {"page": 2})
    assert [loan.pk for loan in response.context["loans"]] == [borrower.loans.order_by("pk")[0].pk]
    assert "3–3 of 3" in response.content.decode()


def test_the_queue_pages_each_list_by_its_own_parameter(client, fund, officer, appraiser):
    _submitted(officer, 3)
    for _ in range(3):
        factories.appraising_loan(appraiser=appraiser, officer=officer)
    client.force_login(appraiser)
    response = client.get(reverse("appraisal:queue"), {"waiting": 2, "mine": 1})
    assert response.context["waiting"].number == 2 and response.context["mine"].number == 1
    assert "mine=1&amp;waiting=1" in response.content.decode() or "waiting=1" in response.content.decode()


def test_the_decisions_filter_by_authority_in_the_database(
    client, fund, levels, officer, appraiser, director
):
    small = factories.appraised_loan(appraiser=appraiser, officer=officer)
    large = factories.appraised_loan(
        appraiser=appraiser, officer=officer, amount=factories.DIRECTOR_LIMIT * 2
    )
    client.force_login(director)
    within = client.get(reverse("appraisal:decisions"), {"authority": "within"}).context["waiting"]
    beyond = client.get(reverse("appraisal:decisions"), {"authority": "beyond"}).context["waiting"]
    assert [d.loan.pk for d in within] == [small.pk] and [d.loan.pk for d in beyond] == [large.pk]
