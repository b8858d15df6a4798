"""The loans' API views: parse, check who asks, call the pages' selectors and services, present.

A co-op user finds only its own borrower's loans (`loans_visible_to`: 404 for any other id). An
API token reads and records repayments; every other write needs a person logged in.
"""

import datetime as dt
import re
from collections import defaultdict

from django.db import IntegrityError
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from common.api.errors import Conflict, ErrorSerializer
from common.api.paging import PAGE_PARAMETERS, paged
from common.api.views import ApiView, needs
from fund.api.authentication import PersonLoggedIn
from fund.models import HouseholdMember, LoanProduct
from fund.selectors import current_fund, is_coop_user, visible_borrowers
from ledger.models import Account
from loans.api import serializers as s
from loans.forms import LoanListFilter, PayoffQuoteForm
from loans.models import Disbursement, LoanStatus, Repayment
from loans.selectors.access import get_loan_for, loans_visible_to
from loans.selectors.balances import StoredPosition, balances_as_of, stored_position
from loans.selectors.position import loan_position
from loans.selectors.schedule import schedule_of
from loans.selectors.servicing import loan_disbursements, loan_repayments
from loans.selectors.statement import statement
from loans.services.origination import applications
from loans.services.origination.applications import ApplicationTerms
from loans.services.servicing.disbursements import (
    authorize_disbursement,
    cancel_disbursement,
    record_disbursement,
)
from loans.services.servicing.repayments import (
    RepaymentInput,
    default_account,
    record_repayment,
    reverse_repayment,
)

READ_ERRORS = dict.fromkeys((400, 401, 403, 404, 429), ErrorSerializer)
WRITE_ERRORS = {**READ_ERRORS, 409: ErrorSerializer}
# From approval on a loan has money to show (the loan page's rule).
WITH_MONEY = {LoanStatus.APPROVED, LoanStatus.ACTIVE, LoanStatus.CLOSED, LoanStatus.WRITTEN_OFF}
# How far ahead a quote or a schedule may be asked for: the replay runs to the date asked.
FURTHEST_YEARS = 10


def parsed(serializer_class, data) -> dict:
    """`data` read by `serializer_class`: what it cannot read is a 400, field by field."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def invalid(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def as_of_date(request) -> dt.date:
    """`?on=` (ISO 8601) or the fund's business date, at most FURTHEST_YEARS after it."""
    today = current_fund().business_date
    day = parsed(s.OnDate, request.query_params).get("on") or today
    if day > today.replace(year=today.year + FURTHEST_YEARS):
        raise invalid("on", _("At most %(years)s years after the business date.") % {"years": FURTHEST_YEARS})
    return day


def lending_account(code: str | None) -> Account | None:
    return Account.objects.filter(code=code).first() if code else None


# --- loans -----------------------------------------------------------------------------------


def figures(position, *, source: str) -> dict:
    """A position's figures as `s.Balances` shows them (stored rows or a replay)."""
    return {
        "as_of": position.as_of,
        "source": source,
        "principal_outstanding": position.principal_outstanding,
        "overdue_principal": position.overdue_principal,
        "overdue_interest": position.overdue_interest,
        "days_past_due": position.days_past_due,
        "next_due_date": position.next_due_date,
        "next_due_amount": position.next_due_amount,
    }


def stored_figures(loans, *, as_of: dt.date) -> dict[int, dict]:
    """Each loan's stored balances, summed over its sub-loans, on `as_of` or, where a due date
    has overtaken its rows before close of day, on the last day they are exact on (its `as_of`
    says which): a query for the page, and one for each earlier day. A list replays no loan;
    `loans/{id}/` does."""
    rows = defaultdict(list)
    for row in balances_as_of(as_of, loans=[loan.pk for loan in loans]):
        rows[row.loan_id].append(row)
    behind = defaultdict(list)  # the day a loan's rows are exact on, before `as_of`: its loans
    for pk, found in rows.items():
        day = min(row.exact_until(as_of) for row in found)
        if day < as_of:
            behind[day].append(pk)
    for day, pks in behind.items():
        for pk in pks:
            rows[pk] = []
        for row in balances_as_of(day, loans=pks):
            rows[row.loan_id].append(row)
    days = {pk: day for day, pks in behind.items() for pk in pks}
    return {
        pk: figures(StoredPosition(days.get(pk, as_of), found), source="stored") for pk, found in rows.items()
    }


