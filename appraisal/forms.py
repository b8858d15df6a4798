"""Forms of the appraisal pages. They parse what was typed; the services validate and save.

The statements, cash-flow and score forms are grids: the service reports a problem of its
row `n` under `"n.field"`, and `on_cells` turns that into the grid's own field for that cell.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from appraisal.models import Appraisal
from appraisal.models.appraisal import STATEMENT_AMOUNTS, FinancialStatement, Recommendation
from appraisal.services import (
    ApprovalTerms,
    CashFlowFigures,
    CollateralTerms,
    RatingInput,
    RecommendationInput,
    StatementFigures,
)
from common.forms import DATE, PercentField, VNDField, cleaned_input, run_service
from common.money import format_vnd
from common.text import LONG_TEXT_MAX
from loans.forms import ActionForm
from loans.models import Collateral, Loan, LoanStatus

TEXT = forms.Textarea(attrs={"rows": 3})


def run_on_grid(form, call: Callable[[], Any]) -> Any | None:
    """`run_service` for a grid form: row errors land on their cells."""

    def call_with_cells():
        try:
            return call()
        except ValidationError as error:
            raise form.on_cells(error) from None

    return run_service(form, call_with_cells)


class GridForm(forms.Form):
    """A form whose service takes rows: `row_fields[n]` maps row n's field names to the form's."""

    row_fields: list[dict[str, str]]

    def on_cells(self, error: ValidationError) -> ValidationError:
        if not hasattr(error, "error_dict"):
            return error
        mapped: dict[str, list] = {}
        for key, errors in error.error_dict.items():
            row, _dot, name = key.partition(".")
            if row.isdigit() and int(row) < len(self.row_fields):
                key = self.row_fields[int(row)].get(name, "__all__")
            mapped.setdefault(key, []).extend(errors)
        return ValidationError(mapped)


def _name_cell(field: forms.Field, name: str) -> None:
    """A grid's inputs have no label of their own: name each for screen readers."""
    field.widget.attrs["aria-label"] = name


class DossierForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes on the dossier"), required=False, widget=TEXT, max_length=LONG_TEXT_MAX
    )


class StatementsForm(GridForm):
    """Up to `years` statements side by side, a column each; an empty column is ignored."""

    def __init__(self, *args, years: int, statements=(), **kwargs):
        kwargs.setdefault(
            "initial",
            {
                f"{name}_{column}": getattr(statement, name)
                for column, statement in enumerate(statements)
                for name in ("year", *STATEMENT_AMOUNTS)
            },
        )
        super().__init__(*args, **kwargs)
        self.columns = range(years)
        for column in self.columns:
            self.fields[f"year_{column}"] = forms.IntegerField(
                label=_("Year"), required=False, min_value=1900, max_value=2999
            )
            for name in STATEMENT_AMOUNTS:
                label = FinancialStatement._meta.get_field(name).verbose_name
                self.fields[f"{name}_{column}"] = VNDField(label=label, required=False)
            for name in ("year", *STATEMENT_AMOUNTS):
                field = self.fields[f"{name}_{column}"]
                _name_cell(
                    field, _("%(item)s, column %(column)s") % {"item": field.label, "column": column + 1}
                )

    def lines(self):
        """(label, cells): the grid's rows as a page shows them, a cell per year."""
        return [
            (
                FinancialStatement._meta.get_field(name).verbose_name,
                [self[f"{name}_{c}"] for c in self.columns],
            )
            for name in ("year", *STATEMENT_AMOUNTS)
        ]

    def figures(self) -> list[StatementFigures]:
        data = self.cleaned_data
        used = [
            c
            for c in self.columns
            if any(data.get(f"{name}_{c}") is not None for name in ("year", *STATEMENT_AMOUNTS))
        ]
        self.row_fields = [{name: f"{name}_{c}" for name in ("year", *STATEMENT_AMOUNTS)} for c in used]
        return [
            StatementFigures(**{name: data.get(f"{name}_{c}") for name in ("year", *STATEMENT_AMOUNTS)})
            for c in used
        ]


