"""The posting rules: the accounts every money event debits and credits, and entries that balance."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fund import accounting
from fund.accounting import CapitalReceipt, Disbursement, GLMap, Repayment
from ledger.services import Line

# The default chart's accounts of a short-term product (fund.models.products.POSTING_ACCOUNTS).
GL = GLMap(principal="128311", interest_income="5151", late_interest_income="5152")
BANK, CASH, CHARTER = "11211", "1111", "41111"

# Each event kind and its legs, as (debit account, credit account, amount).
RULES = [
    pytest.param(
        Disbursement(amount=D(50_000_000), paid_from=BANK, contract="HĐ-01"),
        [("128311", BANK, D(50_000_000))],
        id="disbursement: loan principal in term / the lending account",
    ),
    pytest.param(
        Repayment(
            principal=D(10_000_000),
            interest=D(1_223_014),
            late_interest=D(20_000),
            penalty=D(5_000),
            received_into=CASH,
            contract="HĐ-01",
        ),
        [
            (CASH, "128311", D(10_000_000)),
            (CASH, "5151", D(1_223_014)),  # interest straight to income: no accrual yet
            (CASH, "5152", D(25_000)),  # late interest and penalty together
        ],
        id="repayment: the receiving account / principal, interest income, late-interest income",
    ),
    pytest.param(
        CapitalReceipt(amount=D(10**12), received_into=BANK, capital_account=CHARTER),
        [(BANK, CHARTER, D(10**12))],
        id="capital receipt: the receiving account / the source's capital account",
    ),
]


@pytest.mark.parametrize(("event", "expected"), RULES)
def test_each_event_kind_moves_money_between_the_accounts_its_rule_names(event, expected):
    assert [(leg.debit, leg.credit, leg.amount) for leg in accounting.legs(event, GL)] == expected


def test_every_event_kind_has_a_rule():
    assert {type(param.values[0]) for param in RULES} == set(accounting.Event.__args__)


def test_a_repayment_is_one_debit_of_what_was_paid_then_a_credit_per_portion():
    event = Repayment(
        principal=D(10_000_000),
        interest=D(1_223_014),
        late_interest=D(0),
        penalty=D(0),
        received_into=BANK,
        contract="HĐ-01",
        receipt="UNC 123",
    )
    assert accounting.lines(event, GL) == [
        Line(account=BANK, debit=D(11_223_014), reference="UNC 123"),
        Line(account="128311", credit=D(10_000_000), reference="HĐ-01"),
        Line(account="5151", credit=D(1_223_014), reference="HĐ-01"),
    ]


def test_a_disbursement_carries_the_contract_number_on_both_lines():
    event = Disbursement(amount=D(50_000_000), paid_from=BANK, contract="HĐ-01")
    assert accounting.lines(event, GL) == [
        Line(account="128311", debit=D(50_000_000), reference="HĐ-01"),
        Line(account=BANK, credit=D(50_000_000), reference="HĐ-01"),
    ]


amounts = st.integers(min_value=0, max_value=10**15).map(D)
codes = st.sampled_from([BANK, CASH, "11212"])
events = st.one_of(
    st.builds(Disbursement, amount=amounts, paid_from=codes, contract=st.just("HĐ-01")),
    st.builds(
        Repayment,
        principal=amounts,
        interest=amounts,
        late_interest=amounts,
        penalty=amounts,
        received_into=codes,
        contract=st.just("HĐ-01"),
        receipt=st.text(max_size=20),
    ),
    st.builds(CapitalReceipt, amount=amounts, received_into=codes, capital_account=st.just(CHARTER)),
)


@given(events)
def test_every_entry_balances_in_positive_whole_dong_without_zero_lines(event):
    lines = accounting.lines(event, GL)
    assert sum(line.debit for line in lines) == sum(line.credit for line in lines)
    assert sum(line.debit for line in lines) == sum(leg.amount for leg in accounting.legs(event, GL))
    for line in lines:
        amount = line.debit or line.credit
        assert (line.debit == 0) != (line.credit == 0)
        assert amount > 0 and amount == amount.to_integral_value()
