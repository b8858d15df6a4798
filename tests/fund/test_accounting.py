"""The posting rules: the accounts every money event debits and credits, and entries that balance."""

from collections import defaultdict
from dataclasses import fields
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fund import accounting
from fund.accounting import (
    AccountOpening,
    Accrual,
    Booked,
    Capitalisation,
    CapitalReceipt,
    Disbursement,
    GLMap,
    OpeningBalance,
    OverdueTransfer,
    Provision,
    Recovery,
    Repayment,
    Suspension,
    TrackingEnd,
    TrancheReversal,
    Waiver,
    WriteOff,
)
from ledger.services import Line

# The default chart's accounts of a short-term product (fund.models.products.POSTING_ACCOUNTS).
GL = GLMap(
    principal="128311",
    overdue_principal="128312",
    interest_receivable="13881",
    late_interest_receivable="13882",
    interest_income="5151",
    late_interest_income="5152",
    interest_reversal="6428",
    suspended_interest="0043",
    off_balance_contra="009",
    specific_provision="22931",
    general_provision="22932",
    provision_expense="6426",
    written_off_principal="0041",
    written_off_interest="0042",
    recoveries_income="7111",
)
BANK, CASH, CHARTER = "11211", "1111", "41111"


def repayment(**given) -> Repayment:
    fields = {
        "principal": D(10_000_000),
        "interest": D(1_223_014),
        "late_interest": D(20_000),
        "penalty": D(5_000),
        "received_into": CASH,
        "contract": "HĐ-01",
    }
    return Repayment(**(fields | given))


