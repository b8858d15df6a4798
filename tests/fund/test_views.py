import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fund import services
from fund.models import Borrower, CapitalReceipt, DocumentType, Fund, LoanProduct
from ledger.models import Account
from tests.fund.factories import BorrowerFactory, HouseholdGroupFactory, product_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_officer(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def as_accountant(client, accountant):
    client.force_login(accountant)
    return client


BORROWER_FORM = {
    "type": "tht",
    "name": "Tổ hợp tác Rau sạch",
    "registration_number": "05/HĐHT",
    "tax_code": "",
    "province": "Nghệ An",
    "district": "Diễn Châu",
    "commune": "Diễn Hồng",
    "address": "",
    "representative": "Trần Thị Hoa",
    "representative_title": "Tổ trưởng",
    "phone": "0983.456.123",
    "sector": "crops",
    "member_count": "12",
    "founded_on": "2019-02-18",
    "notes": "",
}


def test_an_officer_registers_a_borrower_through_the_form(as_officer):
    response = as_officer.post(reverse("fund:borrower_create"), BORROWER_FORM)
    borrower = Borrower.objects.get()
    assert response.status_code == 302 and response.url == reverse("fund:borrower_detail", args=[borrower.pk])
    assert borrower.phone == "0983456123"


def test_the_form_shows_the_services_refusal_on_the_field(as_officer):
    BorrowerFactory(tax_code="2900456789", registration_number="2900456789")
    response = as_officer.post(
        reverse("fund:borrower_create"), {**BORROWER_FORM, "type": "htx", "tax_code": "", "phone": "12"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"tax_code", "phone"}
    assert Borrower.objects.count() == 1


def test_an_officer_edits_a_borrower(as_officer):
    borrower = BorrowerFactory(type="tht", tax_code="")
    response = as_officer.post(
        reverse("fund:borrower_edit", args=[borrower.pk]), {**BORROWER_FORM, "name": "Tên mới"}
    )
    assert response.status_code == 302
    borrower.refresh_from_db()
    assert borrower.name == "Tên mới"


@pytest.mark.parametrize("role", ["approver", "accountant", "appraiser"])
def test_only_officers_reach_the_borrower_forms(client, user_with_role, role):
    client.force_login(user_with_role(role))
    borrower = BorrowerFactory()
    assert client.get(reverse("fund:borrower_detail", args=[borrower.pk])).status_code == 200
    assert client.get(reverse("fund:borrower_create")).status_code == 403
    assert client.post(reverse("fund:borrower_edit", args=[borrower.pk]), BORROWER_FORM).status_code == 403


def test_the_list_filters_by_type_province_status_and_search(as_officer, officer):
    BorrowerFactory(name="HTX Thái Bình")
    BorrowerFactory(name="HTX Nghệ An", province="Nghệ An")
    HouseholdGroupFactory(name="Tổ vay vốn Vũ Hội")
    suspended = BorrowerFactory(name="HTX Tạm dừng")
    services.change_borrower_status(actor=officer, borrower=suspended, action="suspend")

    def names(**query):
        response = as_officer.get(reverse("fund:borrower_list"), query)
        return [b.name for b in response.context["page"]]

    assert names(type="household_group") == ["Tổ vay vốn Vũ Hội"]
    assert names(province="Nghệ An") == ["HTX Nghệ An"]
    assert names(status="suspended") == ["HTX Tạm dừng"]
    assert names(q="nghệ") == ["HTX Nghệ An"]
    assert len(names()) == 4
    offered = as_officer.get(reverse("fund:borrower_list")).context["filters"].fields["province"].choices
    assert [value for value, _label in offered] == ["", "Nghệ An", "Thái Bình"]  # each province once


def test_a_document_whose_file_is_gone_answers_404(as_officer, officer):
    document = services.add_borrower_document(
        actor=officer,
        borrower=BorrowerFactory(),
        document_type=DocumentType.objects.get(code="charter"),
        file=SimpleUploadedFile("dieu-le.pdf", b"%PDF-1.4"),
        issued_on=dt.date(2021, 1, 1),
    )
    document.file.storage.delete(document.file.name)
    assert as_officer.get(reverse("fund:document_download", args=[document.pk])).status_code == 404


def test_households_are_added_to_groups_only(as_officer):
    group, cooperative = HouseholdGroupFactory(), BorrowerFactory()
    form = {"head_of_household": "Lê Thị Thu", "id_number": "040184002222", "address": "Xóm 3"}
    response = as_officer.post(reverse("fund:member_create", args=[group.pk]), form)
    assert response.status_code == 302
    assert group.members.get().head_of_household == "Lê Thị Thu"
    assert as_officer.get(reverse("fund:member_create", args=[cooperative.pk])).status_code == 404
    page = as_officer.get(reverse("fund:borrower_detail", args=[group.pk])).content.decode()
    assert "Lê Thị Thu" in page


def test_a_status_change_that_is_not_allowed_is_a_message_not_an_error(as_officer, officer):
    borrower = BorrowerFactory()
    page = as_officer.get(reverse("fund:borrower_detail", args=[borrower.pk])).content.decode()
    assert 'value="suspend"' in page and 'value="reactivate"' not in page
    services.change_borrower_status(actor=officer, borrower=borrower, action="dissolve")
    page = as_officer.get(reverse("fund:borrower_detail", args=[borrower.pk])).content.decode()
    assert 'name="action"' not in page  # nothing follows dissolution
    response = as_officer.post(
        reverse("fund:borrower_status", args=[borrower.pk]), {"action": "reactivate"}, follow=True
    )
    assert response.status_code == 200
    assert list(response.context["messages"])[0].level_tag == "error"


# --- products --------------------------------------------------------------------------------


def product_form(**overrides):
    form = {
        "code": "VLD",
        "name": "Vốn lưu động",
        "purpose": "Mua vật tư",
        "borrower_types": ["htx", "tht"],
        "amount_min": "10.000.000",
        "amount_max": "1.000.000.000",
        "term_min_months": "3",
        "term_max_months": "12",
        "annual_rate": "6,6",
        "day_count": "actual_365",
        "overdue_multiplier": "150",
        "unpaid_interest_rate": "10",
        "principal_frequency": "1",
        "interest_frequency": "1",
        "amortization": "equal_principal",
        "max_grace_months": "0",
        "collateral_waiver_threshold": "",
        "group2_from_days": "10",
        "group3_from_days": "91",
        "group4_from_days": "181",
        "group5_from_days": "361",
        "provision_rate_group1": "0",
        "provision_rate_group2": "5",
        "provision_rate_group3": "20",
        "provision_rate_group4": "50",
        "provision_rate_group5": "100",
        "general_provision_rate": "0,75",
        **{
            f"allocation_{i}": portion
            for i, portion in enumerate(LoanProduct._meta.get_field("allocation_order").default())
        },
    }
    form.update(overrides)
    return form


def test_an_accountant_creates_a_product_in_percent_and_dong(as_accountant):
    response = as_accountant.post(reverse("fund:product_create"), product_form())
    assert response.status_code == 302, response.context["form"].errors
    product = LoanProduct.objects.get()
    assert product.annual_rate == Decimal("0.066")
    assert product.general_provision_rate == Decimal("0.0075")
    assert product.amount_max.amount == Decimal(1_000_000_000)
    assert product.principal_account.code == "128311"


def test_a_product_form_with_a_repeated_portion_is_refused(as_accountant):
    response = as_accountant.post(
        reverse("fund:product_create"), product_form(allocation_1="late_interest", annual_rate="25")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "annual_rate" in form.errors
    assert any("allocation order" in error for error in form.non_field_errors())
    assert not LoanProduct.objects.exists()


def test_editing_a_frozen_product_through_the_page_makes_a_version(as_accountant, accountant):
    product = services.create_product(actor=accountant, fields=product_fields())
    services.freeze_product(product=product)
    response = as_accountant.post(
        reverse("fund:product_edit", args=[product.pk]), product_form(annual_rate="7")
    )
    new = LoanProduct.objects.get(version=2)
    assert response.url == reverse("fund:product_detail", args=[new.pk])
    assert LoanProduct.objects.get(version=1).annual_rate == Decimal("0.066")
    page = as_accountant.get(response.url).content.decode()
    assert "v1" in page and "v2" in page


def test_officers_see_products_but_cannot_change_them(as_officer, accountant):
    product = services.create_product(actor=accountant, fields=product_fields())
    assert as_officer.get(reverse("fund:product_list")).status_code == 200
    page = as_officer.get(reverse("fund:product_detail", args=[product.pk])).content.decode()
    assert "6,60" in page and "0,550" in page  # the rate a year and a month (Vietnamese format)
    assert as_officer.post(reverse("fund:product_edit", args=[product.pk]), product_form()).status_code == 403


@pytest.mark.parametrize(
    ("grace", "said"),
    [
        (0, "vào cuối ngày đến hạn"),  # not "0 days after"
        (3, "sau ngày đến hạn 3 ngày"),
    ],
)
def test_the_product_page_says_when_unpaid_principal_becomes_overdue(as_officer, accountant, grace, said):
    fields = {**product_fields(), "overdue_grace_days": grace}
    product = services.create_product(actor=accountant, fields=fields)
    page = as_officer.get(reverse("fund:product_detail", args=[product.pk])).content.decode()
    assert said in page


# --- the fund --------------------------------------------------------------------------------


def test_the_fund_page_invites_setting_up_then_shows_the_fund(as_accountant):
    page = as_accountant.get(reverse("fund:fund_detail")).content.decode()
    assert reverse("fund:fund_setup") in page
    form = {
        "name": "Quỹ HTX tỉnh Cần Thơ",
        "legal_form": "coop_provincial",
        "province": "Cần Thơ",
        "address": "",
        "tax_code": "",
        "charter_capital": "30.000.000.000",
        "exposure_cap": "",
        "exposure_charter_share": "15",
        "lending_accounts": [Account.objects.get(code="11211").pk],
        "business_date": "2026-02-02",
    }
    response = as_accountant.post(reverse("fund:fund_setup"), form)
    assert response.status_code == 302
    fund = Fund.objects.get()
    assert fund.business_date == dt.date(2026, 2, 2) and fund.exposure_limit == Decimal(4_500_000_000)
    assert "4.500.000.000" in as_accountant.get(reverse("fund:fund_detail")).content.decode()


@pytest.mark.parametrize(
    ("url_name", "form"),
    [
        ("loans:close_of_day", {"until": "2026-03-03"}),
        ("fund:authority_create", {"name": "Giám đốc", "max_amount": "1.000.000"}),
        ("fund:capital_source_create", {"kind": "state_budget", "name": "Ngân sách"}),
        ("loans:aging_report", {}),
        ("loans:arrears_report", {}),
        ("loans:classification_report", {}),
        ("loans:reconciliation", {}),
    ],
)
def test_pages_that_need_the_fund_send_to_its_set_up_before_there_is_one(as_accountant, url_name, form):
    for response in (as_accountant.get(reverse(url_name)), as_accountant.post(reverse(url_name), form)):
        assert response.status_code == 302 and response["Location"] == reverse("fund:fund_setup")
    assert not Fund.objects.exists()


def test_capital_received_through_the_page_is_posted(as_accountant, accountant, fund):
    source = services.create_capital_source(actor=accountant, kind="state_budget", name="Ngân sách")
    page = as_accountant.get(reverse("fund:capital_receipt_create"))
    key = page.context["form"]["key"].value()
    form = {
        "source": source.pk,
        "amount": "1.000.000.000",
        "account": Account.objects.get(code="11211").pk,
        "value_date": "2026-03-02",
        "memo": "",
        "key": key,
    }
    assert as_accountant.post(reverse("fund:capital_receipt_create"), form).status_code == 302
    as_accountant.post(reverse("fund:capital_receipt_create"), form)  # the same form sent twice
    receipt = CapitalReceipt.objects.get()
    assert receipt.amount.amount == Decimal(1_000_000_000)
    assert receipt.journal_entry.lines.count() == 2


def test_a_future_value_date_is_refused_on_its_field(as_accountant, accountant, fund):
    source = services.create_capital_source(actor=accountant, kind="state_budget", name="Ngân sách")
    form = {
        "source": source.pk,
        "amount": "1000",
        "account": Account.objects.get(code="11211").pk,
        "value_date": "2026-03-03",
        "key": "8f1d2a9e-0000-4000-8000-000000000001",
    }
    response = as_accountant.post(reverse("fund:capital_receipt_create"), form)
    assert "value_date" in response.context["form"].errors
    assert not CapitalReceipt.objects.exists()


def test_an_accountant_sets_approval_levels(as_accountant, fund, approver):
    form = {"name": "Giám đốc", "max_amount": "1.000.000.000", "holders": [approver.pk]}
    assert as_accountant.post(reverse("fund:authority_create"), form).status_code == 302
    page = as_accountant.get(reverse("fund:fund_detail")).content.decode()
    assert "Giám đốc" in page and "1.000.000.000" in page
