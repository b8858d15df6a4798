"""An example workbook for the fund as it stands: a small portfolio of another fund (tagged
`SOURCE`, as Bình Phước's into Đồng Nai's) to merge in on the business date — a co-operative's
equipment loan, a short-term working-capital loan and a household group's loan of two
households, each paid out a few days before (nothing fallen due yet), its interest accrued
since — and the GL sheet its figures give: the principal, the accrued interest and the general
provision on each product's accounts, and the merged fund's bank balance. The demo's page
offers it; committing it is `manage.py import_portfolio` or the page, merging `SOURCE` against
capital 41111.
"""

import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from common.money import round_vnd
from fund import accounting
from fund.models import Fund, LoanProduct
from loans.domain.classification import general_provision
from loans.services.onboarding.workbook import (
    ACCOUNTS,
    BORROWERS,
    HOUSEHOLDS,
    LOANS,
    example_bytes,
    products,
)

SOURCE = "BP"
CAPITAL = "41111"
BANK = ("11211", Decimal(450_000_000))
_PLACE = ["Bình Phước", "Đồng Xoài", "Phường Tân Phú"]
BORROWER_ROWS = [
    ["Hợp tác xã", "HTX Điều Tân Phú (BP)", "3800100001", "3800100001", *_PLACE, "Số 1 đường Phú Riềng Đỏ",
     "Trần Văn Điều", "", "0271380001", "Chế biến nông sản", 25, date(2016, 3, 1), ""],
    ["Tổ vay vốn", "Tổ vay vốn ấp 3 Tân Phú (BP)", "07/QĐ-HND-BP", "", *_PLACE, "Ấp 3",
     "Lê Thị Hồng", "", "0271380002", "Trồng trọt", 2, date(2020, 5, 1), ""],
]  # fmt: skip
HOUSEHOLD_ROWS = [
    ["07/QĐ-HND-BP", "", "Lê Thị Hồng", "070190000001", "Ấp 3, Tân Phú", "0271380011", "x", None],
    ["07/QĐ-HND-BP", "", "Phạm Văn Tài", "070190000002", "Ấp 3, Tân Phú", "0271380012", "x", None],
]
# contract, borrower, household, product code, amount, term (months), days before the cut-over
LOANS_GIVEN = [
    ("BP-HĐ-2025/011", "3800100001", "", "TB-TH", Decimal(800_000_000), 36, 20),
    ("BP-HĐ-2025/012", "3800100001", "", "VLD-NH", Decimal(200_000_000), 12, 12),
    ("BP-HĐ-2025/013", "07/QĐ-HND-BP", "070190000001", "HTND-TO", Decimal(40_000_000), 24, 15),
    ("BP-HĐ-2025/013", "07/QĐ-HND-BP", "070190000002", "HTND-TO", Decimal(30_000_000), 24, 15),
]
METHODS = {"equal_principal": "Dư nợ giảm dần", "annuity": "Trả góp đều", "bullet": "Gốc cuối kỳ"}


def example_workbook(fund: Fund) -> io.BytesIO | None:
    """The example, as a file to read, for merging on `fund`'s business date; None for a fund
    without the demo's products."""
    newest = _products()
    if newest is None:
        return None
    cut_over = fund.business_date
    loans, gl, provisioned = [], defaultdict(Decimal), defaultdict(Decimal)
    for contract, borrower, household, code, amount, term, days in LOANS_GIVEN:
        product = newest[code]
        paid_out = cut_over - timedelta(days=days)
        accrued = round_vnd(amount * product.annual_rate * days / 365)
        accounts = accounting.gl_map(product)
        gl[accounts.principal] += amount
        gl[accounts.interest_receivable] += accrued
        provisioned[(contract, accounts.general_provision)] += amount
        loans.append(_loan_row(contract, borrower, household, product, paid_out, amount, term, accrued))
    for (contract, account), outstanding in provisioned.items():
        rate = newest[next(g[3] for g in LOANS_GIVEN if g[0] == contract)].general_provision_rate
        gl[account] -= general_provision(outstanding, 1, rate)
    gl[BANK[0]] += BANK[1]
    accounts = [[code, b, None] if b > 0 else [code, None, -b] for code, b in sorted(gl.items())]
    rows = {BORROWERS: BORROWER_ROWS, HOUSEHOLDS: HOUSEHOLD_ROWS, LOANS: loans, ACCOUNTS: accounts}
    return example_bytes(rows, products())


def has_example() -> bool:
    return _products() is not None


def _products() -> dict[str, LoanProduct] | None:
    """The newest version of each product the example lends on, or None if one is missing."""
    codes = {given[3] for given in LOANS_GIVEN}
    newest = {p.code: p for p in LoanProduct.objects.filter(code__in=codes).order_by("version")}
    return newest if set(newest) == codes else None


def _loan_row(contract, borrower, household, product, paid_out: date, amount, term, accrued) -> list:
    return [
        contract, borrower, household, product.code, paid_out, paid_out, amount,
        product.annual_rate * 100, METHODS[product.amortization], term,
        amount, 0, accrued, 0, 0, 0, None, 1, 0, 0, 0, "", 0,
    ]  # fmt: skip