# Each event kind and its legs that move something, as (debit account, credit account, amount).
RULES = [
    pytest.param(
        Disbursement(amount=D(50_000_000), paid_from=BANK, contract="HĐ-01"),
        [("128311", BANK, D(50_000_000))],
        id="disbursement: loan principal in term / the lending account",
    ),
    pytest.param(
        repayment(overdue_principal=D(4_000_000)),
        [
            (CASH, "128311", D(6_000_000)),
            (CASH, "128312", D(4_000_000)),
            (("13881", "5151", D(1_223_014))),  # nothing accrued yet: accrued as it is paid
            (CASH, "13881", D(1_223_014)),
            (("13882", "5152", D(25_000))),  # late interest and penalty together
            (CASH, "13882", D(25_000)),
        ],
        id="repayment: principal in term and overdue; interest accrued and collected from receivable",
    ),
    pytest.param(
        repayment(booked=Booked(interest_receivable=D(1_000_000), late_interest_receivable=D(30_000))),
        [
            (CASH, "128311", D(10_000_000)),
            (("13881", "5151", D(223_014))),  # only what month end had not accrued
            (CASH, "13881", D(1_223_014)),
            (CASH, "13882", D(25_000)),
        ],
        id="repayment after a month-end accrual: collected from receivable, the rest accrued first",
    ),
    pytest.param(
        repayment(accruing=False, booked=Booked(suspended_interest=D(1_000_000), suspended_late=D(25_000))),
        [
            (CASH, "128311", D(10_000_000)),
            (CASH, "5151", D(1_000_000)),  # suspended interest paid: income now...
            ("009", "0043", D(1_000_000)),  # ...and off the memo
            (CASH, "5151", D(223_014)),  # not on the memo yet: straight to income
            (CASH, "5152", D(25_000)),
            ("009", "0043", D(25_000)),
        ],
        id="repayment in non-accrual: income when paid, released from the suspended-interest memo",
    ),
    pytest.param(
        CapitalReceipt(amount=D(10**12), received_into=BANK, capital_account=CHARTER),
        [(BANK, CHARTER, D(10**12))],
        id="capital receipt: the receiving account / the source's capital account",
    ),
    pytest.param(
        OverdueTransfer(amount=D(10_000_000), contract="HĐ-01"),
        [("128312", "128311", D(10_000_000))],
        id="overdue transfer: overdue principal / principal in term",
    ),
    pytest.param(
        Accrual(interest=D(1_000_000), late_interest=D(30_000), contract="HĐ-01"),
        [("13881", "5151", D(1_000_000)), ("13882", "5152", D(30_000))],
        id="accrual: interest receivable / interest income; late interest receivable / late interest income",
    ),
    pytest.param(
        Accrual(
            interest=D(-1_500_000),
            late_interest=D(-30_000),
            contract="HĐ-01",
            prior_year_interest=D(400_000),
        ),
        [
            ("13881", "5151", D(-1_100_000)),  # this year's accrual reversed from income
            ("13881", "6428", D(-400_000)),  # last year's, to an expense
            ("13882", "5152", D(-30_000)),
        ],
        id="non-accrual switch: accrued interest reversed, this year's from income, earlier years' to 6428",
    ),
    pytest.param(
        Suspension(interest=D(1_500_000), late_interest=D(30_000), contract="HĐ-01"),
        [("0043", "009", D(1_500_000)), ("0043", "009", D(30_000))],
        id="suspension: memo suspended interest / off-balance contra",
    ),
    pytest.param(
        Provision(specific=D(2_000_000), general=D(-75_000), contract="HĐ-01"),
        [("6426", "22931", D(2_000_000)), ("6426", "22932", D(-75_000))],
        id="provision: provision expense / specific and general provisions (negative: released)",
    ),
    pytest.param(
        OpeningBalance(
            booked=Booked(
                principal=D(30_000_000),
                overdue_principal=D(10_000_000),
                interest_receivable=D(400_000),
                late_interest_receivable=D(20_000),
                suspended_interest=D(900_000),
                suspended_late=D(50_000),
                specific_provision=D(2_000_000),
                general_provision=D(225_000),
            ),
            contra=CHARTER,
            contract="HĐ-01",
        ),
        [
            ("128311", CHARTER, D(30_000_000)),
            ("128312", CHARTER, D(10_000_000)),
            ("13881", CHARTER, D(400_000)),
            ("13882", CHARTER, D(20_000)),
            ("0043", "009", D(900_000)),
            ("0043", "009", D(50_000)),
            (CHARTER, "22931", D(2_000_000)),
            (CHARTER, "22932", D(225_000)),
        ],
        id="opening balance: each control account / the contra; suspended interest: memo / 009",
    ),
    pytest.param(
        AccountOpening(account=BANK, balance=D(-5_000), contra=CHARTER),
        [(BANK, CHARTER, D(-5_000))],
        id="account opening: the account / the contra (a credit balance moves the other way)",
    ),
    pytest.param(
        WriteOff(
            contract="HĐ-01",
            booked=Booked(
                principal=D(20_000_000),
                overdue_principal=D(100_000_000),
                interest_receivable=D(700_000),
                suspended_interest=D(3_000_000),
                suspended_late=D(500_000),
                specific_provision=D(16_000_000),
                general_provision=D(900_000),
            ),
            interest=D(3_900_000),  # 700 000 receivable, 3 000 000 suspended, 200 000 not booked
            late_interest=D(500_000),
            prior_year_interest=D(100_000),
        ),
        [
            ("22931", "128312", D(16_000_000)),  # the specific provision first, overdue first
            ("22932", "128312", D(900_000)),  # then the general one
            ("6426", "128312", D(83_100_000)),  # the shortfall to expense
            ("6426", "128311", D(20_000_000)),
            ("13881", "5151", D(-600_000)),  # this year's accrual reversed from income
            ("13881", "6428", D(-100_000)),  # last year's to 6428
            ("0042", "0043", D(3_000_000)),  # suspended interest moved to written-off interest
            ("0042", "0043", D(500_000)),
            ("0042", "009", D(900_000)),  # the receivable reversed and what was not booked
            ("0041", "009", D(120_000_000)),
        ],
        id="write-off: specific, then general provision, shortfall to expense; interest to the memo",
    ),
    pytest.param(
        WriteOff(
            contract="HĐ-01",
            booked=Booked(
                principal=D(1_000_000), specific_provision=D(5_000_000), general_provision=D(7_500)
            ),
            interest=D(0),
            late_interest=D(0),
        ),
        [
            ("22931", "128311", D(1_000_000)),
            ("22931", "6426", D(4_000_000)),  # what the principal did not take is released
            ("22932", "6426", D(7_500)),
            ("0041", "009", D(1_000_000)),
        ],
        id="write-off covered by the provision: the rest of the provisions released",
    ),
    pytest.param(
        Recovery(
            amount=D(5_000_000),
            received_into=BANK,
            contract="HĐ-01",
            booked=Booked(written_off_principal=D(3_000_000), written_off_interest=D(4_000_000)),
        ),
        [
            (BANK, "7111", D(5_000_000)),
            ("009", "0041", D(3_000_000)),  # principal first
            ("009", "0042", D(2_000_000)),
        ],
        id="recovery: income, and off the written-off memo, principal first",
    ),
    pytest.param(
        TrackingEnd(
            contract="HĐ-01",
            booked=Booked(written_off_principal=D(95_000_000), written_off_interest=D(9_445_470)),
        ),
        [("009", "0041", D(95_000_000)), ("009", "0042", D(9_445_470))],
        id="end of the off-balance tracking: what is left off the written-off memo",
    ),
    pytest.param(
        TrancheReversal(
            contract="HĐ-01",
            debited="13888",
            in_term=D(54_489_863),
            overdue=D(5_510_137),
            accrual=Accrual(interest=D(-300_000), late_interest=D(-40_000), contract="HĐ-01"),
            suspension=Suspension(interest=D(-10_000), late_interest=D(0), contract="HĐ-01"),
            refund_payable="33888",
            refunds=((BANK, D(1_000_000), "UNC 9"),),
        ),
        [
            ("13888", "128312", D(5_510_137)),
            ("13888", "128311", D(54_489_863)),
            ("13881", "5151", D(-300_000)),
            ("13882", "5152", D(-40_000)),
            ("0043", "009", D(-10_000)),
            (BANK, "33888", D(1_000_000)),
        ],
        id="tranche reversal: owed back / loan accounts; accrual off; repayments above the debt refunded",
    ),
    pytest.param(
        Waiver(
            contract="HĐ-01",
            interest=D(600_000),
            prior_year_interest=D(200_000),
            late_interest=D(30_000),
            prior_year_late_interest=D(5_000),
            suspended_interest=D(90_000),
            suspended_late=D(9_000),
        ),
        [
            ("5151", "13881", D(600_000)),  # this year's accrual waived against income
            ("6428", "13881", D(200_000)),  # an earlier year's, against an expense
            ("5152", "13882", D(30_000)),
            ("6428", "13882", D(5_000)),
            ("009", "0043", D(90_000)),  # suspended interest: the memo only
            ("009", "0043", D(9_000)),
        ],
        id="waiver: income (this year) or 6428 (earlier) / interest receivable; suspended on the memo only",
    ),
    pytest.param(
        Capitalisation(amount=D(1_223_014), contract="HĐ-01"),
        [("128311", "13881", D(1_223_014))],
        id="capitalisation: loan principal in term / interest receivable",
    ),
]


