"""The appraisal report as an .xlsx workbook: a sheet per section, numbers kept as numbers."""

from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from appraisal.selectors import Figures
from common.money import format_percent
from common.xlsx import Column, Sheet, workbook_bytes
from fund.selectors import current_fund


def _summary(figures: Figures) -> Sheet:
    loan, appraisal = figures.loan, figures.appraisal
    rows = [
        (_("Borrower"), None, str(loan.borrower)),
        (_("Loan product"), None, str(loan.product)),
        (_("Purpose"), None, loan.purpose),
        (_("Amount requested"), loan.amount.amount, ""),
        (_("Term requested (months)"), loan.term_months, ""),
        (_("Appraiser"), None, appraisal.appraiser.get_full_name() or appraisal.appraiser.username),
        (_("Status"), None, loan.get_status_display()),
        (_("Score"), None, format_percent(figures.score) if figures.score is not None else "—"),
        (_("Recommendation"), None, appraisal.get_recommendation_display() or "—"),
    ]
    if appraisal.recommends_approval:
        rows += [
            (_("Amount recommended"), appraisal.recommended_amount.amount, ""),
            (_("Term recommended (months)"), appraisal.recommended_term_months, ""),
            (_("Rate recommended per year"), None, format_percent(appraisal.recommended_rate)),
            (_("Principal grace (months)"), appraisal.recommended_grace_months, ""),
            (_("Conditions"), None, appraisal.recommended_conditions),
        ]
    else:
        rows.append((_("Reasons to reject"), None, appraisal.rejection_reasons))
    rows += [
        (_("Lowest debt-service coverage"), None, _ratio_text(figures.lowest_coverage)),
        (_("Collateral: value the fund may lend against"), figures.collateral_lending_value, ""),
        (
            _("Collateral coverage of the amount"),
            None,
            _ratio_text(figures.collateral_coverage, format_percent),
        ),
        (
            _("Site visit on"),
            None,
            date_format(appraisal.visited_on, "d/m/Y") if appraisal.visited_on else "—",
        ),
        (_("Site visit notes"), None, appraisal.visit_notes),
        (_("Notes on the dossier"), None, appraisal.dossier_notes),
        (_("The appraiser's opinion"), None, appraisal.opinion),
    ]
    return Sheet(
        title=_("Summary"),
        columns=[
            Column(_("Item"), width=40),
            Column(_("Amount (đồng)"), "money"),
            Column(_("Value"), width=60),
        ],
        rows=rows,
        preamble=[
            _("Appraisal report %(ref)s") % {"ref": loan.reference},
            current_fund().name,
        ],
    )


def _ratio_text(value, show=lambda value: number_format(value, decimal_pos=2)) -> str:
    return "—" if value is None else show(value)


def _statements(figures: Figures) -> Sheet:
    return Sheet(
        title=_("Financial statements"),
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
        preamble=[
            _("Score: %(score)s")
            % {"score": format_percent(figures.score) if figures.score is not None else _("not rated yet")}
        ],
    )


def _dossier(figures: Figures) -> Sheet:
    return Sheet(
        title=_("Dossier"),
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