LOAN_FILTERS = [
    OpenApiParameter("status", enum=LoanStatus.values),
    OpenApiParameter(
        "q", description="Borrower's name or the purpose contains this (at most 100 characters)."
    ),
    OpenApiParameter("borrower", int),
    OpenApiParameter("officer", int, description="The officer who took the application."),
    OpenApiParameter(
        "due", enum=["today", "week"], description="An installment falls due today or by Sunday."
    ),
]


class LoanList(ApiView):
    permission_classes = [needs("loans.view_loan")]

    @extend_schema(
        operation_id="loans_list",
        parameters=[*LOAN_FILTERS, *PAGE_PARAMETERS],
        responses={200: paged(s.LoanSerializer), **READ_ERRORS},
    )
    def get(self, request):
        """Loans and applications the caller may see, newest first, each with its stored balances."""
        today = current_fund().business_date
        ids = parsed(s.LoanIds, request.query_params)  # before the form looks an officer up
        filters = LoanListFilter(request.query_params)
        if not filters.is_valid():
            raise exceptions.ValidationError(filters.errors)
        loans = filters.filtered(loans_visible_to(request.user), business_date=today)
        chosen = filters.cleaned_data
        if chosen["status"]:
            loans = loans.filter(status=chosen["status"])
        if query := chosen["q"].strip():
            loans = loans.filter(Q(borrower__name__icontains=query) | Q(purpose__icontains=query))
        if "borrower" in ids:
            loans = loans.filter(borrower_id=ids["borrower"])
        return self.paginate(
            loans.order_by("-pk"),
            s.LoanSerializer,
            lambda page: {"balances": stored_figures(page, as_of=today)},
        )


class LoanDetail(ApiView):
    permission_classes = [needs("loans.view_loan")]

    @extend_schema(responses={200: s.LoanDetailSerializer, **READ_ERRORS})
    def get(self, request, pk: int):
        """The loan, with what it owes on the business date: its stored balances rows, or its
        replay where a due date has overtaken them before close of day."""
        loan = get_loan_for(request.user, pk)
        balances = {}
        if loan.status in WITH_MONEY:
            today = current_fund().business_date
            position = loan_position(loan, as_of=today)
            if position.started:
                disbursed = sum(1 for part in position.parts if part.result.disbursed)
                stored = stored_position(loan, as_of=today, sub_loans=disbursed)
                balances[loan.pk] = (
                    figures(stored, source="stored") if stored else figures(position, source="replayed")
                )
        return Response(s.LoanDetailSerializer(loan, context={"balances": balances}).data)


class Schedule(ApiView):
    permission_classes = [needs("loans.view_loan")]

    @extend_schema(parameters=[s.OnDate], responses={200: s.ScheduleSerializer, **READ_ERRORS})
    def get(self, request, pk: int):
        """Each sub-loan's schedule in force on the date (the loan, or each household of a
        group), each installment with what is paid and left."""
        loan = get_loan_for(request.user, pk)
        day = as_of_date(request)
        position = loan_position(loan, as_of=day)
        sub_loans = [
            {
                "household": {"id": household.pk, "name": str(household)} if household else None,
                "lines": schedule_of(part.parts[0].result, written_off_on=part.written_off_on).lines,
            }
            for household, part in position.households
        ]
        return Response(s.ScheduleSerializer({"as_of": day, "sub_loans": sub_loans}).data)


class Statement(ApiView):
    permission_classes = [needs("loans.view_loan")]

    @extend_schema(
        parameters=PAGE_PARAMETERS, responses={200: paged(s.StatementLineSerializer), **READ_ERRORS}
    )
    def get(self, request, pk: int):
        """The loan's statement (sao kê): its money transactions in value-date order, each with the
        principal outstanding after it."""
        loan = get_loan_for(request.user, pk)
        return self.paginate(statement(loan), s.StatementLineSerializer)


class PayoffQuote(ApiView):
    permission_classes = [needs("loans.view_loan")]

    @extend_schema(parameters=[s.OnDate], responses={200: s.PayoffQuoteSerializer, **READ_ERRORS})
    def get(self, request, pk: int):
        """What repays the whole loan on the date, with no more repayments before it."""
        loan = get_loan_for(request.user, pk)
        day = as_of_date(request)
        now = loan_position(loan, as_of=current_fund().business_date)
        if not now.started:
            raise invalid("non_field_errors", _("Nothing has been disbursed on this loan yet."))
        # The loan page's check: a quote from the first disbursement on.
        first = min(part.result.versions[0].effective_date for part in now.parts if part.result.versions)
        form = PayoffQuoteForm({"on": day}, earliest=first)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        position = loan_position(loan, as_of=day)
        data = {**figures(position, source="replayed"), "payoff": position.payoff}
        data.update(accrued_interest=position.accrued_interest, late_charges=position.late_charges)
        return Response(s.PayoffQuoteSerializer(data).data)


