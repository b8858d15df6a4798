from decimal import Decimal

import pytest
from django.urls import reverse

from fund import services
from fund.models import AuthorityLevel, Borrower, LoanProduct
from tests.fund.factories import BorrowerFactory, FundFactory, product_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, user_with_role):
    client.force_login(user_with_role(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model", ["borrower", "householdmember", "borrowerdocument", "documenttype", "loanproduct", "fund",
              "authoritylevel", "capitalsource", "capitalreceipt", "user"],
)  # fmt: skip
def test_every_admin_page_opens(admin_client, model):
    assert admin_client.get(reverse(f"admin:fund_{model}_changelist")).status_code == 200


def test_the_admin_edits_a_borrower_through_the_service(admin_client):
    borrower = BorrowerFactory()
    url = reverse("admin:fund_borrower_change", args=[borrower.pk])
    form = {
        "type": "htx", "name": "HTX Đổi tên", "registration_number": borrower.registration_number,
        "tax_code": borrower.tax_code, "province": "Thái Bình", "district": "Vũ Thư", "commune": "Tân Lập",
        "address": "", "representative": "Nguyễn Văn Hùng", "representative_title": "",
        "phone": "0912 345 678", "sector": "crops", "member_count": "30", "founded_on": "2010-01-15",
        "notes": "",
        "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0",
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    borrower.refresh_from_db()
    assert (borrower.name, borrower.phone, borrower.member_count) == ("HTX Đổi tên", "0912345678", 30)


def test_a_borrower_form_sent_back_with_a_document_row_the_page_did_not_offer_is_shown_again(admin_client):
    borrower = BorrowerFactory()
    url = reverse("admin:fund_borrower_change", args=[borrower.pk])
    form = {"name": "", "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0",
            "documents-TOTAL_FORMS": "1", "documents-INITIAL_FORMS": "0"}  # fmt: skip
    response = admin_client.post(url, form)
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert Borrower.objects.get(pk=borrower.pk).name == borrower.name


def test_what_the_service_refuses_in_the_admin_is_a_message_and_changes_nothing(admin_client, user_with_role):
    FundFactory()
    gone = user_with_role("approver", is_active=False)
    url = reverse("admin:fund_authoritylevel_add")
    form = {"name": "Giám đốc", "max_amount_0": "1000000000", "max_amount_1": "VND", "holders": [gone.pk]}
    response = admin_client.post(url, form, follow=True)
    assert response.redirect_chain == [(url, 302)]
    refusals = [m.message for m in response.context["messages"] if m.level_tag == "error"]
    assert len(refusals) == 1 and gone.username in refusals[0]  # the page speaks Vietnamese
    assert not AuthorityLevel.objects.exists()


def test_the_admin_suspends_borrowers_by_their_transition(admin_client):
    borrower = BorrowerFactory()
    admin_client.post(
        reverse("admin:fund_borrower_changelist"),
        {"action": "suspend_borrowers", "_selected_action": [borrower.pk]},
    )
    borrower.refresh_from_db()
    assert borrower.status == Borrower.Status.SUSPENDED


def test_a_superseded_version_is_read_only_in_the_admin(admin_client, accountant):
    product = services.create_product(actor=accountant, fields=product_fields())
    services.freeze_product(product=product)
    services.update_product(actor=accountant, product=product, fields={"annual_rate": Decimal("0.07")})
    page = admin_client.get(reverse("admin:fund_loanproduct_change", args=[product.pk])).content.decode()
    assert 'name="annual_rate"' not in page
    assert LoanProduct.objects.get(pk=product.pk).annual_rate == Decimal("0.066")
