"""The cut-over report a portfolio import keeps (`PortfolioImport.report`): what it brings in and,
per control account, the spreadsheet's figure, the loans' and the GL opening balance. Planning
builds it; the import's pages, the command and the merger report read it back."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from common.money import ZERO


@dataclass
class ControlLine:
    """A control account at the cut-over: the spreadsheet's loans' figure (None where the sheet
    has no column for it), the loans' as brought in, and the GL opening balance, each as
    debit less credit."""

    code: str
    sheet: Decimal | None
    loans: Decimal
    gl: Decimal

    @property
    def difference(self) -> Decimal:
        return self.loans - self.gl


@dataclass
class CutOverReport:
    cut_over: date
    loans: int = 0
    sub_loans: int = 0
    written_off: int = 0  # loans brought in written off, still pursued
    borrowers_new: int = 0
    borrowers_matched: int = 0
    duplicates: list[str] = field(default_factory=list)  # probable duplicates, for review
    renamed: list[str] = field(default_factory=list)  # merger: contract numbers prefixed
    controls: list[ControlLine] = field(default_factory=list)
    to_capital: Decimal = ZERO  # merger: the net assets taken to capital

    def as_data(self) -> dict:
        return {
            "cut_over": self.cut_over.isoformat(),
            "loans": self.loans,
            "sub_loans": self.sub_loans,
            "written_off": self.written_off,
            "borrowers_new": self.borrowers_new,
            "borrowers_matched": self.borrowers_matched,
            "duplicates": self.duplicates,
            "renamed": self.renamed,
            "to_capital": str(self.to_capital),
            "controls": [
                [c.code, None if c.sheet is None else str(c.sheet), str(c.loans), str(c.gl)]
                for c in self.controls
            ],
        }

    @classmethod
    def from_data(cls, data: dict) -> "CutOverReport":
        return cls(
            cut_over=date.fromisoformat(data["cut_over"]),
            loans=data["loans"],
            sub_loans=data["sub_loans"],
            written_off=data.get("written_off", 0),  # an import checked before they came in
            borrowers_new=data["borrowers_new"],
            borrowers_matched=data["borrowers_matched"],
            duplicates=data["duplicates"],
            renamed=data["renamed"],
            to_capital=Decimal(data["to_capital"]),
            controls=[
                ControlLine(code, None if sheet is None else Decimal(sheet), Decimal(loans), Decimal(gl))
                for code, sheet, loans, gl in data["controls"]
            ],
        )
