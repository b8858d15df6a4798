"""The workbook a fund fills in to bring its portfolio in, and its reading into typed rows.

Six sheets: instructions and allowed values; borrowers and the households of borrowing groups
(the columns of the borrower imports, `fund.imports`); loans as at the cut-over date, one row
per loan (per household's share for a household group's loan: one row per share, the same
contract number); loans written off and still pursued off-balance (0041 / 0042), one row per
loan; and the GL opening balances. Every cell is converted and every problem kept
with its sheet, row and column (`SheetError`), so that one reading tells the fund all it must
fix. Pure reading: nothing here touches the database but the product codes for the dropdown.
"""

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from common.money import MAX_AMOUNT, format_vnd
from common.xlsx import (
    CellError,
    Column,
    InputColumn,
    Sheet,
    read_sheets,
    with_dropdowns,
    workbook_bytes,
    write_workbook,
)
from fund.imports import YES_NO, borrower_columns, dropdowns, household_columns
from fund.models import Amortization, Borrower
from fund.selectors import offered_products

BORROWERS, HOUSEHOLDS, LOANS, WRITTEN_OFF, ACCOUNTS, VALUES = (
    "Người vay",
    "Hộ thành viên",
    "Khoản vay",
    "Nợ đã xử lý rủi ro",
    "Số dư TK",
    "Danh mục",
)
# What a workbook may unpack to, for each byte it weighs (openpyxl holds its shared strings).
UNPACKED_PER_BYTE = 20

_METHODS = {
    "dư nợ giảm dần": Amortization.EQUAL_PRINCIPAL,
    "gốc đều": Amortization.EQUAL_PRINCIPAL,
    "equal principal": Amortization.EQUAL_PRINCIPAL,
    "niên kim": Amortization.ANNUITY,
    "trả góp đều": Amortization.ANNUITY,
    "equal installments": Amortization.ANNUITY,
    "gốc cuối kỳ": Amortization.BULLET,
    "bullet": Amortization.BULLET,
}
METHOD_NAMES = ["Dư nợ giảm dần", "Trả góp đều", "Gốc cuối kỳ"]
MONEY = "money"
TERM_MONTHS_MAX = 600  # as the application form's: a bound, not a rule


def _column(key: str, vietnamese: str, english: str, kind: str = "text", required: bool = True, **kw):
    return InputColumn(key, [vietnamese, english], kind=kind, required=required, **kw)


LOAN_COLUMNS = [
    _column("contract", "Số hợp đồng", "Contract number"),
    _column("borrower", "Số đăng ký hoặc mã số thuế người vay", "Borrower's registration number or tax code"),
    _column("household", "Số CCCD chủ hộ", "Household ID number", required=False),
    _column("product", "Mã sản phẩm", "Product code"),
    _column("signed_on", "Ngày hợp đồng", "Contract date", "date"),
    _column("disbursed_on", "Ngày giải ngân", "Disbursed on", "date"),
    _column("lent", "Số tiền đã giải ngân", "Amount disbursed", MONEY),
    _column("rate", "Lãi suất %/năm", "Rate % per year", "decimal"),
    _column("method", "Phương thức trả nợ", "Repayment method", choices=_METHODS),
    _column("term_months", "Thời hạn (tháng)", "Term (months)", "integer"),
    _column("principal_in_term", "Dư nợ gốc trong hạn", "Principal in term", MONEY),
    _column("principal_overdue", "Dư nợ gốc quá hạn", "Principal overdue", MONEY),
    _column("interest_accrued", "Lãi dự thu", "Interest accrued", MONEY),
    _column("interest_overdue", "Lãi quá hạn", "Overdue interest", MONEY),
    _column("late_interest", "Lãi chậm trả", "Late interest", MONEY),
    _column("penalty", "Lãi trên lãi chưa trả", "Interest on unpaid interest", MONEY, required=False),
    _column(
        "oldest_unpaid", "Ngày đến hạn chưa trả sớm nhất", "Oldest unpaid due date", "date", required=False
    ),
    _column("old_group", "Nhóm nợ (sổ cũ)", "Debt group (old books)", "integer"),
    _column("specific_provision", "Dự phòng cụ thể đã trích", "Specific provision booked", MONEY),
    _column("suspended_interest", "Lãi treo ngoại bảng", "Suspended interest", MONEY, required=False),
    _column("collateral_value", "Giá trị tài sản bảo đảm", "Collateral value", MONEY, required=False),
    _column("restructured", "Đã cơ cấu lại", "Restructured", required=False, choices=YES_NO),
    _column("restructure_count", "Số lần cơ cấu", "Times restructured", "integer", required=False),
]
# A written-off loan: what it was (its contract, for the loan page and a recovery's receipt) and
# what is still pursued off-balance; the rest of its history stays in the old books.
WRITTEN_OFF_COLUMNS = [
    *(c for c in LOAN_COLUMNS if c.key in ("contract", "borrower", "product", "signed_on", "lent", "rate")),
    next(c for c in LOAN_COLUMNS if c.key == "term_months"),
    _column("written_off_on", "Ngày xử lý rủi ro", "Written off on", "date"),
    _column("principal", "Gốc đã xử lý còn theo dõi (0041)", "Principal written off, pursued (0041)", MONEY),
    _column("interest", "Lãi đã xử lý còn theo dõi (0042)", "Interest written off, pursued (0042)", MONEY),
    _column("tracked_until", "Theo dõi ngoại bảng đến ngày", "Tracked until", "date", required=False),
]
ACCOUNT_COLUMNS = [
    _column("code", "Số hiệu tài khoản", "Account"),
    _column("debit", "Dư Nợ", "Debit", MONEY, required=False),
    _column("credit", "Dư Có", "Credit", MONEY, required=False),
]
_OPTIONAL_ZERO = ("penalty", "suspended_interest", "collateral_value", "restructure_count")


