"""The appraiser's pages: the queue, and the appraisal with a form per section."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appraisal import services
from appraisal.forms import (
    CashFlowForm,
    CollateralForm,
    CompleteForm,
    DossierForm,
    GridForm,
    RatingsForm,
    RecommendationForm,
    SiteVisitForm,
    StatementsForm,
    run_on_grid,
)
from appraisal.selectors import active_criteria, appraisal_figures, appraisal_queue, appraisal_rules
from appraisal.services.appraising import completion_errors
from appraisal.views.common import errors_as_messages, loan_and_appraisal
from common.forms import run_service
from common.paging import numbered
from common.views import run_action, submit_form
from loans.models import Collateral, LoanStatus
from loans.selectors.access import get_loan_for
from loans.views.applications import run_transition


@login_required
@permission_required("loans.appraise_loan", raise_exception=True)
def queue(request):
    queue = appraisal_queue(request.user)
    # Three lists on one screen, each paged by a parameter of its own.
    pages = {
        name: numbered(request, getattr(queue, name), param=name) for name in ("mine", "waiting", "others")
    }
    return render(request, "appraisal/queue.html", pages)


@login_required
@require_POST
def start(request, pk: int):
    loan = get_loan_for(request.user, pk)
    if not run_transition(request, loan, services.start_appraisal):
        return redirect("appraisal:queue")
    messages.success(request, _("You are appraising %(ref)s.") % {"ref": loan.reference})
    return redirect("appraisal:appraisal", pk=loan.pk)


def _plan_years(appraisal, figures) -> int:
    """Rows for the cash flow: every loan year of the term in view, and every year already given."""
    term = appraisal.recommended_term_months if appraisal.recommends_approval else appraisal.loan.term_months
    given = max((year.year for year in figures.coverage if year.net is not None), default=0)
    return max(-(-term // 12), given)


def _forms(loan, appraisal, figures) -> dict:
    rules = figures.rules
    return {
        "dossier": DossierForm(initial={"notes": appraisal.dossier_notes}),
        "statements": StatementsForm(
            years=rules.statement_years, statements=[line.statement for line in figures.statements]
        ),
        "cash_flow": CashFlowForm(years=_plan_years(appraisal, figures), cash_flow=appraisal.cash_flow.all()),
        "collateral": CollateralForm(),
        "site_visit": SiteVisitForm.for_appraisal(appraisal),
        "score": RatingsForm(
            criteria=active_criteria(), scale=rules.rating_scale, ratings=appraisal.ratings.all()
        ),
        "recommendation": RecommendationForm.for_appraisal(appraisal),
        "complete": CompleteForm(initial={"expected_status": loan.status}),
    }


def _page(request, loan, appraisal, *, bound: dict | None = None):
    user = request.user
    figures = appraisal_figures(appraisal)
    editable = (
        loan.status == LoanStatus.APPRAISING
        and appraisal.appraiser_id == user.pk
        and user.has_perm("loans.appraise_loan")
    )
    forms = {**_forms(loan, appraisal, figures), **(bound or {})} if editable else {}
    for name, form in forms.items():
        # Sections share field names (the dossier's and the site visit's notes): ids of their own,
        # so that each label names its own field.
        form.auto_id = f"{name}-%s"
    if not editable:
        errors_as_messages(request, (bound or {}).values())
    context = {
        "loan": loan,
        "appraisal": appraisal,
        "figures": figures,
        "editable": editable,
        "forms": forms,
        "to_do": completion_errors(figures) if editable else {},
    }
    if editable:
        # The cash-flow grid shows each year's computed figures beside its inputs.
        computed = {row.year: row for row in figures.coverage}
        context["cash_flow_rows"] = [
            (year, inflow, outflow, computed.get(year))
            for year, inflow, outflow in forms["cash_flow"].lines()
        ]
    return render(request, "appraisal/appraisal.html", context)


@login_required
def appraisal_page(request, pk: int):
    loan, appraisal = loan_and_appraisal(request.user, pk)
    return _page(request, loan, appraisal)


def _section(name: str, make_form, save):
    """The view that saves one section: back to it when done, or the page again with the form's
    errors. `make_form(loan, appraisal, data)` binds the form, `save(actor, loan, form)` saves it."""

    @login_required
    @require_POST
    def view(request, pk: int):
        loan, appraisal = loan_and_appraisal(request.user, pk)
        form = make_form(loan, appraisal, request.POST)
        run = run_on_grid if isinstance(form, GridForm) else run_service
        if form.is_valid() and run(form, lambda: save(request.user, loan, form)) is not None:
            messages.success(request, _("Saved."))
            return redirect(reverse("appraisal:appraisal", args=[loan.pk]) + f"#{name}")
        return _page(request, loan, appraisal, bound={name: form})

    return view


dossier = _section(
    "dossier",
    lambda loan, appraisal, data: DossierForm(data),
    lambda actor, loan, form: services.save_dossier_review(
        actor=actor, loan=loan, notes=form.cleaned_data["notes"]
    ),
)
statements = _section(
    "statements",
    lambda loan, appraisal, data: StatementsForm(data, years=appraisal_rules().statement_years),
    lambda actor, loan, form: services.save_financial_statements(
        actor=actor, loan=loan, statements=form.figures()
    ),
)
cash_flow = _section(
    "cash_flow",
    lambda loan, appraisal, data: CashFlowForm(
        data, years=_plan_years(appraisal, appraisal_figures(appraisal))
    ),
    lambda actor, loan, form: services.save_cash_flow(actor=actor, loan=loan, years=form.figures()),
)
site_visit = _section(
    "site_visit",
    lambda loan, appraisal, data: SiteVisitForm(data),
    lambda actor, loan, form: services.record_site_visit(actor=actor, loan=loan, **form.cleaned_data),
)
score = _section(
    "score",
    lambda loan, appraisal, data: RatingsForm(
        data, criteria=active_criteria(), scale=appraisal_rules().rating_scale
    ),
    lambda actor, loan, form: services.save_ratings(actor=actor, loan=loan, ratings=form.ratings()),
)
recommendation = _section(
    "recommendation",
    lambda loan, appraisal, data: RecommendationForm(data),
    lambda actor, loan, form: services.save_recommendation(
        actor=actor, loan=loan, recommendation=form.recommendation()
    ),
)
collateral_add = _section(
    "collateral",
    lambda loan, appraisal, data: CollateralForm(data),
    lambda actor, loan, form: services.add_collateral(actor=actor, loan=loan, item=form.terms()),
)


def _collateral_item(loan, item_pk: int) -> Collateral:
    return get_object_or_404(Collateral, pk=item_pk, loan=loan)


@login_required
def collateral_edit(request, pk: int, item: int):
    loan, appraisal = loan_and_appraisal(request.user, pk)
    collateral = _collateral_item(loan, item)
    form = CollateralForm.for_item(collateral, request.POST or None)
    return submit_form(
        request,
        form,
        lambda: services.update_collateral(actor=request.user, collateral=collateral, item=form.terms()),
        lambda saved: (_("Saved."), reverse("appraisal:appraisal", args=[loan.pk]) + "#collateral"),
    ) or render(
        request, "appraisal/collateral_form.html", {"loan": loan, "collateral": collateral, "form": form}
    )


@login_required
@require_POST
def collateral_remove(request, pk: int, item: int):
    loan, appraisal = loan_and_appraisal(request.user, pk)
    collateral = _collateral_item(loan, item)
    if run_action(request, lambda: services.remove_collateral(actor=request.user, collateral=collateral)):
        messages.success(request, _("Collateral item removed."))
    return redirect(reverse("appraisal:appraisal", args=[loan.pk]) + "#collateral")


@login_required
@require_POST
def complete(request, pk: int):
    loan, appraisal = loan_and_appraisal(request.user, pk)
    form = CompleteForm(request.POST)
    if form.is_valid():
        done = run_service(
            form,
            lambda: services.complete_appraisal(
                actor=request.user,
                loan=loan,
                expected_status=form.cleaned_data["expected_status"],
                note=form.cleaned_data["note"],
            ),
        )
        if done is not None:
            messages.success(request, _("Appraisal completed; the application waits for a decision."))
            return redirect("appraisal:queue")
    return _page(request, loan, appraisal, bound={"complete": form})
