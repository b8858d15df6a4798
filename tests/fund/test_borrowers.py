import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fund import services
from fund.models import Borrower, DocumentType, HouseholdMember
from tests.concurrency import at_once
from tests.fund.factories import BorrowerFactory, HouseholdGroupFactory, HouseholdMemberFactory
from tests.fund.helpers import refused

pytestmark = pytest.mark.django_db


def borrower_fields(**overrides):
    fields = {
        "type": Borrower.Type.COOPERATIVE,
        "name": "Hợp tác xã Nông nghiệp Tân Lập",
        "registration_number": "1000123456",
        "tax_code": "1000123456",
        "province": "Thái Bình",
        "district": "Vũ Thư",
        "commune": "Tân Lập",
        "representative": "Nguyễn Văn Hùng",
        "phone": "0912 345 678",
        "sector": Borrower.Sector.CROPS,
        "member_count": 215,
        "founded_on": dt.date(1998, 5, 12),
    }
    fields.update(overrides)
    return fields


def test_an_officer_registers_a_borrower_with_its_phone_tidied(officer):
    borrower = services.create_borrower(actor=officer, fields=borrower_fields(name="  HTX Tân Lập  "))
    borrower.refresh_from_db()
    assert borrower.name == "HTX Tân Lập"
    assert borrower.phone == "0912345678"
    assert borrower.status == Borrower.Status.ACTIVE


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tax_code": ""}, "tax_code"),  # an HTX registers with one
        ({"tax_code": "12345"}, "tax_code"),
        ({"phone": "12345"}, "phone"),
        ({"province": "   "}, "province"),
        ({"commune": ""}, "commune"),
        ({"member_count": 0}, "member_count"),
        ({"founded_on": timezone.localdate() + dt.timedelta(days=1)}, "founded_on"),
        ({"type": "bank"}, "type"),
        ({"notes": "x" * 100_000}, "notes"),
    ],
)
def test_bad_borrower_input_is_refused_field_by_field_and_nothing_is_saved(officer, overrides, field):
    errors = refused(lambda: services.create_borrower(actor=officer, fields=borrower_fields(**overrides)))
    assert field in errors
    assert not Borrower.objects.exists()


def test_a_cooperative_group_may_have_no_tax_code(officer):
    borrower = services.create_borrower(
        actor=officer, fields=borrower_fields(type=Borrower.Type.COOPERATIVE_GROUP, tax_code="")
    )
    assert borrower.tax_code == ""


def test_the_same_registration_in_the_same_commune_or_the_same_tax_code_is_refused(officer):
    services.create_borrower(actor=officer, fields=borrower_fields())
    errors = refused(
        lambda: services.create_borrower(actor=officer, fields=borrower_fields(tax_code="1000999999"))
    )
    assert any("registration number" in message for message in errors["__all__"])
    errors = refused(
        lambda: services.create_borrower(actor=officer, fields=borrower_fields(registration_number="X-2"))
    )
    assert any("tax code" in message for message in errors["__all__"])
    # The same number in another commune is another register's number.
    services.create_borrower(actor=officer, fields=borrower_fields(commune="Vũ Hội", tax_code="1000123457"))
    assert Borrower.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_borrower_sent_twice_at_once_is_registered_once(officer):
    def send():
        return services.create_borrower(actor=officer, fields=borrower_fields())

    outcomes = at_once(send, send)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Borrower", "ValidationError"]
    refusal = next(outcome for outcome in outcomes if isinstance(outcome, ValidationError))
    assert "already registered" in " ".join(refusal.messages)
    assert Borrower.objects.count() == 1


@pytest.mark.parametrize("role", ["approver", "appraiser", "accountant", "coop_user"])
def test_only_officers_register_or_edit_borrowers(user_with_role, role):
    actor = user_with_role(role)
    with pytest.raises(PermissionDenied):
        services.create_borrower(actor=actor, fields=borrower_fields())
    borrower = BorrowerFactory()
    with pytest.raises(PermissionDenied):
        services.update_borrower(actor=actor, borrower=borrower, fields={"name": "Tên khác"})
    borrower.refresh_from_db()
    assert borrower.name != "Tên khác"


def test_an_edit_that_fails_validation_changes_nothing(officer):
    borrower = BorrowerFactory(phone="0912345678")
    refused(
        lambda: services.update_borrower(
            actor=officer, borrower=borrower, fields={"phone": "x", "name": "New"}
        )
    )
    borrower.refresh_from_db()
    assert (borrower.name, borrower.phone) != ("New", "x")