@dataclass(frozen=True)
class Limits:
    """How large a workbook is read: the page's (the accountant waits for its dry run) or the
    command's (a province's portfolio)."""

    max_bytes: int
    max_rows: int  # per sheet

    @classmethod
    def page(cls) -> "Limits":
        return cls(settings.PORTFOLIO_PAGE_MAX_BYTES, settings.PORTFOLIO_PAGE_MAX_ROWS)

    @classmethod
    def command(cls) -> "Limits":
        return cls(settings.PORTFOLIO_MAX_BYTES, settings.PORTFOLIO_MAX_ROWS)


@dataclass(frozen=True)
class SheetError:
    """A problem with a cell of a sheet; with no sheet (and row 0), with the whole file."""

    sheet: str
    error: CellError

    @classmethod
    def of_file(cls, message: str) -> "SheetError":
        return cls("", CellError(0, "", message))

    def __str__(self) -> str:
        if not self.sheet:
            return str(self.error)
        return _("Sheet “%(sheet)s”: %(error)s") % {"sheet": self.sheet, "error": self.error}

    def as_data(self) -> dict:
        row, column, message = self.error.row, str(self.error.column), str(self.error.message)
        return {"sheet": self.sheet, "row": row, "column": column, "message": message}

    @classmethod
    def from_data(cls, data: dict) -> "SheetError":
        return cls(data["sheet"], CellError(data["row"], data["column"], data["message"]))


@dataclass(frozen=True)
class LoanRow:
    """A loan (or a household's share of a group's loan) as at the cut-over date."""

    row: int
    contract: str
    borrower: str
    household: str
    product: str
    signed_on: date
    disbursed_on: date
    lent: Decimal
    rate: Decimal  # per year, 0.066 for 6.6 %
    method: str
    term_months: int
    principal_in_term: Decimal
    principal_overdue: Decimal
    interest_accrued: Decimal
    interest_overdue: Decimal
    late_interest: Decimal
    penalty: Decimal
    oldest_unpaid: date | None
    old_group: int
    specific_provision: Decimal
    suspended_interest: Decimal
    collateral_value: Decimal
    restructured: bool
    restructure_count: int

    @property
    def outstanding(self) -> Decimal:
        return self.principal_in_term + self.principal_overdue


@dataclass(frozen=True)
class WrittenOffRow:
    """A loan written off in the old books and still pursued off-balance."""

    row: int
    contract: str
    borrower: str
    product: str
    signed_on: date
    lent: Decimal
    rate: Decimal  # per year, 0.066 for 6.6 %
    term_months: int
    written_off_on: date
    principal: Decimal
    interest: Decimal
    tracked_until: date | None  # None: the fund's tracking period from the write-off


@dataclass(frozen=True)
class AccountRow:
    row: int
    code: str
    balance: Decimal  # debit positive, credit negative


