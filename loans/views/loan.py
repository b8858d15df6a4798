"""The loan page: one loan from application to closure, as its viewer may see it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from common.transitions import allowed
from fund.selectors import current_fund, is_coop_user
from loans.domain.engine import Change
from loans.forms import ActionForm, DocumentForm, PayoffQuoteForm
from loans.models import Disbursement, LoanStatus
from loans.replaying import changes_among
from loans.selectors.access import get_loan_for
from loans.selectors.actions import loan_actions
from loans.selectors.balances import stored_position
from loans.selectors.books import loan_books
from loans.selectors.origination import dossier_checklist
from loans.selectors.position import loan_position
from loans.selectors.recoveries import off_balance
from loans.selectors.schedule import group_schedule, schedule_of
from loans.selectors.servicing import left_to_disburse, loan_disbursements, loan_repayments
from loans.selectors.statement import statement
from loans.services.actions import action_kinds
from loans.services.origination.document_requests import ANSWER, REQUEST
from loans.views.document_requests import document_requests_context

# Notes a co-op may read on its own loan's history; the rest are the fund's internal remarks.
NOTES_A_COOP_SEES = {"submit", "withdraw", "reject", REQUEST, ANSWER}
# From approval on, the loan has money to show: a contract, tranches, a schedule, repayments.
WITH_MONEY = {LoanStatus.APPROVED, LoanStatus.ACTIVE, LoanStatus.CLOSED, LoanStatus.WRITTEN_OFF}


@login_required
def loan_detail(request, pk: int):
    user = request.user
    coop = is_coop_user(user)
    # Who created it (the history's first line), who appraised it (the appraisal's summary), and
    # its contract (the money sections and the replay read it).
    loan = get_loan_for(user, pk, coop=coop, related=("created_by", "appraisal__appraiser", "contract"))
    events = [
        (event, not coop or event.transition in NOTES_A_COOP_SEES)
        for event in loan.events.select_related("actor")
    ]
    context = {
        "loan": loan,
        "is_coop": coop,
        # Only a household group's loan is split among households (as `parts_of` takes it).
        "shares": loan.member_shares.select_related("member") if loan.is_group_loan else [],
        "events": events,
        **application_context(user, loan),
    }
    changes = None
    if not coop and user.has_perm("loans.view_loanaction") and loan.status in WITH_MONEY:
        context.update(_actions(user, loan))
        changes = changes_among(context["loan_actions"])  # the replay's, from the list shown
    if loan.status in WITH_MONEY:
        context.update(money_context(request, loan, coop=coop, changes=changes))
    return render(request, "loans/loan_detail.html", context)


def application_context(user, loan) -> dict:
    """The dossier, the requests for documents, and what this user may do with the application
    now (the co-op portal's application page shows the same)."""
    return {
        "dossier": dossier_checklist(loan),
        "action_form": ActionForm(initial={"expected_status": loan.status}),
        "can_edit": loan.status == "draft" and user.has_perm("loans.change_loan"),
        "can_submit": allowed(loan, "submit", user),
        "can_withdraw": allowed(loan, "withdraw", user),
        "can_add_document": user.has_perm("loans.add_loandocument")
        and loan.status in ("draft", "submitted", "appraising"),
        "document_form": DocumentForm(),
        **document_requests_context(user, loan),
    }


def money_context(request, loan, *, coop: bool, changes: list[Change] | None = None) -> dict:
    """The contract, what is owed at the business date, the schedule, tranches and repayments
    (`loans/_money.html`; the co-op portal's loan page shows a co-op's part of it too).
    `changes`: the loan's applied restructurings and waivers, when read already."""
    user = request.user
    contract = getattr(loan, "contract", None)
    today = current_fund().business_date
    position = loan_position(loan, as_of=today, changes=changes)
    disbursed = sum(1 for part in position.parts if part.result.disbursed)
    tranches = [] if coop else list(loan_disbursements(loan))
    staff = not coop
    context = {
        "contract": contract,
        "monthly_rate": contract.annual_rate / 12 if contract else None,
        "business_date": today,
        "position": position,
        # The header's stored figures (one indexed query), while the rows are exact on the day
        # and every disbursed sub-loan has them.
        "header": stored_position(loan, as_of=today, sub_loans=disbursed) or position,
        "schedules": [
            (household, schedule_of(part.parts[0].result, written_off_on=part.written_off_on), part)
            for household, part in position.households
        ],
        "statement": statement(loan) if position.started else [],
        "tranches": tranches,
        "repayments": list(loan_repayments(loan)) if staff else [],
        "books": loan_books(loan, position) if staff and position.started else None,
        "show_entries": staff and user.has_perm("ledger.view_journalentry"),
        "can_sign": staff
        and loan.status == LoanStatus.APPROVED
        and user.has_perm("loans.add_loancontract")
        and not any(t.status != Disbursement.Status.CANCELLED for t in tranches),
        "can_disburse": staff
        and contract is not None
        and loan.status in (LoanStatus.APPROVED, LoanStatus.ACTIVE)
        and user.has_perm("loans.add_disbursement")
        and left_to_disburse(loan, tranches) > 0,
        "can_repay": staff and loan.status == LoanStatus.ACTIVE and user.has_perm("loans.add_repayment"),
        "can_reverse": staff and user.has_perm("loans.reverse_repayment"),
        "can_authorize": staff and user.has_perm("loans.authorize_disbursement"),
    }
    if staff and loan.status == LoanStatus.WRITTEN_OFF:
        write_off = loan.write_off_record
        context |= {
            "write_off": write_off,
            "recoveries": list(loan.recoveries.select_related("account", "recorded_by")),
            "off_balance": off_balance(loan.pk),
            "can_recover": user.has_perm("loans.add_recovery") and write_off.ended_on is None,
            # Offered from the day the tracking period ends (the service refuses it before).
            "can_end_tracking": allowed(write_off, "end_tracking", user) and today >= write_off.tracked_until,
        }
    if loan.is_group_loan and position.parts:
        context["group_schedule"] = group_schedule(position)
    if position.started:
        context.update(_payoff_quote(request, loan, position, changes))
    return context


def _actions(user, loan) -> dict:
    """The loan's requests, and the kinds of request this user may ask for on it now."""
    return {
        "show_actions": True,
        "loan_actions": list(loan_actions(loan)),
        "requestable": [
            spec
            for spec in action_kinds().values()
            if loan.status in spec.loan_statuses
            and (spec.group_loans or not loan.is_group_loan)
            and user.has_perm(spec.request_permission)
        ],
    }


def _payoff_quote(request, loan, position, changes: list[Change] | None) -> dict:
    """The payoff quote for the date asked for (`?on=`), if one was asked for."""
    first = min(part.result.versions[0].effective_date for part in position.parts if part.result.versions)
    form = PayoffQuoteForm(request.GET if "on" in request.GET else None, earliest=first)
    quote = loan_position(loan, as_of=form.cleaned_data["on"], changes=changes) if form.is_valid() else None
    return {"quote_form": form, "quote": quote}
