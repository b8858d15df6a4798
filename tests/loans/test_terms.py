"""The one check of lending terms: a product's ranges and the fund's highest rate, both data."""

from dataclasses import replace
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from fund.models import Fund
from loans.domain.terms import Limits, terms_errors
from loans.models import Loan, LoanContract
from loans.services.origination.contracts import ContractTerms, sign_contract
from tests.loans import factories
from tests.loans.conftest import START

LIMITS = Limits(
    product="Vốn lưu động",
    amount_min=D(10_000_000),
    amount_max=D(500_000_000),
    term_min_months=6,
    term_max_months=36,
    max_grace_months=6,
    rate_cap=D("0.20"),
    product_rate=D("0.066"),
)
GOOD = {"amount": D(100_000_000), "term_months": 12, "annual_rate": D("0.066"), "grace_months": 0}


def test_terms_within_the_limits_pass():
    assert terms_errors(**GOOD, limits=LIMITS) == {}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": D(5_000_000)}, "amount", "lends from"),
        ({"amount": D("100000000.5")}, "amount", "whole number of đồng"),
        ({"term_months": 48}, "term_months", "lends for 6 to 36 months"),
        ({"annual_rate": D("0.07")}, "annual_rate", "above the product's"),
        ({"annual_rate": D("0.0660001")}, "annual_rate", "above the product's"),
        ({"annual_rate": D("-0.01")}, "annual_rate", "0 or more"),
        ({"annual_rate": D("0.0600001")}, "annual_rate", "four decimals"),
        ({"grace_months": 7}, "grace_months", "up to 6 months"),
        ({"grace_months": 6, "term_months": 6}, "grace_months", "shorter than the term"),
    ],
)
def test_each_limit_is_refused_on_its_field(changes, field, message):
    errors = terms_errors(**(GOOD | changes), limits=LIMITS)
    assert list(errors) == [field]
    assert message in errors[field]


def test_the_funds_highest_rate_binds_even_a_product_above_it():
    limits = replace(LIMITS, rate_cap=D("0.06"))
    assert terms_errors(**GOOD, limits=limits) == {
        "annual_rate": "The rate must be between 0 and 6.00\xa0% a year."
    }
    # Without the product's rate (a contract), only the fund's highest rate caps it.
    contract = replace(LIMITS, product_rate=None)
    assert terms_errors(**(GOOD | {"annual_rate": D("0.19")}), limits=contract) == {}
    assert list(terms_errors(**(GOOD | {"annual_rate": D("0.21")}), limits=contract)) == ["annual_rate"]


def test_without_limits_only_what_no_loan_can_have_is_refused():
    wide = {"amount": D(9_000_000_000), "term_months": 480, "annual_rate": D("0.5"), "grace_months": 100}
    assert terms_errors(**wide) == {}
    errors = terms_errors(amount=D(0), term_months=0, annual_rate=None, grace_months=-1)
    assert set(errors) == {"amount", "term_months", "annual_rate", "grace_months"}


def test_a_contract_keeps_to_the_rate_the_fund_set_as_its_highest(staff):
    loan = factories.approved_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"]
    )
    Fund.objects.update(max_annual_rate=D("0.10"))  # the product's 12 % is now above it
    terms = ContractTerms(number="HĐ-9", signed_on=START, amount=D(120_000_000), term_months=12)
    with pytest.raises(ValidationError) as refused:
        sign_contract(actor=staff["officer"], loan=loan, terms=terms)
    assert refused.value.message_dict == {
        "annual_rate": ["The rate must be between 0 and 10.00\xa0% a year."]
    }
    Fund.objects.update(max_annual_rate=D("0.20"))
    assert sign_contract(actor=staff["officer"], loan=loan, terms=terms).annual_rate == D("0.12")


@pytest.mark.django_db
def test_a_fund_cannot_set_its_highest_rate_above_the_law():
    fund = Fund(max_annual_rate=D("0.21"))
    with pytest.raises(ValidationError) as refused:
        fund.clean()
    assert "max_annual_rate" in refused.value.message_dict


def test_a_contract_keeps_to_the_term_and_rate_the_approver_decided(staff):
    loan = factories.approved_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"]
    )
    # The approver granted less than the product allows (12 months at 12 %).
    Loan.objects.filter(pk=loan.pk).update(approved_term_months=9, approved_rate=D("0.10"))
    terms = ContractTerms(
        number="HĐ-9", signed_on=START, amount=D(120_000_000), term_months=12, annual_rate=D("0.11")
    )
    with pytest.raises(ValidationError) as refused:
        sign_contract(actor=staff["officer"], loan=loan, terms=terms)
    assert refused.value.message_dict == {
        "term_months": ["The contract cannot run longer than the 9 months approved."],
        "annual_rate": ["The contract cannot charge more than the 10.00\xa0% a year approved."],
    }
    assert not LoanContract.objects.exists()
    contract = sign_contract(
        actor=staff["officer"], loan=loan, terms=replace(terms, term_months=9, annual_rate=None)
    )
    assert (contract.term_months, contract.annual_rate) == (9, D("0.10"))
