"""Each kind of master data and settings change leaves an audit row with who, when, from where
and each field before and after; the accountant searches the trail and exports it."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from audit.selectors import changes
from fund import roles, services
from fund.models import DocumentType
from fund.services.calendar import add_non_working_days
from ledger.models import Account
from ledger.services.accounts import update_account
from tests.factories import TEST_PASSWORD, UserFactory
from tests.fund.factories import BorrowerFactory, FundFactory, LoanProductFactory
from tests.fund.test_views import BORROWER_FORM


def last_change(instance) -> LogEntry:
    return LogEntry.objects.get_for_object(instance).order_by("-pk").first()


def field_changes(entry: LogEntry) -> dict[str, tuple[str, str]]:
    return {change.name: (change.before, change.after) for change in changes(entry)}


@pytest.fixture
def fund(db):
    return FundFactory()


def test_a_borrower_edited_on_its_page_records_who_from_where_and_the_name_before_and_after(client, officer):
    borrower = BorrowerFactory(name="Tổ hợp tác cũ")
    client.force_login(officer)
    form = {**BORROWER_FORM, "name": "Tổ hợp tác mới"}
    response = client.post(reverse("fund:borrower_edit", args=[borrower.pk]), form, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    entry = last_change(borrower)
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == officer
    assert entry.remote_addr == "10.1.2.3"
    assert field_changes(entry)["name"] == ("Tổ hợp tác cũ", "Tổ hợp tác mới")


def test_a_forwarded_for_header_does_not_write_the_address_on_record(client, officer):
    borrower = BorrowerFactory()
    client.force_login(officer)
    client.post(
        reverse("fund:borrower_edit", args=[borrower.pk]),
        {**BORROWER_FORM, "name": "Khác"},
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert last_change(borrower).remote_addr == "10.1.2.3"


def test_the_funds_settings_a_product_and_an_authority_level(fund, accountant):
    product = LoanProductFactory(name="Vay cũ")
    with set_actor(accountant, remote_addr="10.0.0.7"):
        services.update_fund(actor=accountant, fields={"name": "Quỹ mới"})
        services.update_product(actor=accountant, product=product, fields={"name": "Vay mới"})
        level = services.create_authority_level(
            actor=accountant, name="Giám đốc", max_amount=Decimal(500_000_000)
        )
        services.update_authority_level(
            actor=accountant, level=level, name="Giám đốc", max_amount=Decimal(800_000_000), holders=[]
        )
    fund_change = last_change(fund)
    assert (fund_change.actor, fund_change.remote_addr) == (accountant, "10.0.0.7")
    assert field_changes(fund_change)["name"][1] == "Quỹ mới"
    assert field_changes(last_change(product))["name"] == ("Vay cũ", "Vay mới")
    before, after = field_changes(last_change(level))["max_amount"]
    assert "500,000,000" in before and "800,000,000" in after


def test_the_calendar_and_the_chart_of_accounts(fund, accountant):
    account = Account.objects.get(code="111")
    with set_actor(accountant):
        add_non_working_days(actor=accountant, first=fund.business_date + dt.timedelta(days=3), name="Lễ")
        update_account(actor=accountant, account=account, name_vi="Tiền mặt quỹ", name_en="Cash", active=True)
    day = LogEntry.objects.filter(content_type__model="nonworkingday").get()
    assert day.action == LogEntry.Action.CREATE
    assert day.actor == accountant
    assert field_changes(last_change(account))["name_vi"][1] == "Tiền mặt quỹ"


def test_a_document_filed_for_a_borrower(officer):
    borrower = BorrowerFactory()
    kind = DocumentType.objects.create(code="GCN", name_vi="Giấy chứng nhận", name_en="Certificate")
    upload = SimpleUploadedFile("giay.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    with set_actor(officer):
        document = services.add_borrower_document(
            actor=officer, borrower=borrower, document_type=kind, file=upload, issued_on=dt.date(2025, 1, 2)
        )
    entry = last_change(document)
    assert entry.action == LogEntry.Action.CREATE
    assert field_changes(entry)["original_name"] == ("", "giay.pdf")


def test_a_users_roles_and_password(admin_user):
    user = UserFactory()
    with set_actor(admin_user):
        user.groups.add(Group.objects.get(name=roles.APPROVER))
        user.set_password("another-password-2026")
        user.save()
    role_change, password_change = (
        LogEntry.objects.get_for_object(user).filter(action=1).order_by("-pk")[:2][::-1]
    )
    assert field_changes(role_change)["groups"] == ("", roles.APPROVER)
    before, after = field_changes(password_change)["password"]
    assert "pbkdf2" not in before + after and "md5" not in before + after  # the hash is never kept
    assert role_change.actor == admin_user


def test_a_lockout_and_its_unlock(client, db, admin_user, settings):
    from axes.models import AccessAttempt

    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"), {"username": user.username, "password": "wrong"}, REMOTE_ADDR="10.9.9.9"
        )
    attempt = AccessAttempt.objects.get(username=user.username)
    client.force_login(admin_user)
    client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    unlock = LogEntry.objects.filter(content_type__model="accessattempt", action=LogEntry.Action.DELETE).get()
    assert unlock.actor == admin_user
    assert unlock.object_repr and user.username in LogEntry.objects.filter(
        content_type__model="accessattempt", action=LogEntry.Action.CREATE
    ).values_list("changes_text", "object_repr").get()[1] + str(unlock.changes)


def test_the_chart_is_followed_but_not_the_journal(accountant, fund):
    from tests.ledger.factories import post

    post()
    Account.objects.filter(code="111").get().save()  # nothing changed: no row
    assert not LogEntry.objects.filter(content_type__app_label="ledger").exists()


# --- the accountant's page ------------------------------------------------------------


@pytest.fixture
def changed_twice(officer):
    first, second = BorrowerFactory(name="HTX Một"), BorrowerFactory(name="HTX Hai")
    with set_actor(officer, remote_addr="10.0.0.1"):
        services.update_borrower(actor=officer, borrower=first, fields={"name": "HTX Một mới"})
        services.update_borrower(actor=officer, borrower=second, fields={"name": "HTX Hai mới"})
    return first, second


def test_the_accountant_searches_by_record_and_user_and_exports_what_it_found(
    client, accountant, officer, changed_twice, settings
):
    first, _second = changed_twice
    client.force_login(accountant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    query = {"model": "fund.Borrower", "record": "Một", "user": officer.username, "action": "1"}
    page = client.get(reverse("audit:trail"), query)
    assert page.status_code == 200
    shown = [row.entry.object_pk for row in page.context["rows"]]
    assert shown == [str(first.pk)]
    exported = client.get(reverse("audit:trail_export"), query)
    sheet = load_workbook(io.BytesIO(exported.content)).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row[1] == officer.username]
    assert [(row[2], row[7], row[8], row[9]) for row in rows] == [
        ("10.0.0.1", "name", "HTX Một", "HTX Một mới")
    ]


def test_a_search_by_dates_keeps_the_days_given(client, accountant, changed_twice, settings):
    client.force_login(accountant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    page = client.get(reverse("audit:trail"), {"date_from": tomorrow})
    assert list(page.context["rows"]) == []
    wrong = client.get(reverse("audit:trail"), {"date_from": tomorrow, "date_to": "2020-01-01"})
    assert "The end comes before the start." in wrong.content.decode()


def test_only_who_may_read_the_trail_sees_it(client, officer, changed_twice):
    client.force_login(officer)
    assert client.get(reverse("audit:trail")).status_code == 403
    assert client.get(reverse("audit:trail_export")).status_code == 403


def test_the_admin_cannot_change_or_delete_a_row(client, admin_user, changed_twice):
    entry = LogEntry.objects.first()
    client.force_login(admin_user)
    client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"})
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_the_password_is_never_on_the_page(client, accountant, admin_user):
    with set_actor(admin_user):
        accountant.set_password(TEST_PASSWORD + "x")
        accountant.save()
    client.force_login(accountant)
    page = client.get(reverse("audit:trail"), {"model": "fund.User"}).content.decode()
    assert accountant.password not in page


def test_a_list_setting_shows_before_and_after_on_the_page_and_in_the_export(client, fund, accountant):
    buckets = fund.aging_buckets
    with set_actor(accountant):
        services.update_fund(actor=accountant, fields={"aging_buckets": [1, 15, 45, 91, 181, 361]})
    before, after = field_changes(last_change(fund))["aging_buckets"]
    assert before == str(buckets) and after == "[1, 15, 45, 91, 181, 361]"
    client.force_login(accountant)
    assert client.get(reverse("audit:trail")).status_code == 200
    assert client.get(reverse("audit:trail_export")).status_code == 200
