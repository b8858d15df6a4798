import pytest
from django.contrib.auth.models import Group

from fund import roles


@pytest.mark.django_db
def test_the_migration_creates_one_group_per_role():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_holds_exactly_its_declared_permissions(role):
    declared = roles.declared_role_permissions()[role]
    assert declared, f"{role} can do nothing"
    group = Group.objects.get(name=role)
    held = {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }
    assert held == declared


@pytest.mark.django_db
def test_granting_again_restores_a_role_that_was_tampered_with():
    group = Group.objects.get(name=roles.ACCOUNTANT)
    group.permissions.clear()
    roles.grant_role_permissions()
    assert group.permissions.count() == len(roles.declared_role_permissions()[roles.ACCOUNTANT])


@pytest.mark.django_db
def test_roles_of_lists_a_users_roles_in_canonical_order(user_with_role):
    user = user_with_role(roles.APPROVER, roles.FUND_OFFICER)
    assert roles.roles_of(user) == [roles.FUND_OFFICER, roles.APPROVER]


@pytest.mark.django_db
def test_an_unknown_permission_is_refused(monkeypatch):
    monkeypatch.setattr(
        roles, "declared_role_permissions", lambda: {roles.ACCOUNTANT: {"ledger.fly_to_moon"}}
    )
    with pytest.raises(ValueError, match="ledger.fly_to_moon"):
        roles.grant_role_permissions()


# What each role is for (DESIGN.md "Who uses it"), and what it must not be able to do.
CAN = {
    roles.FUND_OFFICER: [
        "fund.add_borrower",
        "loans.add_loan",
        "loans.submit_loan",
        "loans.add_disbursement",
        "loans.add_repayment",
    ],
    roles.APPRAISER: ["loans.appraise_loan", "appraisal.change_appraisal", "loans.add_collateral"],
    roles.APPROVER: ["loans.decide_loan", "appraisal.view_appraisal"],
    roles.ACCOUNTANT: [
        "ledger.add_journalentry",
        "ledger.close_period",
        "loans.authorize_disbursement",
        "loans.reverse_repayment",
    ],
    roles.COOP_USER: ["loans.view_loan", "loans.add_loan", "loans.submit_loan"],
}
CANNOT = {
    roles.FUND_OFFICER: ["loans.authorize_disbursement", "loans.decide_loan", "ledger.add_journalentry"],
    roles.APPRAISER: ["loans.decide_loan", "loans.add_repayment"],
    roles.APPROVER: ["loans.appraise_loan", "loans.add_repayment", "ledger.add_journalentry"],
    roles.ACCOUNTANT: ["loans.decide_loan", "loans.appraise_loan"],
    roles.COOP_USER: [
        "ledger.view_journalentry",
        "appraisal.view_appraisal",
        "loans.decide_loan",
        "loans.add_repayment",
        "fund.change_borrower",
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_does_its_work_and_nothing_beyond(role, user_with_role):
    user = user_with_role(role)
    assert [p for p in CAN[role] if not user.has_perm(p)] == []
    assert [p for p in CANNOT[role] if user.has_perm(p)] == []