@dataclass
class Portfolio:
    borrowers: list[tuple[int, dict]] = field(default_factory=list)
    households: list[tuple[int, dict]] = field(default_factory=list)
    loans: list[LoanRow] = field(default_factory=list)
    written_off: list[WrittenOffRow] = field(default_factory=list)
    accounts: list[AccountRow] = field(default_factory=list)
    errors: list[SheetError] = field(default_factory=list)

    def refuse(self, sheet: str, row: int, column: str, message: str) -> None:
        self.errors.append(SheetError(sheet, CellError(row, column, message)))


def read_portfolio(file, limits: Limits | None = None) -> Portfolio:
    """Every sheet of a filled workbook converted into typed rows, and every problem found;
    a file over `limits` (the command's by default) is refused before a row is read."""
    limits = limits or Limits.command()
    portfolio = Portfolio()
    # A fund whose borrowers are all registered, or that wrote nothing off, leaves them empty.
    optional = {BORROWERS, HOUSEHOLDS, WRITTEN_OFF}
    file.seek(0)
    tables = read_sheets(
        file,
        {
            BORROWERS: borrower_columns(),
            HOUSEHOLDS: household_columns(),
            LOANS: LOAN_COLUMNS,
            WRITTEN_OFF: WRITTEN_OFF_COLUMNS,
            ACCOUNTS: ACCOUNT_COLUMNS,
        },
        max_rows=limits.max_rows,
        max_bytes=limits.max_bytes,
        max_unpacked=limits.max_bytes * UNPACKED_PER_BYTE,
    )
    for title, table in tables.items():
        errors = table.errors
        if title in optional and len(errors) == 1 and errors[0].column == _("rows") and not table.rows:
            errors = []  # headers and no rows
        for error in errors:
            if error.row or error.column != _("file"):
                portfolio.errors.append(SheetError(title, error))
            elif SheetError.of_file(error.message) not in portfolio.errors:  # once, not per sheet
                portfolio.errors.append(SheetError.of_file(error.message))
    unreadable = {(error.sheet, error.error.row) for error in portfolio.errors}
    portfolio.borrowers = [(n, v) for n, v in tables[BORROWERS].rows if (BORROWERS, n) not in unreadable]
    portfolio.households = [(n, v) for n, v in tables[HOUSEHOLDS].rows if (HOUSEHOLDS, n) not in unreadable]
    for number, values in tables[LOANS].rows:
        if (LOANS, number) not in unreadable:
            _loan_row(portfolio, number, values)
    for number, values in tables[WRITTEN_OFF].rows:
        if (WRITTEN_OFF, number) not in unreadable:
            _written_off_row(portfolio, number, values)
    for number, values in tables[ACCOUNTS].rows:
        if (ACCOUNTS, number) not in unreadable:
            _account_row(portfolio, number, values)
    portfolio.errors.sort(key=lambda error: (error.sheet, error.error.row))
    return portfolio


def _label(key: str, columns=LOAN_COLUMNS) -> str:
    return next(column.label for column in columns if column.key == key)


def _terms_problems(values: dict) -> list[tuple[str, str]]:
    """What is wrong with a row's contract terms (loans and written-off loans alike)."""
    problems = []
    if values["lent"] <= 0:
        problems.append(("lent", _("Must be more than zero.")))
    if not Decimal(0) < values["rate"] <= Decimal(100):
        problems.append(("rate", _("Give the rate in percent per year, e.g. 6,6.")))
    if values["term_months"] < 1:
        problems.append(("term_months", _("Must be at least one month.")))
    elif values["term_months"] > TERM_MONTHS_MAX:
        problems.append(("term_months", _("A term is 1 to %(max)s months.") % {"max": TERM_MONTHS_MAX}))
    return problems


def _too_large(values: dict, columns) -> list[tuple[str, str]]:
    """The row's amounts beyond what a money column stores: the replay and the books would fail
    on them (the other imports' services refuse such an amount themselves)."""
    message = _("An amount is at most %(limit)s đồng.") % {"limit": format_vnd(MAX_AMOUNT, with_unit=False)}
    return [
        (column.key, message)
        for column in columns
        if column.kind == MONEY and abs(values.get(column.key) or 0) > MAX_AMOUNT
    ]


