"""The appraisal page at a desktop width: the cash-flow grid's inputs show the whole of what was
typed and no table is clipped (the coverage column read "1," when its table was cut off)."""

from decimal import Decimal

from appraisal import services
from appraisal.services import CashFlowFigures
from tests.appraisal.factories import appraising_loan, collateral_terms

# Each element that shows less than it holds: an input narrower than its value, a table wider
# than the box it scrolls in.
CUT_OFF = """() => [
    ...[...document.querySelectorAll("#cash_flow input")].filter((e) => e.scrollWidth > e.clientWidth + 1)
        .map((e) => `input ${e.name}: ${e.value}`),
    ...[...document.querySelectorAll("#cash_flow .table-wrap, #collateral .table-wrap")]
        .filter((e) => e.scrollWidth > e.clientWidth + 1)
        .map((e) => `table ${e.closest("section").id}: ${e.scrollWidth} > ${e.clientWidth}`),
]"""


def test_the_cash_flow_and_collateral_tables_fit_a_desktop_screen(open_page, staff, fund):
    loan = appraising_loan(
        appraiser=staff["appraiser"], officer=staff["officer"], amount=Decimal("900000000")
    )
    big = Decimal("12500000000")  # 12,5 billion a year: a large co-op's cash in
    years = [
        CashFlowFigures(year=year, inflow=big, outflow=big - Decimal("1234567890")) for year in (1, 2, 3)
    ]
    services.save_cash_flow(actor=staff["appraiser"], loan=loan, years=years)
    services.add_collateral(actor=staff["appraiser"], loan=loan, item=collateral_terms(valuation=big))
    page = open_page(staff["appraiser"])
    page.goto(f"/appraisal/{loan.pk}/")
    assert page.locator("#cash_flow input").count() >= 6
    assert page.evaluate(CUT_OFF) == []
