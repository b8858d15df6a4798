"""A co-op user sees its own borrower and nothing of any other, on every path."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fund import selectors, services
from fund.models import Borrower, DocumentType
from tests.fund.factories import BorrowerFactory, HouseholdMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(db):
    return BorrowerFactory(name="Hợp tác xã của người khác")


def test_the_selectors_scope_a_coop_user_to_its_borrower(coop_user, coop_borrower, other, officer):
    assert list(selectors.visible_borrowers(coop_user)) == [coop_borrower]
    with pytest.raises(Borrower.DoesNotExist):
        selectors.borrower_for(user=coop_user, pk=other.pk)
    assert set(selectors.visible_borrowers(officer)) == {coop_borrower, other}
    Borrower.objects.filter(pk=other.pk).update(province="Nghệ An")
    assert selectors.provinces(user=coop_user) == [coop_borrower.province]
    assert selectors.provinces(user=officer) == sorted(["Nghệ An", coop_borrower.province])


def test_a_coop_user_without_a_borrower_sees_none(user_with_role, other):
    assert not selectors.visible_borrowers(user_with_role("coop_user")).exists()


def test_a_user_without_the_view_permission_sees_none(user_with_role, other):
    assert not selectors.visible_borrowers(user_with_role()).exists()


def test_pages_answer_404_for_another_borrower(client, coop_user, coop_borrower, other):
    client.force_login(coop_user)
    assert client.get(reverse("fund:borrower_detail", args=[coop_borrower.pk])).status_code == 200
    assert client.get(reverse("fund:borrower_detail", args=[other.pk])).status_code == 404
    page = client.get(reverse("fund:borrower_list")).content.decode()
    assert coop_borrower.name in page and other.name not in page


def upload(borrower, officer):
    return services.add_borrower_document(
        actor=officer,
        borrower=borrower,
        document_type=DocumentType.objects.get(code="charter"),
        file=SimpleUploadedFile("Điều lệ HTX.pdf", b"%PDF " + borrower.name.encode()),
        issued_on=dt.date(2021, 1, 1),
    )


def test_a_coop_user_cannot_download_another_borrowers_document(
    client, coop_user, coop_borrower, other, officer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    own, others = upload(coop_borrower, officer), upload(other, officer)
    client.force_login(coop_user)
    response = client.get(reverse("fund:document_download", args=[own.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF " + coop_borrower.name.encode()
    assert client.get(reverse("fund:document_download", args=[others.pk])).status_code == 404


def test_another_borrowers_document_is_not_found_anonymously_nor_by_a_coop_user_at_any_url(
    client, coop_user, other, officer, site_urls_in_debug
):
    document = upload(other, officer)
    # The checking view, and where MEDIA_URL would serve it (even with DEBUG on nothing does).
    urls = [document.get_absolute_url(), f"/media/{document.file.name}"]
    assert [client.get(url).status_code for url in urls] == [404, 404]
    client.force_login(coop_user)
    assert [client.get(url).status_code for url in urls] == [404, 404]
    client.force_login(officer)
    assert [client.get(url).status_code for url in urls] == [200, 404]


def test_a_document_is_stored_under_a_random_name_and_downloads_under_its_own(client, other, officer):
    document = upload(other, officer)
    assert re.fullmatch(r"borrowers/[0-9a-f]{32}\.pdf", document.file.name)
    assert document.original_name == "Điều lệ HTX.pdf"
    client.force_login(officer)
    response = client.get(document.get_absolute_url())
    assert "filename*=utf-8''%C4%90i%E1%BB%81u%20l%E1%BB%87%20HTX.pdf" in response["Content-Disposition"]


def test_a_coop_user_sees_no_other_groups_households(client, user_with_role):
    member = HouseholdMemberFactory()
    own = BorrowerFactory()
    client.force_login(user_with_role("coop_user", borrower=own))
    assert client.get(reverse("fund:borrower_detail", args=[member.borrower.pk])).status_code == 404


@pytest.mark.parametrize(
    "url_name",
    ["fund:borrower_create", "fund:borrower_import", "fund:product_create", "fund:fund_edit"],
)
def test_a_coop_user_cannot_reach_the_officers_forms(client, coop_user, url_name):
    client.force_login(coop_user)
    assert client.get(reverse(url_name)).status_code == 403


def test_a_coop_user_cannot_edit_even_its_own_borrower(client, coop_user, coop_borrower):
    client.force_login(coop_user)
    url = reverse("fund:borrower_edit", args=[coop_borrower.pk])
    assert client.post(url, {"name": "Đổi tên"}).status_code == 403
    coop_borrower.refresh_from_db()
    assert coop_borrower.name == "Hợp tác xã của tôi"
