"""What the migrations and the role declarations give a fresh installation."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from appraisal.models import AppraisalRules, ScoringCriterion
from fund import navigation, roles

pytestmark = pytest.mark.django_db


def test_the_fund_starts_with_weighted_criteria_and_rules():
    criteria = ScoringCriterion.objects.filter(active=True)
    assert criteria.count() == 6
    assert sum(c.weight for c in criteria) == Decimal(100)
    assert all(c.name_vi and c.name_en for c in criteria)
    rules = AppraisalRules.objects.get()
    assert (rules.statement_years, rules.rating_scale, rules.min_debt_service_coverage) == (
        3,
        5,
        Decimal("1.20"),
    )


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            roles.APPRAISER,
            ["appraisal.view_appraisal", "loans.appraise_loan", "loans.delete_collateral"],
            ["loans.decide_loan"],
        ),
        (roles.APPROVER, ["appraisal.view_appraisal", "loans.decide_loan"], ["loans.appraise_loan"]),
        (roles.FUND_OFFICER, ["appraisal.view_appraisal"], ["loans.appraise_loan", "loans.decide_loan"]),
        (roles.ACCOUNTANT, [], ["appraisal.view_appraisal", "loans.decide_loan"]),
        (
            roles.COOP_USER,
            [],
            ["appraisal.view_appraisal", "appraisal.view_criterionrating", "loans.view_collateral"],
        ),
    ],
)
def test_each_role_holds_its_appraisal_permissions(user_with_role, role, allowed, refused):
    user = user_with_role(role)
    assert Group.objects.filter(name=role).exists()
    assert all(user.has_perm(p) for p in allowed)
    assert not any(user.has_perm(p) for p in refused)


def test_appraisers_and_approvers_find_their_pages_in_the_navigation(user_with_role):
    def labels(role):
        return [str(item["label"]) for item in navigation.items_for(user_with_role(role))]

    assert "Appraisal queue" in labels(roles.APPRAISER) and "Decisions" not in labels(roles.APPRAISER)
    assert "Decisions" in labels(roles.APPROVER) and "Appraisal queue" not in labels(roles.APPROVER)
    assert not {"Decisions", "Appraisal queue"} & set(labels(roles.COOP_USER))
    assert reverse("appraisal:queue") == "/appraisal/"


def test_the_admin_edits_criteria_and_never_deletes_them(admin_client):
    criterion = ScoringCriterion.objects.get(code="collateral")
    url = reverse("admin:appraisal_scoringcriterion_change", args=[criterion.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "code": "collateral",
            "name_vi": "Tài sản bảo đảm",
            "name_en": "Collateral",
            "weight": "0",
            "position": "60",
            "active": "on",
        },
    )
    assert response.status_code == 200  # refused: a weight above 0
    assert ScoringCriterion.objects.get(pk=criterion.pk).weight == Decimal(15)
    delete = reverse("admin:appraisal_scoringcriterion_delete", args=[criterion.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ScoringCriterion.objects.filter(pk=criterion.pk).exists()
