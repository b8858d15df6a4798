"""The appraisal report as an .xlsx workbook: a sheet per section, numbers kept as numbers."""

from django.utils.translation import gettext as _

from appraisal.selectors import Figures
from common.documents import heading, signatures
from common.money import format_percent
from common.names import person_name
from common.xlsx import Column, Sheet, Typed, workbook_bytes


def _summary(figures: Figures) -> Sheet:
    """The report's first page: each item with its value as a number, rate or date in its own
    format (not text), then the appraiser's and the approver's signatures."""
    loan, appraisal = figures.loan, figures.appraisal
    rows = [
        (_("Borrower"), str(loan.borrower)),
        (_("Loan product"), str(loan.product)),
        (_("Purpose"), loan.purpose),
        (_("Amount requested"), Typed(loan.amount.amount, "money")),
        (_("Term requested (months)"), Typed(loan.term_months, "integer")),
        (_("Appraiser"), person_name(appraisal.appraiser)),
        (_("Status"), loan.get_status_display()),
        (_("Score"), _typed(figures.score, "percent")),
        (_("Recommendation"), appraisal.get_recommendation_display() or "—"),
    ]
    if appraisal.recommends_approval:
        rows += [
            (_("Amount recommended"), Typed(appraisal.recommended_amount.amount, "money")),
            (_("Term recommended (months)"), Typed(appraisal.recommended_term_months, "integer")),
            (_("Rate recommended per year"), _typed(appraisal.recommended_rate, "percent")),
            (_("Principal grace (months)"), Typed(appraisal.recommended_grace_months, "integer")),
            (_("Conditions"), appraisal.recommended_conditions),
        ]
    else:
        rows.append((_("Reasons to reject"), appraisal.rejection_reasons))
    rows += [
        (_("Lowest debt-service coverage"), _typed(figures.lowest_coverage, "decimal")),
        (_("Collateral: value the fund may lend against"), Typed(figures.collateral_lending_value, "money")),
        (_("Collateral coverage of the amount"), _typed(figures.collateral_coverage, "percent")),
        (_("Site visit on"), _typed(appraisal.visited_on, "date")),
        (_("Site visit notes"), appraisal.visit_notes),
        (_("Notes on the dossier"), appraisal.dossier_notes),
        (_("The appraiser's opinion"), appraisal.opinion),
    ]
    return Sheet(
        title=_("Summary"),
        columns=[Column(_("Item"), width=44), Column(_("Value"), width=60)],
        rows=rows,
        heading=_heading(figures, _("Appraisal report %(ref)s") % {"ref": loan.reference}),
        signatures=signatures("appraisal"),
    )


def _typed(value, kind: str):
    """A figure in its format, or a dash where there is none yet."""
    return "—" if value is None else Typed(value, kind)


def _heading(figures: Figures, title: str):
    loan = figures.loan
    return heading(title, notes=[f"{loan.reference} · {loan.borrower}"])


def _statements(figures: Figures) -> Sheet:
    return Sheet(
        title=_("Financial statements"),
        heading=_heading(figures, _("Financial statements")),
        columns=[
            Column(_("Year"), "integer"),
            Column(_("Revenue"), "money"),
            Column(_("Costs"), "money"),
            Column(_("Profit after tax"), "money"),
            Column(_("Total assets"), "money"),
            Column(_("Current assets"), "money"),
            Column(_("Total liabilities"), "money"),
            Column(_("Current liabilities"), "money"),
            Column(_("Owners' equity"), "money"),
            Column(_("Debt / equity"), "decimal"),
            Column(_("Current ratio"), "decimal"),
            Column(_("Return on assets"), "percent"),
        ],
        rows=[
            (
                s.year,
                s.revenue,
                s.costs,
                s.profit,
                s.total_assets,
                s.current_assets,
                s.total_liabilities,
                s.current_liabilities,
                s.equity,
                line.ratios.debt_to_equity,
                line.ratios.current_ratio,
                line.ratios.return_on_assets,
            )
            for line in figures.statements
            for s in [line.statement]
        ],
    )


