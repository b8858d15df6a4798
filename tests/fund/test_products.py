from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import given
from hypothesis import strategies as st

from fund import services
from fund.models import DocumentType, LoanProduct, Portion
from ledger.models import Account
from tests.fund.factories import LoanProductFactory, product_fields
from tests.fund.helpers import refused

pytestmark = pytest.mark.django_db


def create(actor, **overrides):
    return services.create_product(actor=actor, fields=product_fields(**overrides))


def test_a_product_takes_the_design_defaults_and_the_short_term_accounts(accountant):
    product = create(accountant)
    assert product.version == 1 and product.is_offered and not product.is_frozen
    assert product.overdue_multiplier == Decimal("1.5")
    assert product.unpaid_interest_rate <= Decimal("0.10")
    assert [product.debt_group_for(days) for days in (0, 9, 10, 90, 91, 180, 181, 360, 361)] == [
        1, 1, 2, 2, 3, 3, 4, 4, 5,
    ]  # fmt: skip
    assert list(product.provision_rates.values()) == [Decimal(r) for r in ("0", "0.05", "0.2", "0.5", "1")]
    assert product.general_provision_rate == Decimal("0.0075")
    assert product.allocation_order == [
        "late_interest", "overdue_interest", "overdue_principal", "due_interest", "due_principal",
    ]  # fmt: skip
    assert product.principal_account.code == "128311"
    assert product.overdue_principal_account.code == "128312"
    assert product.interest_income_account.code == "5151"
    assert product.written_off_principal_account.code == "0041"


@pytest.mark.parametrize(
    ("terms", "in_term", "overdue"),
    [((13, 60), "128321", "128322"), ((61, 120), "128331", "128332"), ((1, 12), "128311", "128312")],
)
def test_loan_accounts_default_from_the_term_class(accountant, terms, in_term, overdue):
    product = create(accountant, term_min_months=terms[0], term_max_months=terms[1])
    assert (product.principal_account.code, product.overdue_principal_account.code) == (in_term, overdue)


def test_the_monthly_rate_is_the_annual_rate_over_twelve(accountant):
    product = create(accountant, annual_rate=Decimal("0.072"))
    assert product.monthly_rate == Decimal("0.006")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_min": Decimal(2_000_000), "amount_max": Decimal(1_000_000)}, "amount_max"),
        ({"amount_min": Decimal(0)}, "amount_min"),
        ({"term_min_months": 12, "term_max_months": 6}, "term_max_months"),
        ({"term_min_months": 6, "term_max_months": 24}, "term_max_months"),  # short and medium at once
        ({"max_grace_months": 12}, "max_grace_months"),
        ({"annual_rate": Decimal("-0.01")}, "annual_rate"),
        ({"annual_rate": Decimal("0.21")}, "annual_rate"),
        ({"overdue_multiplier": Decimal("0.9")}, "overdue_multiplier"),
        ({"overdue_multiplier": Decimal("1.6")}, "overdue_multiplier"),
        ({"unpaid_interest_rate": Decimal("0.11")}, "unpaid_interest_rate"),
        ({"collateral_waiver_threshold": Decimal(-1)}, "collateral_waiver_threshold"),
        ({"borrower_types": []}, "borrower_types"),
        ({"borrower_types": ["htx", "bank"]}, "borrower_types"),
        ({"borrower_types": ["htx", "htx"]}, "borrower_types"),
        ({"amortization": "bullet", "principal_frequency": 1}, "principal_frequency"),
        ({"amortization": "equal_principal", "principal_frequency": 0}, "amortization"),
        (
            {"amortization": "annuity", "principal_frequency": 3, "interest_frequency": 1},
            "interest_frequency",
        ),
        ({"allocation_order": ["due_principal", "due_interest"]}, "allocation_order"),
        ({"allocation_order": [*Portion.values[:4], "due_interest"]}, "allocation_order"),
        ({"group2_from_days": 0}, "group2_from_days"),
        ({"group3_from_days": 10}, "group3_from_days"),  # not after group 2's start
        ({"group4_from_days": 400}, "group5_from_days"),  # group 5 would start before group 4
        ({"provision_rate_group3": Decimal("1.2")}, "provision_rate_group3"),
        ({"provision_rate_group1": Decimal("-0.01")}, "provision_rate_group1"),
        ({"provision_rate_group4": Decimal("0.10")}, "provision_rate_group4"),  # less than group 3
        ({"general_provision_rate": Decimal("1.5")}, "general_provision_rate"),
    ],
)
def test_each_rule_is_validated_with_a_message_on_its_field(accountant, overrides, field):
    errors = refused(lambda: create(accountant, **overrides))
    assert field in errors
    assert not LoanProduct.objects.exists()


@pytest.mark.parametrize(
    ("code", "problem"),
    [("1283", "sub-accounts"), ("5151", "right type"), ("inactive", "inactive")],
)
def test_posting_accounts_must_be_postable_active_and_of_their_kind(accountant, code, problem):
    if code == "inactive":
        Account.objects.filter(code="128311").update(active=False)
        code = "128311"
    account = Account.objects.get(code=code)
    errors = refused(lambda: create(accountant, principal_account=account))
    assert problem in " ".join(errors["principal_account"])


def test_a_code_is_taken_once(accountant):
    create(accountant)
    errors = refused(lambda: create(accountant))
    assert "code" in errors


