"""The merger report for the board: what a committed portfolio import brought in.

Per control account the cut-over report's three figures (the spreadsheet's, the loans' as
booked, the GL opening balance), and the borrowers and loans brought in — how many, and the
principal they owed at the cut-over — by product, debt group and district. The figures are the
import's own: each loan's opening sub-ledger row on the import's entry (its principal on the
books at the cut-over, nothing for a loan brought in written off) and its debt group (the one it
came in with until close of day moves it).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.money import ZERO
from loans.models import LoanStatus, LoanTransaction, PortfolioImport
from loans.selectors.cut_over import ControlLine, CutOverReport

DIMENSIONS = [
    ("product", gettext_lazy("Product")),
    ("group", gettext_lazy("Debt group")),
    ("district", gettext_lazy("District")),
]


@dataclass
class Line:
    label: str
    borrowers: set = field(default_factory=set)
    loans: int = 0
    outstanding: Decimal = ZERO


@dataclass
class MergerReport:
    batch: PortfolioImport
    report: CutOverReport
    controls: list[ControlLine]
    total: Line
    by: dict[str, list[Line]]  # DIMENSIONS' names to their lines, the largest outstanding first


def merger_report(batch: PortfolioImport) -> MergerReport:
    """The board's report of a committed import (an undone one's too: what it had brought in)."""
    report = CutOverReport.from_data(batch.report)
    rows = LoanTransaction.objects.filter(
        journal_entry_id=batch.journal_entry_id, kind=LoanTransaction.Kind.OPENING
    ).values_list(
        "loan__borrower_id",
        "principal",
        "loan__product__name",
        "loan__status",
        "loan__debt_group",
        "loan__borrower__district",
        "loan__borrower__province",
    )
    total = Line(_("Total"))
    lines: dict[str, dict[str, Line]] = {name: {} for name, _title in DIMENSIONS}
    for borrower, principal, product, status, group, district, province in rows:
        labels = {
            "product": product,
            "group": LoanStatus.WRITTEN_OFF.label if status == LoanStatus.WRITTEN_OFF else group,
            "district": f"{district}, {province}",
        }
        for name, label in labels.items():
            lines[name].setdefault(str(label), Line(str(label)))
        for line in [total, *(lines[name][str(label)] for name, label in labels.items())]:
            line.borrowers.add(borrower)
            line.loans += 1
            line.outstanding += principal
    by = {
        name: sorted(found.values(), key=lambda line: (-line.outstanding, line.label))
        for name, found in lines.items()
    }
    return MergerReport(batch, report, report.controls, total, by)
