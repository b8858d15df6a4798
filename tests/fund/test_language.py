from pathlib import Path

import polib
import pytest
from django.urls import reverse

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "vi" / "LC_MESSAGES"


@pytest.fixture
def officer_client(client, user_with_role):
    client.force_login(user_with_role("fund_officer"))
    return client


def test_pages_are_in_vietnamese_by_default(officer_client):
    page = officer_client.get(reverse("home")).content.decode()
    assert "Đăng xuất" in page
    assert 'lang="vi"' in page


def test_switching_to_english_sticks_for_the_session(officer_client):
    response = officer_client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    page = officer_client.get(reverse("home")).content.decode()
    assert "Log out" in page
    assert 'lang="en"' in page

    officer_client.post(reverse("set_language"), {"language": "vi", "next": reverse("home")})
    assert "Đăng xuất" in officer_client.get(reverse("home")).content.decode()


def test_the_login_page_has_the_language_switch(client, db):
    page = client.get(reverse("login")).content.decode()
    assert reverse("set_language") in page
    assert "Tiếng Việt" in page and "English" in page


def test_every_string_is_translated_and_the_compiled_catalogue_is_current():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): _text(e) for e in mo}
    for entry in po.translated_entries():
        assert compiled.get((entry.msgctxt, entry.msgid)) == _text(entry), (
            f"run `make messages`: {entry.msgid}"
        )


def test_business_date_is_ngay_nghiep_vu_and_a_working_day_ngay_lam_viec():
    """The fund's business date and a calendar working day are two things, with two names."""
    po = polib.pofile(str(CATALOGUE / "django.po"))
    for entry in po.translated_entries():
        english = entry.msgid.lower()
        vietnamese = " ".join([entry.msgstr, *entry.msgstr_plural.values()]).lower()
        if "business date" in english:
            assert "ngày nghiệp vụ" in vietnamese, entry.msgid
        if "ngày làm việc" in vietnamese:
            assert "working day" in english, entry.msgid


def _text(entry):
    return {int(k): v for k, v in entry.msgstr_plural.items()} if entry.msgstr_plural else entry.msgstr


def test_a_browser_in_english_still_gets_vietnamese_until_the_user_switches(client, user_with_role):
    client.force_login(user_with_role("fund_officer"))
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Đăng xuất" in page