# --- repayments ------------------------------------------------------------------------------

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,64}")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Up to 64 letters, digits, '-', '_', '.' or ':'. The same key and body give the first "
    "result again (200, Idempotent-Replayed: true); the same key with another body is a 409.",
)


def _staff_only(user) -> None:
    """Tranches and the repayments list are the fund's (a co-op reads its statement)."""
    if is_coop_user(user):
        raise exceptions.PermissionDenied(
            _("Your role does not allow this. Ask the fund's administrator if you need it.")
        )


TRANCHE_KEY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Optional, as for repayments: the same key and body give the first tranche again (200, "
    "Idempotent-Replayed: true); the same key with another body is a 409. Without it, each call "
    "enters a tranche.",
)


def created(data: dict, *, replayed: bool) -> Response:
    """A write's result: 201, or 200 with Idempotent-Replayed when it is the first result of the
    write sent again with its Idempotency-Key."""
    if replayed:
        return Response(data, headers={"Idempotent-Replayed": "true"})
    return Response(data, status=201)


def idempotency_key(request, *, required: bool) -> str:
    """The request's Idempotency-Key header, as this user's key ("" when absent and not
    `required`): keys are per user, so one user's key never finds another's write."""
    key = request.headers.get("Idempotency-Key")
    if key is None and not required:
        return ""
    if not IDEMPOTENCY_KEY.fullmatch(key or ""):
        raise invalid(
            "Idempotency-Key",
            _("Send an Idempotency-Key header: up to 64 letters, digits, '-', '_', '.' or ':'."),
        )
    return f"api:{request.user.pk}:{key}"


def _entry(loan, data: dict, *, key: str) -> RepaymentInput:
    """The service's input from the request; ids and codes that name nothing are refused with
    the service's own messages."""
    share = None
    if data.get("share") is not None:
        share = loan.member_shares.filter(pk=data["share"]).first()
        if share is None:
            raise invalid("share", _("Choose the household of this group loan that repays."))
    account = lending_account(data.get("account"))
    if data.get("account") and account is None:
        raise invalid("account", _("Choose one of the fund's cash or bank accounts."))
    return RepaymentInput(
        value_date=data["value_date"],
        amount=data["amount"],
        channel=data["channel"],
        reference=data["reference"],
        account=account,
        prepayment_mode=data["prepayment_mode"],
        share=share,
        idempotency_key=key,
    )


def _same_repayment(repayment: Repayment, loan, entry: RepaymentInput) -> bool:
    account = entry.account or default_account(entry.channel)
    return (
        repayment.loan_id == loan.pk
        and repayment.share_id == (entry.share.pk if entry.share else None)
        and repayment.value_date == entry.value_date
        and repayment.amount.amount == entry.amount
        and repayment.channel == entry.channel
        and repayment.reference == entry.reference.strip()
        and repayment.prepayment_mode == entry.prepayment_mode
        and repayment.account_id == (account.pk if account else None)
    )


def _of_visible_loan(model: type[Repayment | Disbursement], request, pk: int):
    """The repayment or tranche `pk` of a loan the user may see; 404 otherwise."""
    row = model.objects.filter(loan__in=loans_visible_to(request.user), pk=pk).first()
    if row is None:
        raise exceptions.NotFound()
    return row