def test_status_moves_only_along_its_transitions(officer):
    borrower = BorrowerFactory()
    borrower = services.change_borrower_status(actor=officer, borrower=borrower, action="suspend")
    assert borrower.status == Borrower.Status.SUSPENDED
    borrower = services.change_borrower_status(actor=officer, borrower=borrower, action="reactivate")
    borrower = services.change_borrower_status(actor=officer, borrower=borrower, action="dissolve")
    refused(lambda: services.change_borrower_status(actor=officer, borrower=borrower, action="reactivate"))
    borrower.refresh_from_db()
    assert borrower.status == Borrower.Status.DISSOLVED


def test_the_status_cannot_be_assigned_directly():
    borrower = BorrowerFactory()
    with pytest.raises(AttributeError):
        borrower.status = Borrower.Status.DISSOLVED


# --- households ----------------------------------------------------------------------------


def member_fields(**overrides):
    fields = {"head_of_household": "Đỗ Văn Quý", "id_number": "034078001234", "address": "Thôn Đông"}
    fields.update(overrides)
    return fields


def test_a_household_joins_a_household_group(officer):
    group = HouseholdGroupFactory()
    member = services.add_household_member(actor=officer, borrower=group, fields=member_fields())
    assert list(group.members.all()) == [member]
    assert member.is_current


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": "12345"}, "id_number"),
        ({"head_of_household": " "}, "head_of_household"),
        ({"joined_on": dt.date(2024, 5, 1), "left_on": dt.date(2024, 4, 1)}, "left_on"),
        ({"phone": "abc"}, "phone"),
    ],
)
def test_bad_household_input_is_refused(officer, overrides, field):
    group = HouseholdGroupFactory()
    errors = refused(
        lambda: services.add_household_member(
            actor=officer, borrower=group, fields=member_fields(**overrides)
        )
    )
    assert field in errors
    assert not HouseholdMember.objects.exists()


def test_only_household_groups_have_households_and_a_household_joins_once(officer):
    errors = refused(
        lambda: services.add_household_member(
            actor=officer, borrower=BorrowerFactory(), fields=member_fields()
        )
    )
    assert "borrower" in errors
    group = HouseholdGroupFactory()
    services.add_household_member(actor=officer, borrower=group, fields=member_fields())
    refused(lambda: services.add_household_member(actor=officer, borrower=group, fields=member_fields()))
    assert group.members.count() == 1


def test_a_group_with_households_cannot_become_another_type(officer):
    member = HouseholdMemberFactory()
    errors = refused(
        lambda: services.update_borrower(
            actor=officer, borrower=member.borrower, fields={"type": Borrower.Type.COOPERATIVE_GROUP}
        )
    )
    assert "type" in errors


# --- documents -----------------------------------------------------------------------------


def test_a_document_is_filed_with_who_uploaded_it(officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    borrower = BorrowerFactory()
    kind = DocumentType.objects.get(code="registration_certificate")
    document = services.add_borrower_document(
        actor=officer,
        borrower=borrower,
        document_type=kind,
        file=SimpleUploadedFile("gcn.pdf", b"%PDF-1.4 demo"),
        issued_on=dt.date(2020, 1, 2),
    )
    assert document.uploaded_by == officer
    assert document.file.read() == b"%PDF-1.4 demo"


def test_a_document_of_a_forbidden_kind_or_date_is_refused(officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    kind = DocumentType.objects.get(code="charter")
    errors = refused(
        lambda: services.add_borrower_document(
            actor=officer,
            borrower=BorrowerFactory(),
            document_type=kind,
            file=SimpleUploadedFile("virus.exe", b"MZ"),
            issued_on=timezone.localdate() + dt.timedelta(days=3),
        )
    )
    assert {"file", "issued_on"} <= set(errors)


def test_a_staff_account_cannot_act_for_a_borrower(user_with_role):
    admin = user_with_role(is_superuser=True)
    staff = user_with_role("fund_officer", is_staff=True)
    errors = refused(
        lambda: services.link_user_to_borrower(actor=admin, user=staff, borrower=BorrowerFactory())
    )
    assert "borrower" in errors
    staff.refresh_from_db()
    assert staff.borrower is None