def _cash_flow(figures: Figures) -> Sheet:
    return Sheet(
        title=_("Cash flow"),
        heading=_heading(figures, _("Cash flow")),
        columns=[
            Column(_("Year"), "integer"),
            Column(_("Cash in"), "money", total=True),
            Column(_("Cash out"), "money", total=True),
            Column(_("Net cash flow"), "money", total=True),
            Column(_("Principal due"), "money", total=True),
            Column(_("Interest due"), "money", total=True),
            Column(_("Debt service"), "money", total=True),
            Column(_("Coverage"), "decimal"),
        ],
        rows=[
            (
                year.year,
                year.inflow,
                year.outflow,
                year.net,
                year.debt_service.principal if year.debt_service else None,
                year.debt_service.interest if year.debt_service else None,
                year.debt_service.total if year.debt_service else None,
                year.coverage,
            )
            for year in figures.coverage
        ],
        totals_label=_("Total"),
    )


def _schedule(figures: Figures) -> Sheet:
    return Sheet(
        title=_("Proposed schedule"),
        heading=_heading(figures, _("Proposed schedule")),
        columns=[
            Column(_("No."), "integer"),
            Column(_("Due date"), "date"),
            Column(_("Principal"), "money", total=True),
            Column(_("Interest"), "money", total=True),
            Column(_("Total"), "money", total=True),
            Column(_("Outstanding after"), "money"),
        ],
        rows=[
            (row.number, row.due_date, row.principal, row.interest, row.total, row.closing_principal)
            for row in figures.schedule
        ],
        totals_label=_("Total"),
    )


def _collateral(figures: Figures) -> Sheet:
    return Sheet(
        title=_("Collateral"),
        heading=_heading(figures, _("Collateral")),
        columns=[
            Column(_("Type"), width=20),
            Column(_("Description"), width=50),
            Column(_("Owner")),
            Column(_("Valuation"), "money", total=True),
            Column(_("Valuation date"), "date"),
            Column(_("Loan-to-value limit"), "percent"),
            Column(_("Value the fund may lend against"), "money", total=True),
            Column(_("Value allowed for provisioning"), "money", total=True),
        ],
        rows=[
            (
                item.get_type_display(),
                item.description,
                item.owner,
                item.valuation,
                item.valued_on,
                item.loan_to_value,
                item.lending_value,
                item.provisioning_value,
            )
            for item in figures.collateral
        ],
        totals_label=_("Total"),
    )


def _score(figures: Figures) -> Sheet:
    return Sheet(
        title=_("Score"),
        columns=[
            Column(_("Criterion"), width=45),
            Column(_("Weight"), "decimal"),
            Column(_("Rating"), "integer"),
            Column(_("Out of"), "integer"),
            Column(_("Points"), "decimal"),
            Column(_("Note"), width=50),
        ],
        rows=[
            (
                line.criterion.name,
                line.rating.weight if line.rating else line.criterion.weight,
                line.rating.rating if line.rating else None,
                line.rating.scale if line.rating else None,
                line.points,
                line.rating.note if line.rating else "",
            )
            for line in figures.score_lines
        ],
        heading=_heading(
            figures,
            _("Score: %(score)s")
            % {"score": format_percent(figures.score) if figures.score is not None else _("not rated yet")},
        ),
    )


def _dossier(figures: Figures) -> Sheet:
    return Sheet(
        title=_("Dossier"),
        heading=_heading(figures, _("Dossier")),
        columns=[Column(_("Document"), width=45), Column(_("Received")), Column(_("Files"), width=60)],
        rows=[
            (
                line.document_type.name,
                _("yes") if line.received else _("missing"),
                "; ".join(str(document) for document in line.documents),
            )
            for line in figures.dossier
        ],
    )


def appraisal_workbook(figures: Figures) -> bytes:
    return workbook_bytes(
        _summary(figures),
        _dossier(figures),
        _statements(figures),
        _cash_flow(figures),
        _schedule(figures),
        _collateral(figures),
        _score(figures),
    )