@pytest.mark.parametrize(("event", "expected"), RULES)
def test_each_event_kind_moves_money_between_the_accounts_its_rule_names(event, expected):
    assert [
        (leg.debit, leg.credit, leg.amount) for leg in accounting.legs(event, GL) if leg.amount
    ] == expected


def test_every_event_kind_has_a_rule():
    assert {type(param.values[0]) for param in RULES} == set(accounting.Event.__args__)


def test_a_repayment_is_one_debit_of_what_was_paid_then_a_credit_per_portion():
    event = repayment(received_into=BANK, receipt="UNC 123", late_interest=D(0), penalty=D(0))
    # Accrued as it is paid and collected at once: the receivable nets to nothing in the entry.
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


def test_a_negative_leg_moves_the_money_back():
    released = Provision(specific=D(-2_000_000), general=D(0), contract="HĐ-01")
    assert accounting.lines(released, GL) == [
        Line(account="22931", debit=D(2_000_000), reference="HĐ-01"),
        Line(account="6426", credit=D(2_000_000), reference="HĐ-01"),
    ]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            repayment(overdue_principal=D(4_000_000), booked=Booked(interest_receivable=D(1_000_000))),
            {
                "principal": D(-6_000_000),
                "overdue_principal": D(-4_000_000),
                "interest_receivable": D(-1_000_000),
            },
        ),
        (
            repayment(accruing=False, booked=Booked(suspended_interest=D(700_000))),
            {"principal": D(-10_000_000), "suspended_interest": D(-700_000)},
        ),
        (
            OverdueTransfer(amount=D(10_000_000), contract=""),
            {"principal": D(-10_000_000), "overdue_principal": D(10_000_000)},
        ),
        (
            Accrual(interest=D(-1_500_000), late_interest=D(0), contract="", prior_year_interest=D(400_000)),
            {"interest_receivable": D(-1_500_000)},
        ),
        (
            Suspension(interest=D(5), late_interest=D(7), contract=""),
            {"suspended_interest": D(5), "suspended_late": D(7)},
        ),
        (
            Provision(specific=D(9), general=D(-3), contract=""),
            {"specific_provision": D(9), "general_provision": D(-3)},
        ),
        (
            OpeningBalance(
                booked=Booked(
                    principal=D(8), overdue_principal=D(2), suspended_late=D(1), specific_provision=D(4)
                ),
                contra=CHARTER,
                contract="",
            ),
            {
                "principal": D(8),
                "overdue_principal": D(2),
                "suspended_late": D(1),
                "specific_provision": D(4),
            },
        ),
        (
            WriteOff(
                contract="",
                booked=Booked(
                    principal=D(10), overdue_principal=D(5), suspended_interest=D(2), specific_provision=D(4)
                ),
                interest=D(3),
                late_interest=D(0),
            ),
            {
                "principal": D(-10),
                "overdue_principal": D(-5),
                "suspended_interest": D(-2),
                "specific_provision": D(-4),
                "written_off_principal": D(15),
                "written_off_interest": D(3),
            },
        ),
        (
            Recovery(amount=D(7), received_into=CASH, contract="", booked=Booked(written_off_principal=D(5))),
            {"written_off_principal": D(-5), "written_off_interest": D(-2)},
        ),
        (
            TrackingEnd(contract="", booked=Booked(written_off_principal=D(5), written_off_interest=D(2))),
            {"written_off_principal": D(-5), "written_off_interest": D(-2)},
        ),
        (
            Waiver(contract="", interest=D(5), prior_year_late_interest=D(2), suspended_late=D(3)),
            {"interest_receivable": D(-5), "late_interest_receivable": D(-2), "suspended_late": D(-3)},
        ),
        (
            Capitalisation(amount=D(8), contract=""),
            {"principal": D(8), "interest_receivable": D(-8)},
        ),
    ],
)
def test_the_sub_ledger_is_told_what_each_event_did_to_the_loan_control_accounts(event, expected):
    changes = accounting.controls(event, GL)
    assert {role: amount for role, amount in changes.items() if amount} == expected