def _loan_row(portfolio: Portfolio, number: int, values: dict) -> None:
    values = values | {key: values.get(key) or 0 for key in _OPTIONAL_ZERO}
    values["penalty"] = Decimal(values["penalty"])
    values["suspended_interest"] = Decimal(values["suspended_interest"])
    values["collateral_value"] = Decimal(values["collateral_value"])
    values["restructured"] = bool(values.get("restructured"))
    values["household"] = values.get("household") or ""
    problems = _terms_problems(values) + _too_large(values, LOAN_COLUMNS)
    for column in LOAN_COLUMNS:
        if column.kind == MONEY and values[column.key] < 0:
            problems.append((column.key, _("Cannot be negative.")))
    if not 1 <= values["old_group"] <= 5:
        problems.append(("old_group", _("A debt group is 1 to 5.")))
    if values["restructure_count"] < 0:
        problems.append(("restructure_count", _("Cannot be negative.")))
    if values["disbursed_on"] < values["signed_on"]:
        problems.append(("disbursed_on", _("The disbursement cannot come before the contract.")))
    outstanding = values["principal_in_term"] + values["principal_overdue"]
    if outstanding <= 0:
        problems.append(("principal_in_term", _("A loan brought in owes some principal.")))
    elif outstanding > values["lent"]:
        problems.append(("principal_in_term", _("The principal outstanding is more than was disbursed.")))
    overdue = (
        values["principal_overdue"] + values["interest_overdue"] + values["late_interest"] + values["penalty"]
    )
    if values["oldest_unpaid"] is None and overdue:
        problems.append(("oldest_unpaid", _("Something is overdue: give the oldest unpaid due date.")))
    if values["oldest_unpaid"] is not None and not values["principal_overdue"] + values["interest_overdue"]:
        problems.append(("oldest_unpaid", _("Nothing is overdue: leave the oldest unpaid due date empty.")))
    if values["interest_accrued"] and not values["principal_in_term"]:
        problems.append(("interest_accrued", _("Interest accrues on principal in term only; there is none.")))
    for key, message in problems:
        portfolio.refuse(LOANS, number, _label(key), message)
    if not problems:
        values["rate"] = values["rate"] / 100
        portfolio.loans.append(LoanRow(row=number, **values))


def _written_off_row(portfolio: Portfolio, number: int, values: dict) -> None:
    values = values | {"tracked_until": values.get("tracked_until")}
    problems = _terms_problems(values) + _too_large(values, WRITTEN_OFF_COLUMNS)
    for key in ("principal", "interest"):
        if values[key] < 0:
            problems.append((key, _("Cannot be negative.")))
    if values["principal"] + values["interest"] <= 0:
        problems.append(("principal", _("A written-off loan brought in is still owed something.")))
    elif values["principal"] > values["lent"]:
        problems.append(("principal", _("The principal written off is more than was disbursed.")))
    if values["written_off_on"] < values["signed_on"]:
        problems.append(("written_off_on", _("The write-off cannot come before the contract.")))
    if values["tracked_until"] is not None and values["tracked_until"] <= values["written_off_on"]:
        problems.append(("tracked_until", _("The tracking ends after the write-off.")))
    for key, message in problems:
        portfolio.refuse(WRITTEN_OFF, number, _label(key, WRITTEN_OFF_COLUMNS), message)
    if not problems:
        values["rate"] = values["rate"] / 100
        portfolio.written_off.append(WrittenOffRow(row=number, **values))


def _account_row(portfolio: Portfolio, number: int, values: dict) -> None:
    debit, credit = values.get("debit") or Decimal(0), values.get("credit") or Decimal(0)
    if (debit > 0) == (credit > 0) or debit < 0 or credit < 0:
        label = ACCOUNT_COLUMNS[1].label
        portfolio.refuse(ACCOUNTS, number, label, _("Give a debit or a credit balance, more than zero."))
        return
    problems = _too_large(values, ACCOUNT_COLUMNS)
    for key, message in problems:
        portfolio.refuse(ACCOUNTS, number, _label(key, ACCOUNT_COLUMNS), message)
    if problems:
        return
    portfolio.accounts.append(AccountRow(number, values["code"], debit - credit))


# --- the template ------------------------------------------------------------------------