class LoanRepayments(ApiView):
    permission_classes = [needs("loans.view_loan")]

    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: paged(s.RepaymentSerializer), **READ_ERRORS})
    def get(self, request, pk: int):
        """The loan's repayments, reversed ones included, by value date (fund staff)."""
        _staff_only(request.user)
        return self.paginate(loan_repayments(get_loan_for(request.user, pk)), s.RepaymentSerializer)

    @extend_schema(
        request=s.RepaymentIn,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.RepaymentSerializer, 200: s.RepaymentSerializer, **WRITE_ERRORS},
    )
    def post(self, request, pk: int):
        """Record a repayment (an API token may): allocated, posted and the balances updated in one
        transaction, as on the repayment page."""
        loan = get_loan_for(request.user, pk)
        key = idempotency_key(request, required=True)
        entry = _entry(loan, parsed(s.RepaymentIn, request.data), key=key)
        earlier = Repayment.objects.filter(idempotency_key=entry.idempotency_key).first()
        try:
            repayment = earlier or record_repayment(actor=request.user, loan=loan, entry=entry)
        except IntegrityError:
            # The same key on another loan at the same moment: the other request won.
            repayment = None
        if repayment is None or not _same_repayment(repayment, loan, entry):
            raise Conflict(_("This Idempotency-Key was already used for a different repayment."))
        return created(s.RepaymentSerializer(repayment).data, replayed=earlier is not None)


class RepaymentReverse(ApiView):
    permission_classes = [PersonLoggedIn, needs("loans.reverse_repayment")]

    @extend_schema(request=s.ReasonIn, responses={200: s.RepaymentSerializer, **WRITE_ERRORS})
    def post(self, request, pk: int):
        """Reverse a repayment with a reason; later ones are re-allocated (a person logged in)."""
        repayment = _of_visible_loan(Repayment, request, pk)
        data = parsed(s.ReasonIn, request.data)
        done = reverse_repayment(actor=request.user, repayment=repayment, reason=data["reason"])
        return Response(s.RepaymentSerializer(done).data)


# --- tranches --------------------------------------------------------------------------------


class LoanTranches(ApiView):
    permission_classes = [needs("loans.view_loan")]

    def get_permissions(self):
        if self.request.method == "POST":
            return [PersonLoggedIn(), needs("loans.add_disbursement")()]
        return super().get_permissions()

    @extend_schema(
        parameters=PAGE_PARAMETERS, responses={200: paged(s.DisbursementSerializer), **READ_ERRORS}
    )
    def get(self, request, pk: int):
        """The loan's tranches, cancelled ones included (fund staff)."""
        _staff_only(request.user)
        return self.paginate(loan_disbursements(get_loan_for(request.user, pk)), s.DisbursementSerializer)

    @extend_schema(
        request=s.TrancheIn,
        parameters=[TRANCHE_KEY_HEADER],
        responses={201: s.DisbursementSerializer, 200: s.DisbursementSerializer, **WRITE_ERRORS},
    )
    def post(self, request, pk: int):
        """Enter a tranche; it waits for an accountant's authorization (a person logged in)."""
        loan = get_loan_for(request.user, pk)
        key = idempotency_key(request, required=False)
        data = parsed(s.TrancheIn, request.data)
        account = lending_account(data["account"])
        if account is None:
            raise invalid("account", _("Choose one of the fund's cash or bank accounts it lends from."))
        parts = data.get("share_amounts")
        shares = {part["share"]: part["amount"] for part in parts} if parts else None
        if shares is not None and len(shares) != len(parts):
            raise invalid("share_amounts", _("Each household's part appears once."))
        earlier = Disbursement.objects.filter(idempotency_key=key).first() if key else None
        try:
            tranche = record_disbursement(
                actor=request.user,
                loan=loan,
                value_date=data["value_date"],
                amount=data["amount"],
                account=account,
                memo=data["memo"],
                share_amounts=shares,
                idempotency_key=key,
            )
        except IntegrityError:
            tranche = None  # the same key at the same moment on another loan: the other request won
        if key and (tranche is None or not _same_tranche(tranche, loan, data, account, shares)):
            raise Conflict(_("This Idempotency-Key was already used for a different tranche."))
        return created(s.DisbursementSerializer(tranche).data, replayed=earlier is not None)


def _same_tranche(tranche: Disbursement, loan, data: dict, account, shares: dict | None) -> bool:
    """Whether `tranche` is what the request enters (the households' parts when it names them)."""
    split = dict(tranche.shares.values_list("share_id", "amount")) if shares else None
    return (
        tranche.loan_id == loan.pk
        and tranche.value_date == data["value_date"]
        and tranche.amount.amount == data["amount"]
        and tranche.account_id == account.pk
        and tranche.memo == data["memo"].strip()
        and (shares is None or split == {pk: amount for pk, amount in shares.items() if amount})
    )


