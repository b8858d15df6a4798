import pytest
from django.urls import reverse

from ledger.models import Account, JournalEntry
from tests.factories import UserFactory
from tests.ledger.factories import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def account_form(**fields):
    values = {"code": "11214", "parent_code": "1121", "type": "asset", "name_vi": "VCB", "name_en": "VCB"}
    return values | fields


def test_an_account_is_added_in_the_admin_through_the_service(admin_client):
    response = admin_client.post(reverse("admin:ledger_account_add"), account_form(active="on"))
    assert response.status_code == 302
    assert Account.objects.get(code="11214").parent.code == "1121"


def test_the_admin_shows_what_the_service_refuses_on_the_form(admin_client):
    post(debit="4118", credit="1111")
    form = account_form(code="41181", parent_code="4118", type="equity")
    response = admin_client.post(reverse("admin:ledger_account_add"), form)
    assert response.status_code == 200
    assert "has postings, so it cannot get sub-accounts" in response.content.decode()
    assert not Account.objects.filter(code="41181").exists()


def test_the_admin_keeps_code_type_and_parent_of_an_account(admin_client):
    account = Account.objects.get(code="5158")
    url = reverse("admin:ledger_account_change", args=[account.pk])
    data = {"code": "9999", "type": "expense", "name_vi": "Khác", "name_en": "Other", "active": "on"}
    assert admin_client.post(url, data).status_code == 302
    account.refresh_from_db()
    assert (account.code, account.type, account.name_vi) == ("5158", "income", "Khác")


def test_a_used_account_cannot_be_deleted_in_the_admin(admin_client):
    post(debit="4118", credit="1111")
    account = Account.objects.get(code="4118")
    assert admin_client.get(reverse("admin:ledger_account_delete", args=[account.pk])).status_code == 403


def test_the_journal_is_read_only_in_the_admin(admin_client):
    entry = post()
    assert admin_client.get(reverse("admin:ledger_journalentry_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:ledger_journalentry_change", args=[entry.pk]))
    assert page.status_code == 200 and entry.number in page.content.decode()
    assert admin_client.get(reverse("admin:ledger_journalentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:ledger_journalentry_delete", args=[entry.pk])).status_code == 403
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