amounts = st.integers(min_value=0, max_value=10**15).map(D)
signed = st.integers(min_value=-(10**15), max_value=10**15).map(D)
codes = st.sampled_from([BANK, CASH, "11212"])
booked = st.builds(
    Booked,
    interest_receivable=signed,
    late_interest_receivable=signed,
    suspended_interest=signed,
    suspended_late=signed,
)
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
        accruing=st.booleans(),
        booked=booked,
    ),
    st.builds(CapitalReceipt, amount=amounts, received_into=codes, capital_account=st.just(CHARTER)),
    st.builds(OverdueTransfer, amount=signed, contract=st.just("HĐ-01")),
    st.builds(Accrual, interest=signed, late_interest=signed, contract=st.just("HĐ-01")),
    st.builds(Suspension, interest=signed, late_interest=signed, contract=st.just("HĐ-01")),
    st.builds(Provision, specific=signed, general=signed, contract=st.just("HĐ-01")),
    st.builds(
        OpeningBalance,
        booked=st.builds(Booked, *[amounts] * 8),
        contra=st.just(CHARTER),
        contract=st.just("HĐ-01"),
    ),
    st.builds(AccountOpening, account=codes, balance=signed, contra=st.just(CHARTER)),
    st.builds(
        WriteOff,
        contract=st.just("HĐ-01"),
        booked=st.builds(
            Booked,
            principal=amounts,
            overdue_principal=amounts,
            interest_receivable=signed,
            suspended_interest=amounts,
            specific_provision=signed,
            general_provision=signed,
        ),
        interest=amounts,
        late_interest=amounts,
    ),
    st.builds(
        Recovery,
        amount=amounts,
        received_into=codes,
        contract=st.just("HĐ-01"),
        booked=st.builds(Booked, written_off_principal=amounts),
    ),
    st.builds(
        TrackingEnd,
        contract=st.just("HĐ-01"),
        booked=st.builds(Booked, written_off_principal=amounts, written_off_interest=amounts),
    ),
    st.builds(
        TrancheReversal,
        contract=st.just("HĐ-01"),
        debited=codes,
        in_term=amounts,
        overdue=amounts,
        accrual=st.builds(Accrual, interest=signed, late_interest=st.just(D(0)), contract=st.just("HĐ-01")),
        suspension=st.builds(
            Suspension, interest=st.just(D(0)), late_interest=st.just(D(0)), contract=st.just("HĐ-01")
        ),
        refund_payable=st.just("33888"),
    ),
    st.builds(
        Waiver,
        contract=st.just("HĐ-01"),
        interest=amounts,
        late_interest=amounts,
        prior_year_interest=amounts,
        suspended_interest=amounts,
    ),
    st.builds(Capitalisation, amount=amounts, contract=st.just("HĐ-01")),
)


@given(events)
def test_every_entry_balances_in_positive_whole_dong_without_zero_lines(event):
    lines = accounting.lines(event, GL)
    assert sum(line.debit for line in lines) == sum(line.credit for line in lines)
    for line in lines:
        amount = line.debit or line.credit
        assert (line.debit == 0) != (line.credit == 0)
        assert amount > 0 and amount == amount.to_integral_value()


