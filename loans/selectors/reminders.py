"""Which installments a day's notices are for, found on the current stored balances rows by the
index range scans close of day uses (`loans_balance_due_idx`, `loans_balance_arrears_idx`): the
work grows with the installments falling due and falling behind, not with the portfolio."""

from datetime import date, timedelta
from itertools import pairwise

from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce

from loans.models import LoanBalance, LoanStatus, Notice, NoticeKind
from loans.selectors.access import loans_visible_to

MONEY = DecimalField(max_digits=18, decimal_places=0)


def _without_notice(rows: QuerySet[LoanBalance], kind: str, step: int, due_field: str) -> QuerySet:
    """The rows whose installment (the sub-loan and `due_field`) has no notice of `kind` and `step`.
    A plain loan's rows and notices have no share: compared as share 0."""
    sent = Notice.objects.annotate(share_key=Coalesce("share_id", Value(0))).filter(
        loan=OuterRef("loan"),
        share_key=Coalesce(OuterRef("share_id"), Value(0)),
        due_date=OuterRef(due_field),
        kind=kind,
        step=step,
    )
    return rows.filter(~Exists(sent))


def _current() -> QuerySet[LoanBalance]:
    return LoanBalance.objects.filter(valid_to__isnull=True, loan__status=LoanStatus.ACTIVE).order_by()


def due_soon(day: date, days_before: int) -> QuerySet:
    """(loan, share, due date, amount) of the installments falling due from `day` to `days_before`
    days after it, not reminded of yet."""
    if days_before <= 0:
        return LoanBalance.objects.none().values_list("loan_id")
    rows = _current().filter(
        next_due_date__gte=day, next_due_date__lte=day + timedelta(days=days_before), next_due_amount__gt=0
    )
    return _without_notice(rows, NoticeKind.DUE, 0, "next_due_date").values_list(
        "loan_id", "share_id", "next_due_date", "next_due_amount"
    )


def overdue(day: date, steps: list[int]) -> list[tuple[int, QuerySet]]:
    """For each step of days past due (ascending), (loan, share, oldest unpaid due date, overdue
    principal and interest) of the sub-loans past due at least that many days and fewer than the
    next step's, without that step's notice yet: a loan found late gets the step it is at, once."""
    found = []
    for step, following in pairwise([*steps, None]):
        rows = _current().filter(oldest_unpaid_due_date__lte=day - timedelta(days=step))
        if following is not None:
            rows = rows.filter(oldest_unpaid_due_date__gt=day - timedelta(days=following))
        amount = ExpressionWrapper(F("principal_overdue") + F("interest_overdue"), output_field=MONEY)
        rows = _without_notice(rows, NoticeKind.OVERDUE, step, "oldest_unpaid_due_date")
        found.append(
            (
                step,
                rows.annotate(overdue=amount).values_list(
                    "loan_id", "share_id", "oldest_unpaid_due_date", "overdue"
                ),
            )
        )
    return found


def notices_visible_to(user) -> QuerySet[Notice]:
    """The notices of the loans the user may see, if it may see notices (a co-op, its own loans')."""
    if not user.has_perm("loans.view_notice"):
        return Notice.objects.none()
    visible = Notice.objects.filter(loan__in=loans_visible_to(user))
    return visible.select_related("loan", "loan__borrower", "share__member")