class CashFlowForm(GridForm):
    """Cash in and out for plan years 1 to `years`; a year left empty is not given."""

    def __init__(self, *args, years: int, cash_flow=(), **kwargs):
        kwargs.setdefault(
            "initial",
            {f"{name}_{row.year}": getattr(row, name) for row in cash_flow for name in ("inflow", "outflow")},
        )
        super().__init__(*args, **kwargs)
        self.years = range(1, years + 1)
        for year in self.years:
            self.fields[f"inflow_{year}"] = VNDField(label=_("Cash in"), required=False)
            self.fields[f"outflow_{year}"] = VNDField(label=_("Cash out"), required=False)
            for name in ("inflow", "outflow"):
                field = self.fields[f"{name}_{year}"]
                _name_cell(field, _("%(item)s, year %(year)s") % {"item": field.label, "year": year})

    def lines(self):
        return [(year, self[f"inflow_{year}"], self[f"outflow_{year}"]) for year in self.years]

    def figures(self) -> list[CashFlowFigures]:
        data = self.cleaned_data
        used = [
            y
            for y in self.years
            if data.get(f"inflow_{y}") is not None or data.get(f"outflow_{y}") is not None
        ]
        self.row_fields = [
            {"inflow": f"inflow_{y}", "outflow": f"outflow_{y}", "year": f"inflow_{y}"} for y in used
        ]
        return [
            CashFlowFigures(year=y, inflow=data.get(f"inflow_{y}"), outflow=data.get(f"outflow_{y}"))
            for y in used
        ]


class RatingsForm(GridForm):
    """A rating (0 to the fund's scale, or not yet rated) and a note per criterion."""

    def __init__(self, *args, criteria, scale: int, ratings=(), **kwargs):
        kwargs.setdefault(
            "initial",
            {
                key: value
                for rating in ratings
                for key, value in (
                    (f"rating_{rating.criterion_id}", rating.rating),
                    (f"note_{rating.criterion_id}", rating.note),
                )
            },
        )
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        choices = [("", _("not rated")), *((str(n), str(n)) for n in range(scale + 1))]
        for criterion in self.criteria:
            self.fields[f"rating_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.name, choices=choices, coerce=int, empty_value=None, required=False
            )
            self.fields[f"note_{criterion.pk}"] = forms.CharField(
                label=_("Note"), required=False, max_length=500
            )
            _name_cell(self.fields[f"rating_{criterion.pk}"], criterion.name)
            _name_cell(
                self.fields[f"note_{criterion.pk}"],
                _("Note on %(criterion)s") % {"criterion": criterion.name},
            )
        self.row_fields = [{"rating": f"rating_{c.pk}", "note": f"note_{c.pk}"} for c in self.criteria]

    def lines(self):
        return [(c, self[f"rating_{c.pk}"], self[f"note_{c.pk}"]) for c in self.criteria]

    def ratings(self) -> list[RatingInput]:
        data = self.cleaned_data
        return [
            RatingInput(criterion=c, rating=data.get(f"rating_{c.pk}"), note=data.get(f"note_{c.pk}", ""))
            for c in self.criteria
        ]


class CollateralForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=Collateral.Type.choices)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), max_length=LONG_TEXT_MAX
    )
    owner = forms.CharField(label=_("Owner"), max_length=255)
    valuation = VNDField(label=_("Valuation (đồng)"))
    valued_on = forms.DateField(label=_("Valuation date"), widget=DATE)
    loan_to_value = PercentField(label=_("Loan-to-value limit (%)"), places=2)
    provisioning_value = VNDField(
        label=_("Value allowed for provisioning (đồng)"),
        help_text=_("Deducted from the outstanding balance before the specific provision is computed."),
    )

    @classmethod
    def for_item(cls, item: Collateral, *args, **kwargs):
        # The form's fields are the item's own (a VNDField shows an amount of money as it is).
        return cls(*args, initial={name: getattr(item, name) for name in cls.base_fields}, **kwargs)

    def terms(self) -> CollateralTerms:
        return CollateralTerms(**self.cleaned_data)


class SiteVisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Date of the visit"), widget=DATE)
    participants = forms.CharField(label=_("People met"), required=False, max_length=255)
    notes = forms.CharField(
        label=_("What the visit found"), widget=forms.Textarea(attrs={"rows": 5}), max_length=LONG_TEXT_MAX
    )

    @classmethod
    def for_appraisal(cls, appraisal: Appraisal, *args, **kwargs):
        initial = {
            "visited_on": appraisal.visited_on,
            "participants": appraisal.visit_participants,
            "notes": appraisal.visit_notes,
        }
        return cls(*args, initial=initial, **kwargs)


class RecommendationForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Recommendation"), choices=Recommendation.choices, widget=forms.RadioSelect, required=False
    )
    amount = VNDField(label=_("Amount (đồng)"), required=False)
    term_months = forms.IntegerField(label=_("Term (months)"), required=False, min_value=1, max_value=600)
    annual_rate = PercentField(label=_("Interest rate (% a year)"), required=False)
    grace_months = forms.IntegerField(
        label=_("Principal grace (months)"), required=False, min_value=0, max_value=600, initial=0
    )
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=TEXT, max_length=LONG_TEXT_MAX)
    rejection_reasons = forms.CharField(
        label=_("Reasons to reject"), required=False, widget=TEXT, max_length=LONG_TEXT_MAX
    )
    opinion = forms.CharField(
        label=_("The appraiser's opinion"), required=False, widget=TEXT, max_length=LONG_TEXT_MAX
    )

    @classmethod
    def for_appraisal(cls, appraisal: Appraisal, *args, **kwargs):
        """The saved recommendation, or the application's request at the product's rate."""
        loan = appraisal.loan
        approve = appraisal.recommends_approval
        initial = {
            "decision": appraisal.recommendation,
            "amount": appraisal.recommended_amount.amount if approve else loan.amount.amount,
            "term_months": appraisal.recommended_term_months if approve else loan.term_months,
            "annual_rate": appraisal.recommended_rate if approve else loan.product.annual_rate,
            "grace_months": appraisal.recommended_grace_months,
            "conditions": appraisal.recommended_conditions,
            "rejection_reasons": appraisal.rejection_reasons,
            "opinion": appraisal.opinion,
        }
        return cls(*args, initial=initial, **kwargs)

    def recommendation(self) -> RecommendationInput:
        return cleaned_input(RecommendationInput, self, grace_months=self.cleaned_data["grace_months"] or 0)


class CompleteForm(ActionForm):
    """Completing the appraisal: what is still missing is reported by section."""

    service_error_labels = {
        "dossier": _("Dossier"),
        "site_visit": _("Site visit"),
        "score": _("Score"),
        "recommendation": _("Recommendation"),
        "cash_flow": _("Cash flow"),
        "collateral": _("Collateral"),
    }


class ReasonForm(forms.Form):
    """Reject, or undo an approval: the status the user saw, and the reason (the service requires it)."""

    expected_status = forms.ChoiceField(choices=LoanStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, widget=TEXT, max_length=LONG_TEXT_MAX)


class ApproveForm(forms.Form):
    """The approved terms; a household group's loan also gets each household's share."""

    expected_status = forms.ChoiceField(choices=LoanStatus.choices, widget=forms.HiddenInput)
    amount = VNDField(label=_("Amount approved (đồng)"))
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    annual_rate = PercentField(label=_("Interest rate (% a year)"))
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=TEXT, max_length=LONG_TEXT_MAX)
    note = forms.CharField(
        label=_("Note for the file"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=LONG_TEXT_MAX,
    )

    service_error_labels = {"shares": _("Households' shares")}

    def __init__(self, *args, loan: Loan, appraisal: Appraisal, **kwargs):
        approve = appraisal.recommends_approval
        kwargs.setdefault(
            "initial",
            {
                "expected_status": loan.status,
                "amount": appraisal.recommended_amount.amount if approve else loan.amount.amount,
                "term_months": appraisal.recommended_term_months if approve else loan.term_months,
                "annual_rate": appraisal.recommended_rate if approve else loan.product.annual_rate,
                "conditions": appraisal.recommended_conditions,
                **{f"share_{share.pk}": share.amount.amount for share in loan.member_shares.all()},
            },
        )
        super().__init__(*args, **kwargs)
        self.shares = list(loan.member_shares.select_related("member")) if loan.is_group_loan else []
        for share in self.shares:
            self.fields[f"share_{share.pk}"] = VNDField(
                label=_("%(member)s (asked %(amount)s)")
                % {"member": share.member, "amount": format_vnd(share.amount.amount)},
                required=False,
            )

    def share_fields(self):
        return [self[f"share_{share.pk}"] for share in self.shares]

    def terms(self) -> ApprovalTerms:
        given = {share.pk: self.cleaned_data.get(f"share_{share.pk}") for share in self.shares}
        return cleaned_input(
            ApprovalTerms,
            self,
            # All empty: the requested shares (the service allows that when the amount is unchanged).
            shares=given if any(value is not None for value in given.values()) else None,
        )