@pytest.mark.parametrize("role", ["fund_officer", "approver", "appraiser", "coop_user"])
def test_only_accountants_create_or_change_products(user_with_role, role, accountant):
    actor = user_with_role(role)
    with pytest.raises(PermissionDenied):
        create(actor)
    product = create(accountant)
    with pytest.raises(PermissionDenied):
        services.update_product(actor=actor, product=product, fields={"annual_rate": Decimal("0.05")})
    product.refresh_from_db()
    assert product.annual_rate == Decimal("0.066")


# --- versions ------------------------------------------------------------------------------


def snapshot(product: LoanProduct) -> dict:
    row = LoanProduct.objects.filter(pk=product.pk).values().get()
    row.pop("status")
    return {**row, "documents": sorted(product.required_documents.values_list("code", flat=True))}


def test_an_unfrozen_product_is_edited_in_place(accountant):
    product = create(accountant)
    saved = services.update_product(
        actor=accountant, product=product, fields={"annual_rate": Decimal("0.07")}
    )
    assert saved.pk == product.pk
    assert LoanProduct.objects.get().annual_rate == Decimal("0.07")


def test_freezing_is_idempotent(accountant):
    product = create(accountant)
    first = services.freeze_product(product=product).frozen_at
    again = services.freeze_product(product=product).frozen_at
    assert first is not None and again == first
    assert LoanProduct.objects.get().frozen_at == first


def test_editing_a_frozen_product_makes_a_new_version_and_leaves_the_old_row_untouched(accountant):
    documents = DocumentType.objects.filter(code__in=["loan_application", "business_plan"])
    product = services.create_product(actor=accountant, fields=product_fields(), required_documents=documents)
    services.freeze_product(product=product)
    before = snapshot(product)

    new = services.update_product(
        actor=accountant,
        product=product,
        fields={"annual_rate": Decimal("0.075"), "amount_max": Decimal("1500000000")},
    )

    assert (new.code, new.version) == (product.code, 2)
    assert new.annual_rate == Decimal("0.075") and new.amount_max.amount == Decimal("1500000000")
    assert new.frozen_at is None and new.is_offered
    assert sorted(new.required_documents.values_list("code", flat=True)) == before["documents"]
    assert new.principal_account_id == before["principal_account_id"]
    old = LoanProduct.objects.get(pk=product.pk)
    assert snapshot(old) == before
    assert old.status == LoanProduct.Status.SUPERSEDED and not old.is_offered


def test_a_superseded_version_cannot_be_edited_and_a_used_code_cannot_change(accountant):
    product = create(accountant)
    services.freeze_product(product=product)
    errors = refused(
        lambda: services.update_product(actor=accountant, product=product, fields={"code": "NEW"})
    )
    assert "code" in errors
    services.update_product(actor=accountant, product=product, fields={"name": "Tên mới"})
    errors = refused(
        lambda: services.update_product(actor=accountant, product=product, fields={"name": "Khác"})
    )
    assert "version 2" in " ".join(errors["__all__"])
    assert LoanProduct.objects.count() == 2


def test_saving_the_same_values_makes_no_new_version(accountant):
    product = create(accountant)
    services.freeze_product(product=product)
    same = services.update_product(
        actor=accountant, product=product, fields={"annual_rate": Decimal("0.066000"), "name": product.name}
    )
    assert same.pk == product.pk
    assert LoanProduct.objects.count() == 1


def test_a_bad_edit_of_a_frozen_product_leaves_no_version_behind(accountant):
    product = create(accountant)
    services.freeze_product(product=product)
    refused(
        lambda: services.update_product(actor=accountant, product=product, fields={"annual_rate": Decimal(1)})
    )
    assert list(LoanProduct.objects.values_list("version", "status")) == [(1, "active")]


def test_a_withdrawn_product_is_not_offered_and_can_be_offered_again(accountant):
    product = create(accountant)
    product = services.retire_product(actor=accountant, product=product)
    assert not product.is_offered
    refused(lambda: services.retire_product(actor=accountant, product=product))
    assert services.reinstate_product(actor=accountant, product=product).is_offered


@given(
    starts=st.lists(st.integers(min_value=1, max_value=2000), min_size=4, max_size=4, unique=True).map(
        sorted
    ),
    days=st.integers(min_value=0, max_value=5000),
)
def test_every_day_past_due_falls_in_exactly_one_band_and_groups_never_improve_with_age(starts, days):
    product = LoanProduct(
        group2_from_days=starts[0],
        group3_from_days=starts[1],
        group4_from_days=starts[2],
        group5_from_days=starts[3],
    )
    bands = product.debt_group_bands
    containing = [g for g, first, last in bands if first <= days and (last is None or days <= last)]
    assert containing == [product.debt_group_for(days)]
    assert product.debt_group_for(days + 1) >= product.debt_group_for(days)
    assert [first for _g, first, _l in bands][1:] == starts


def test_the_factory_product_is_valid():
    LoanProductFactory().full_clean()


@pytest.mark.parametrize("field", ["code", "purpose"])
def test_text_beyond_its_limit_is_refused_on_its_field_and_no_product_is_saved(accountant, field):
    errors = refused(lambda: create(accountant, **{field: "x" * 100_000}))
    assert list(errors) == [field]
    assert not LoanProduct.objects.exists()