class TrancheCancel(ApiView):
    permission_classes = [
        PersonLoggedIn,
        needs("loans.add_disbursement", "loans.authorize_disbursement", any_of=True),
    ]

    @extend_schema(request=s.ReasonIn, responses={200: s.DisbursementSerializer, **WRITE_ERRORS})
    def post(self, request, pk: int):
        """Cancel a tranche still waiting for authorization, saying why: an officer who enters
        tranches or an accountant who authorizes them (a person logged in)."""
        tranche = _of_visible_loan(Disbursement, request, pk)
        data = parsed(s.ReasonIn, request.data)
        done = cancel_disbursement(actor=request.user, disbursement=tranche, reason=data["reason"])
        return Response(s.DisbursementSerializer(done).data)


class TrancheAuthorize(ApiView):
    permission_classes = [PersonLoggedIn, needs("loans.authorize_disbursement")]

    @extend_schema(request=None, responses={200: s.DisbursementSerializer, **WRITE_ERRORS})
    def post(self, request, pk: int):
        """Authorize and post a tranche: not by whoever entered it (four eyes), only if the fund's
        accounts cover it (a person logged in)."""
        tranche = _of_visible_loan(Disbursement, request, pk)
        return Response(
            s.DisbursementSerializer(authorize_disbursement(actor=request.user, disbursement=tranche)).data
        )


# --- applications ----------------------------------------------------------------------------


def _terms(request, data: dict) -> ApplicationTerms:
    user = request.user
    if is_coop_user(user):
        borrower = (
            user.borrower if user.borrower_id and data.get("borrower") in (None, user.borrower_id) else None
        )
    else:
        borrower = visible_borrowers(user).filter(pk=data.get("borrower") or 0).first()
    if borrower is None:
        raise invalid("borrower", _("Choose a borrower you may see."))
    product = LoanProduct.objects.filter(pk=data["product"]).first()
    if product is None:
        raise invalid("product", _("No such loan product."))
    wanted = {share["household"]: share["amount"] for share in data["shares"]}
    members = {m.pk: m for m in HouseholdMember.objects.filter(borrower=borrower, pk__in=wanted)}
    if len(members) != len(wanted) or len(wanted) != len(data["shares"]):
        raise invalid("shares", _("Each household appears once, and is one of this group's."))
    return ApplicationTerms(
        borrower=borrower,
        product=product,
        amount=data["amount"],
        term_months=data["term_months"],
        purpose=data["purpose"],
        proposed_collateral=data["proposed_collateral"],
        shares=[(members[pk], amount) for pk, amount in wanted.items()],
    )


class Applications(ApiView):
    permission_classes = [PersonLoggedIn, needs("loans.add_loan")]

    @extend_schema(request=s.ApplicationIn, responses={201: s.LoanDetailSerializer, **WRITE_ERRORS})
    def post(self, request):
        """A new application, saved as a draft (a person logged in; a co-op user for its own co-op)."""
        loan = applications.create_application(
            actor=request.user, terms=_terms(request, parsed(s.ApplicationIn, request.data))
        )
        return Response(s.LoanDetailSerializer(loan, context={"balances": {}}).data, status=201)


class ApplicationSubmit(ApiView):
    permission_classes = [PersonLoggedIn, needs("loans.view_loan")]

    @extend_schema(request=s.TransitionIn, responses={200: s.LoanDetailSerializer, **WRITE_ERRORS})
    def post(self, request, pk: int):
        """Submit a draft for appraisal once the product's and the fund's rules hold and the
        dossier is complete (a person logged in)."""
        loan = get_loan_for(request.user, pk)
        data = parsed(s.TransitionIn, request.data)
        loan = applications.submit_application(
            actor=request.user, loan=loan, expected_status=data.get("expected_status"), note=data["note"]
        )
        return Response(s.LoanDetailSerializer(loan, context={"balances": {}}).data)


class ApplicationWithdraw(ApiView):
    permission_classes = [PersonLoggedIn, needs("loans.view_loan")]

    @extend_schema(request=s.WithdrawIn, responses={200: s.LoanDetailSerializer, **WRITE_ERRORS})
    def post(self, request, pk: int):
        """Withdraw an application before the decision, saying why (a person logged in)."""
        loan = get_loan_for(request.user, pk)
        data = parsed(s.WithdrawIn, request.data)
        loan = applications.withdraw_application(
            actor=request.user, loan=loan, reason=data["reason"], expected_status=data.get("expected_status")
        )
        return Response(s.LoanDetailSerializer(loan, context={"balances": {}}).data)