@given(st.builds(repayment, principal=amounts, interest=amounts, accruing=st.booleans(), booked=booked))
def test_a_repayment_debits_exactly_what_was_received(event):
    received = sum(line.debit for line in accounting.lines(event, GL) if line.account == CASH)
    assert received == event.principal + event.interest + event.late_interest + event.penalty


@given(
    st.builds(
        Booked,
        principal=amounts,
        overdue_principal=amounts,
        interest_receivable=amounts,
        late_interest_receivable=amounts,
        suspended_interest=amounts,
        suspended_late=amounts,
        specific_provision=signed,
        general_provision=signed,
    ),
    amounts,
    amounts,
)
def test_a_write_off_leaves_nothing_on_the_balance_sheet_and_all_of_it_off_balance(booked, interest, late):
    changes = accounting.controls(
        WriteOff(contract="", booked=booked, interest=interest, late_interest=late), GL
    )
    after = {role: getattr(booked, role) + change for role, change in changes.items()}
    assert {role: amount for role, amount in after.items() if amount} == {
        role: amount
        for role, amount in {
            "written_off_principal": booked.principal + booked.overdue_principal,
            "written_off_interest": interest + late,
        }.items()
        if amount
    }


def _net(lines: list[Line]) -> dict[str, D]:
    """Each account's debit less credit."""
    net: dict[str, D] = {}
    for line in lines:
        net[line.account] = net.get(line.account, D(0)) + line.debit - line.credit
    return net


def _nonzero(amounts: dict[str, D]) -> dict[str, D]:
    return {key: amount for key, amount in amounts.items() if amount}


# GL maps whose roles may share an account (a fund may book both provisions on one, say).
shared_maps = st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=15, max_size=15).map(
    lambda codes: GLMap(**dict(zip((f.name for f in fields(GLMap)), codes, strict=True)))
)


@given(
    st.one_of(
        st.builds(
            Accrual,
            interest=signed,
            late_interest=signed,
            contract=st.just("HĐ-01"),
            prior_year_interest=signed,
            prior_year_late_interest=signed,
        ),
        st.builds(Provision, specific=signed, general=signed, contract=st.just("HĐ-01")),
    ),
    st.one_of(st.just(GL), shared_maps),
)
def test_what_a_rule_does_per_dong_adds_up_to_its_lines_and_controls(event, gl):
    shares = accounting.shares(type(event))
    net, changes = defaultdict(D), defaultdict(D)
    for name, amount in vars(event).items():
        if name in shares.accounts:
            for role, share in shares.accounts[name].items():
                net[gl.codes[role]] += share * amount
            for role, share in shares.controls[name].items():
                changes[role] += share * amount
    assert _nonzero(net) == _net(accounting.lines(event, gl))
    assert _nonzero(changes) == _nonzero(accounting.controls(event, gl))


def test_a_rule_not_linear_in_its_amounts_has_no_shares():
    with pytest.raises(ValueError, match="Repayment"):
        accounting.shares(Repayment)


@given(st.builds(Booked, **{f.name: signed for f in fields(Booked)}), st.one_of(st.just(GL), shared_maps))
def test_an_opening_balance_brings_in_what_its_legs_move_but_the_contra(figures, gl):
    brought: dict[str, D] = defaultdict(D)
    accounting.brought_in(vars(figures), gl, brought)
    moved = _net(accounting.lines(OpeningBalance(figures, CHARTER, "HĐ-01"), gl))
    assert _nonzero(brought) == {code: amount for code, amount in moved.items() if code != CHARTER}


def test_an_opening_figure_names_each_account_it_is_taken_to_even_at_zero():
    brought: dict[str, D] = defaultdict(D)
    accounting.brought_in({"principal": D(0), "suspended_interest": D(0)}, GL, brought)
    assert brought == {GL.principal: 0, GL.suspended_interest: 0, GL.off_balance_contra: 0}


def test_a_write_off_covers_its_principal_from_the_specific_then_the_general_provision_then_expense():
    booked = Booked(
        principal=D(7_000),
        overdue_principal=D(3_000),
        specific_provision=D(4_000),
        general_provision=D(1_500),
    )
    event = WriteOff(contract="HĐ-01", booked=booked, interest=D(0), late_interest=D(0))
    assert accounting.cover(accounting.legs(event, GL)) == (D(4_000), D(1_500), D(4_500))
