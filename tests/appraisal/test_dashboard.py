"""The home page's work of appraisers and approvers: the queue, and the decisions waiting within
and beyond an approver's authority (the director's covers up to 500 million), each count a link
to the page that lists the same applications."""

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from tests.appraisal import factories

pytestmark = pytest.mark.django_db


def card(client, user, name: str) -> str:
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    found = re.search(rf'<article id="{name}-work".*?</article>', page, re.S)
    assert found, name
    return found.group(0)


def count_and_link(card: str, label: str) -> tuple[int, str]:
    found = re.search(rf'<dt>{label}</dt><dd><a href="([^"]+)">(\d+)</a></dd>', card)
    assert found, label
    return int(found.group(2)), found.group(1)


def references(client, url: str, section: str) -> set[str]:
    page = client.get(url).content.decode()
    part = re.search(rf'<section id="{section}">.*?</section>', page, re.S) if section else None
    return set(re.findall(r"HS-\d{4}-\d{6}", part.group(0) if part else page))


def test_the_appraiser_sees_its_queue(client, fund, officer, appraiser, user_with_role):
    waiting = {factories.submitted_loan(officer=officer).reference for _ in range(2)}
    mine = factories.appraising_loan(appraiser=appraiser, officer=officer)
    factories.appraising_loan(appraiser=user_with_role("appraiser"), officer=officer)
    shown = card(client, appraiser, "appraiser")
    count, url = count_and_link(shown, "Submitted, waiting for an appraiser")
    assert count == 2 and references(client, url, "waiting") == waiting
    count, url = count_and_link(shown, "I am appraising")
    assert count == 1 and references(client, url, "mine") == {mine.reference}


def test_the_approver_sees_decisions_within_and_beyond_its_authority(
    client, levels, director, officer, appraiser
):
    within = factories.appraised_loan(appraiser=appraiser, officer=officer, amount=D(300_000_000))
    beyond = factories.appraised_loan(appraiser=appraiser, officer=officer, amount=D(600_000_000))
    shown = card(client, director, "approver")
    count, url = count_and_link(shown, "Decisions waiting within your authority")
    assert count == 1
    assert within.reference in references(client, url, "") and beyond.reference not in references(
        client, url, ""
    )
    count, url = count_and_link(shown, "Decisions waiting beyond your authority")
    assert count == 1
    assert references(client, url, "") >= {beyond.reference} and within.reference not in references(
        client, url, ""
    )
    # A filter it does not know shows them all.
    shown_all = references(client, reverse("appraisal:decisions") + "?authority=everything", "")
    assert {within.reference, beyond.reference} <= shown_all


def test_the_board_has_both_within_its_authority(client, levels, board_member, officer, appraiser):
    for amount in (D(300_000_000), D(600_000_000)):
        factories.appraised_loan(appraiser=appraiser, officer=officer, amount=amount)
    shown = card(client, board_member, "approver")
    assert count_and_link(shown, "Decisions waiting within your authority")[0] == 2
    assert count_and_link(shown, "Decisions waiting beyond your authority")[0] == 0