def template_bytes(products: list[tuple[str, str]], example: dict[str, list] | None = None) -> bytes:
    """The workbook to fill in: a sheet of instructions with the allowed values (`products`:
    each code and name), the four data sheets with their headers (and `example`'s rows, by
    sheet title), dropdowns for every closed list: the borrower type and sector, yes or no, the
    product and the repayment method."""
    content = workbook_bytes(*_sheets(products, example or {}))
    types = [str(label) for label in Borrower.Type.labels]
    last = len(_allowed(products, types)) + 1
    loans = [column.key for column in LOAN_COLUMNS]
    lists = {
        BORROWERS: dropdowns(borrower_columns()),
        HOUSEHOLDS: dropdowns(household_columns()),
        LOANS: {
            loans.index("product"): f"'{VALUES}'!$A$2:$A${last}",
            loans.index("method"): f"'{VALUES}'!$D$2:$D${len(METHOD_NAMES) + 1}",
            loans.index("restructured"): [_("yes"), _("no")],
        },
        WRITTEN_OFF: {[c.key for c in WRITTEN_OFF_COLUMNS].index("product"): f"'{VALUES}'!$A$2:$A${last}"},
    }
    return with_dropdowns(content, lists, rows=min(settings.IMPORT_MAX_ROWS, 1000))


def write_filled(target, products: list[tuple[str, str]], rows: dict[str, list]) -> None:
    """A filled workbook streamed into `target` (a path or a binary file), without the
    dropdowns: a province's portfolio is too large to load back to add them."""
    write_workbook(target, *_sheets(products, rows))


def _allowed(products: list[tuple[str, str]], types: list[str]) -> list[tuple[str, str]]:
    return list(products) + [("", "")] * max(0, max(len(types), 3) - len(products))


def _sheets(products: list[tuple[str, str]], example: dict[str, list]) -> list[Sheet]:
    types = [str(label) for label in Borrower.Type.labels]
    allowed = _allowed(products, types)
    values = Sheet(
        title=VALUES,
        columns=[
            Column(_("Product code"), width=16),
            Column(_("Product"), width=40),
            Column(_("Borrower type"), width=40),
            Column(_("Repayment method"), width=24),
        ],
        rows=[
            (code, name, types[i] if i < len(types) else "", METHOD_NAMES[i] if i < len(METHOD_NAMES) else "")
            for i, (code, name) in enumerate(allowed)
        ],
    )
    instructions = Sheet(
        title=_("Instructions"),
        columns=[Column(_("Sheet"), width=20), Column(_("What to enter"), width=110)],
        rows=[
            (BORROWERS, _("Borrowers not registered yet, one per row (as the borrower import).")),
            (HOUSEHOLDS, _("The households of household borrowing groups, one per row.")),
            (
                LOANS,
                _(
                    "Each loan as at the cut-over date, one row per loan; a household group's loan one "
                    "row per household, with the same contract number. Amounts in whole đồng; the rate "
                    "in percent per year; the oldest unpaid due date only when something is overdue."
                ),
            ),
            (
                WRITTEN_OFF,
                _(
                    "Loans written off and still pursued, one row per loan: what is still tracked "
                    "off-balance, principal (0041) and interest (0042), and until when (empty: the "
                    "fund's tracking period from the write-off). They come in written off."
                ),
            ),
            (
                ACCOUNTS,
                _(
                    "The general ledger's balances at the cut-over date, one row per account (its "
                    "debit or its credit balance). The loans' accounts must total what the loans "
                    "sheet gives, or nothing is brought in."
                ),
            ),
            (VALUES, _("The allowed product codes, borrower types and repayment methods.")),
        ],
        preamble=[_("Bringing a fund's portfolio in"), _("Any bad row stops the whole import.")],
    )

    def data(title, columns, key):
        return Sheet(
            title=title, columns=[Column(c.label, _kind(c)) for c in columns], rows=example.get(key, [])
        )

    return [
        instructions,
        data(BORROWERS, borrower_columns(), BORROWERS),
        data(HOUSEHOLDS, household_columns(), HOUSEHOLDS),
        data(LOANS, LOAN_COLUMNS, LOANS),
        data(WRITTEN_OFF, WRITTEN_OFF_COLUMNS, WRITTEN_OFF),
        data(ACCOUNTS, ACCOUNT_COLUMNS, ACCOUNTS),
        values,
    ]


def products() -> list[tuple[str, str]]:
    """The codes and names of the products offered, for the template's dropdown."""
    return sorted({(p.code, p.name) for p in offered_products()})


def _kind(column: InputColumn) -> str:
    return {"money": "money", "date": "date", "integer": "integer", "decimal": "decimal"}.get(
        column.kind, "text"
    )


def example_bytes(rows: dict[str, list], products: list[tuple[str, str]]) -> io.BytesIO:
    """A filled workbook, as a file to read (the demo's and the tests')."""
    return io.BytesIO(template_bytes(products, rows))
