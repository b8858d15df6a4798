"""The loans app's part of the demo, in two steps around the appraisal demo.

`load` (before the appraisal demo) adds applications that never reach an appraiser: drafts,
submitted ones waiting in the queue and withdrawn ones. `load_servicing` (after it) takes the
loans the appraisal demo approved through their contract, tranches and repayments: each is
found by its borrower, and what happens to it is a plan below. Close of day runs up to each
repayment's date, so the loans have a few months of history: on time, late, a prepayment, a
household repaid in full, a loan closed, a loan never repaid (in debt group 3, in non-accrual),
a tranche waiting for authorization, with their accruals, overdue transfers and provisions.
Loans no plan names stay approved and undisbursed. `load_risk` then writes the loan never repaid
off, with a recovery, and reverses a tranche authorized too early.

Everything goes through the real services as the demo users. Run twice, same data: an
application is known by its borrower and purpose, and a loan with a contract was serviced.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from common.dates import format_date
from fund.models import Borrower, LoanProduct, User
from fund.selectors import business_date
from loans.models import ActionKind, Disbursement, Loan, LoanAction, LoanStatus, Repayment
from loans.replaying import parts_of, replay_part
from loans.selectors.origination import missing_documents
from loans.selectors.position import LoanPosition, SubLoan
from loans.selectors.recoveries import off_balance
from loans.services.actions import approve_action, request_action
from loans.services.closing.runs import close_until
from loans.services.origination.applications import (
    ApplicationTerms,
    add_document,
    create_application,
    submit_application,
    withdraw_application,
)
from loans.services.origination.contracts import ContractTerms, sign_contract
from loans.services.risk import RecoveryInput, record_recovery
from loans.services.servicing.disbursements import authorize_disbursement, record_disbursement
from loans.services.servicing.repayments import RepaymentInput, default_account, record_repayment

M = 1_000_000  # amounts below in millions of đồng


# --- applications ------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoApplication:
    registration_number: str  # the demo borrower's
    product_code: str
    amount_millions: int
    term_months: int
    purpose: str
    until: str  # how far it goes: draft, submitted or withdrawn (appraisal's go further)
    by_coop: bool = False  # entered by the co-op's own user rather than the officer
    note: str = ""  # why it was withdrawn


APPLICATIONS = [
    DemoApplication(
        "6001234567",
        "TB-TH",
        900,
        36,
        "Đầu tư hệ thống tưới nhỏ giọt cho vùng cà phê của thành viên (demo).",
        until="draft",
    ),
    DemoApplication(
        "08/QĐ-HND", "HTND-TO", 150, 24, "Các hộ hội viên nuôi tôm thẻ chân trắng (demo).", until="draft"
    ),
    DemoApplication(
        "1000123456",
        "VLD-NH",
        200,
        6,
        "Mua máy sấy lúa mini cho tổ dịch vụ của hợp tác xã (demo).",
        until="draft",
        by_coop=True,
    ),
    DemoApplication(
        "2900567890", "VLD-NH", 250, 6, "Thu mua lạc vụ xuân của thành viên (demo).", until="submitted"
    ),
    DemoApplication(
        "05/QĐ-HND", "HTND-TO", 120, 18, "Các hộ trồng xen tiêu trong vườn cà phê (demo).", until="submitted"
    ),
    DemoApplication(
        "1800345678",
        "VLD-NH",
        400,
        12,
        "Mua thức ăn cho vụ nuôi cá tra (demo).",
        until="withdrawn",
        note="Hợp tác xã đã vay được vốn ngân hàng thương mại.",
    ),
    DemoApplication(
        "03/HĐHT-UBND",
        "VLD-NH",
        80,
        6,
        "Làm nhà lưới trồng rau an toàn (demo).",
        until="withdrawn",
        note="Tổ hợp tác hoãn phương án sang năm sau.",
    ),
]


def load(*, stdout) -> None:
    users = {user.username: user for user in User.objects.filter(username__in=["officer", "coop"])}
    done = []
    for application in APPLICATIONS:
        borrower = Borrower.objects.get(registration_number=application.registration_number)
        if Loan.objects.filter(borrower=borrower, purpose=application.purpose).exists():
            continue
        actor = users["coop"] if application.by_coop else users["officer"]
        with transaction.atomic():
            loan = new_application(actor=actor, borrower=borrower, application=application)
            if application.until != "draft":
                loan = submit_application(actor=actor, loan=loan, note="Hồ sơ đầy đủ, đề nghị thẩm định.")
            if application.until == "withdrawn":
                loan = withdraw_application(actor=actor, loan=loan, reason=application.note)
        done.append(f"{loan.reference} {loan.get_status_display().lower()}")
    if done:
        stdout.write("Demo applications: " + "; ".join(done) + ".")


def new_application(
    *, actor, borrower: Borrower, application: DemoApplication, proposed_collateral: str = ""
) -> Loan:
    """A draft of `application` with a complete dossier (placeholder scans), ready to submit. A
    household group's households share the amount equally; the first takes what does not divide."""
    product = LoanProduct.objects.filter(code=application.product_code).order_by("-version").first()
    amount = Decimal(application.amount_millions * M)
    members = list(borrower.members.filter(left_on__isnull=True)) if borrower.is_household_group else []
    each = amount // len(members) if members else Decimal(0)
    shares = [(m, each + (amount - each * len(members) if i == 0 else 0)) for i, m in enumerate(members)]
    loan = create_application(
        actor=actor,
        terms=ApplicationTerms(
            borrower=borrower,
            product=product,
            amount=amount,
            term_months=application.term_months,
            purpose=application.purpose,
            proposed_collateral=proposed_collateral,
            shares=shares,
        ),
    )
    for document_type in missing_documents(loan):
        add_document(
            actor=actor,
            loan=loan,
            document_type=document_type,
            file=ContentFile(b"%PDF-1.4\n% CoopFund demo document\n", name=f"{document_type.code}.pdf"),
            # Documents are real-world papers: never dated after today, whatever the business date.
            issued_on=min(business_date(), timezone.localdate()),
            title=document_type.name_vi,
        )
    return loan


# --- servicing ---------------------------------------------------------------------------

DUE = "due"  # what brings the (sub-)loan up to date that day
PAYOFF = "payoff"  # everything: the (sub-)loan is repaid in full


@dataclass(frozen=True)
class DemoPayment:
    installment: int  # paid towards the row of this number, on its due date...
    days_late: int = 0  # ...or this many days after it
    household: str = ""  # for a group loan: the household's ID number
    pays: str = DUE  # DUE (and `prepaid_millions` more) or PAYOFF
    prepaid_millions: int = 0
    mode: str = Repayment.PrepaymentMode.LOWER_INSTALLMENTS


@dataclass(frozen=True)
class ServicingPlan:
    """What happens to the loan the appraisal demo approved for a borrower."""

    registration_number: str
    contract: str  # its number, before "/<year>/HĐTD-DEMO"
    tranche_millions: int | None = None  # the first tranche; None: the whole contract
    authorized: bool = True  # False: the tranche waits for an accountant
    payments: tuple[DemoPayment, ...] = ()


def _monthly(months, *households: str) -> tuple[DemoPayment, ...]:
    return tuple(DemoPayment(n, household=h) for n in months for h in households or ("",))


ON_TIME = ("034078001234", "034080002345", "034185006789")  # households of 12/QĐ-HND
LATE, PREPAYS, REPAID = "034182004567", "034075009876", "034072003456"

PLANS = [
    # A household group: three households pay every month on time; one paid month 2 late and has
    # not paid month 4 yet; one prepays and shortens its term; one repays its share in month 3.
    ServicingPlan(
        "12/QĐ-HND",
        "01",
        payments=(
            *_monthly(range(1, 5), *ON_TIME),
            *_monthly((1, 3), LATE),
            DemoPayment(2, days_late=12, household=LATE),
            *_monthly(range(1, 5), PREPAYS),
            DemoPayment(
                3,
                days_late=5,
                household=PREPAYS,
                prepaid_millions=10,
                mode=Repayment.PrepaymentMode.SHORTEN_TERM,
            ),
            *_monthly((1, 2), REPAID),
            DemoPayment(3, household=REPAID, pays=PAYOFF),
        ),
    ),
    # Disbursed by installation progress: the first tranche is entered and waits for the accountant.
    ServicingPlan("1801234567", "02", tranche_millions=1_000, authorized=False),
    # Interest monthly, once a week late; then repaid in full early: the loan closes.
    ServicingPlan(
        "6000789012",
        "03",
        payments=(DemoPayment(1), DemoPayment(2, days_late=6), DemoPayment(3, pays=PAYOFF)),
    ),
    # The demo co-op user's own loan: interest paid monthly, on time.
    ServicingPlan("1000123456", "04", payments=_monthly(range(1, 5))),
    # Floods took the fish: nothing paid since the tranche. Close of day moves it through the
    # debt groups into non-accrual and provisions it.
    ServicingPlan("02/HĐHT-UBND", "05"),
]
DAYS_AFTER_LAST_PAYMENT = 11  # the business date the demo ends on, after its last repayment (a late
# household then 10 days past due: the close of that day put its loan in debt group 2)


def load_servicing(*, stdout) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=["officer", "accountant"])}
    officer, accountant = users["officer"], users["accountant"]
    with transaction.atomic():
        start = business_date()
        payments, done = [], []
        for plan in PLANS:
            loan = (
                Loan.objects.filter(
                    borrower__registration_number=plan.registration_number,
                    status=LoanStatus.APPROVED,
                    contract__isnull=True,
                )
                .order_by("pk")
                .first()
            )
            if loan is None:
                continue  # not approved by the appraisal demo, or serviced already
            tranche = _sign_and_disburse(plan, loan, start, officer=officer, accountant=accountant)
            done.append(f"{loan.reference} {tranche}")
            if plan.authorized:
                payments += _dated(loan, plan)
        for number, (day, loan, payment) in enumerate(sorted(payments, key=lambda p: (p[0], p[1].pk)), 1):
            _close_until(day, accountant)
            _pay(loan, payment, day, number, officer=officer)
        if payments:
            last = max(day for day, _loan, _payment in payments)
            _close_until(last + dt.timedelta(days=DAYS_AFTER_LAST_PAYMENT), accountant)
    if done:
        stdout.write(
            f"Demo loans serviced: {'; '.join(done)}. {len(payments)} repayments; "
            f"business date now {format_date(business_date())}."
        )
    restructured = _restructure_one()
    if restructured:
        stdout.write(f"Demo loan restructured: {restructured}.")


def _restructure_one() -> str:
    """One active loan (not a group's) extended by three months, asked for by the officer and
    approved by the approver; nothing once the demo has a loan action."""
    if LoanAction.objects.exists():
        return ""
    users = {u.username: u for u in User.objects.filter(username__in=["officer", "approver"])}
    loan = (
        Loan.objects.filter(status=LoanStatus.ACTIVE, contract__isnull=False)
        .exclude(borrower__type=Borrower.Type.HOUSEHOLD_GROUP)
        .order_by("pk")
        .first()
    )
    if loan is None or len(users) < 2:
        return ""
    with transaction.atomic():
        action = request_action(
            actor=users["officer"],
            loan=loan,
            kind=ActionKind.EXTENSION,
            payload={"months": 3},
            reason="Hợp tác xã bị mất mùa do hạn hán; đề nghị gia hạn 3 tháng.",
        )
        action = approve_action(actor=users["approver"], action=action, note="Đồng ý gia hạn 3 tháng.")
    return f"{loan.reference} ({action.outcome})"


def _close_until(day: dt.date, accountant) -> None:
    """Close of day up to `day` (the business date then), never beyond today."""
    day = min(day, timezone.localdate())
    if day > business_date():
        close_until(actor=accountant, until=day)


def _sign_and_disburse(plan: ServicingPlan, loan: Loan, start: dt.date, *, officer, accountant) -> str:
    amount = loan.approved_amount.amount
    sign_contract(
        actor=officer,
        loan=loan,
        terms=ContractTerms(
            number=f"{plan.contract}/{start.year}/HĐTD-DEMO",
            signed_on=start,
            amount=amount,
            term_months=loan.approved_term_months,
            share_amounts={s.pk: (s.approved_amount or s.amount).amount for s in loan.member_shares.all()}
            or None,
        ),
    )
    tranche = record_disbursement(
        actor=officer,
        loan=loan,
        value_date=start,
        amount=Decimal(plan.tranche_millions * M) if plan.tranche_millions else amount,
        account=default_account(Repayment.Channel.BANK_TRANSFER),  # paid out by transfer
        memo="Giải ngân theo hợp đồng (demo).",
    )
    if not plan.authorized:
        return "signed, first tranche waiting for authorization"
    authorize_disbursement(actor=accountant, disbursement=tranche)
    return "disbursed"


def _dated(loan: Loan, plan: ServicingPlan) -> list[tuple[dt.date, Loan, DemoPayment]]:
    """Each payment with its value date, from the schedule the first tranche made."""
    due_dates = {
        _household(share): {
            row.number: row.due_date for row in replay_part(loan, share, as_of=business_date()).rows
        }
        for share in parts_of(loan)
    }
    return [
        (due_dates[p.household][p.installment] + dt.timedelta(days=p.days_late), loan, p)
        for p in plan.payments
    ]


def _household(share) -> str:
    return share.member.id_number if share is not None else ""


def _pay(loan: Loan, payment: DemoPayment, day: dt.date, number: int, *, officer) -> None:
    share = next(share for share in parts_of(loan) if _household(share) == payment.household)
    position = LoanPosition(day, [SubLoan(share, replay_part(loan, share, as_of=day))])
    if payment.pays == PAYOFF:
        amount = position.payoff
    else:
        amount = position.to_pay_now + Decimal(payment.prepaid_millions * M)
    channel = Repayment.Channel.FARMERS_UNION if share is not None else Repayment.Channel.BANK_TRANSFER
    record_repayment(
        actor=officer,
        loan=loan,
        entry=RepaymentInput(
            value_date=day,
            amount=amount,
            channel=channel,
            reference=f"DEMO-{number:03d}",
            prepayment_mode=payment.mode,
            share=share,
        ),
    )


# --- write-off, recovery, a reversed tranche ----------------------------------------------

LOST = "02/HĐHT-UBND"  # the loan never repaid (above): written off by the board, then a recovery
RECOVERED = 20 * M
WRONG_TRANCHE = "1801234567"  # its waiting tranche authorized, reversed, and entered again


def load_risk(*, stdout) -> None:
    """A written-off loan with a recovery, and a tranche reversed after authorization, each
    through the request -> approval of loan actions, as the demo users."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["officer", "accountant", "accountant2", "approver"])
    }
    done = []
    with transaction.atomic():
        lost = Loan.objects.filter(borrower__registration_number=LOST, status=LoanStatus.ACTIVE).first()
        if lost is not None:  # active: not written off yet
            action = request_action(
                actor=users["officer"],
                loan=lost,
                kind=ActionKind.WRITE_OFF,
                payload={},
                reason="Lũ quét cuốn trôi toàn bộ lồng cá; hợp tác xã mất khả năng trả nợ (demo).",
            )
            approve_action(
                actor=users["approver"], action=action, note="Hội đồng quản lý Quỹ đồng ý xử lý rủi ro."
            )
            amount = min(Decimal(RECOVERED), off_balance(lost.pk))
            record_recovery(
                actor=users["officer"],
                loan=lost,
                entry=RecoveryInput(
                    value_date=business_date(),
                    amount=amount,
                    channel=Repayment.Channel.BANK_TRANSFER,
                    reference="DEMO-THU-HOI-01",
                ),
            )
            done.append(f"{lost.reference} written off, {amount:,.0f} recovered")
        wrong = (
            Disbursement.objects.filter(
                loan__borrower__registration_number=WRONG_TRANCHE, status=Disbursement.Status.PENDING
            )
            .select_related("loan", "account")
            .first()
        )
        if wrong is not None and not wrong.loan.actions.filter(kind=ActionKind.TRANCHE_REVERSAL).exists():
            authorize_disbursement(actor=users["accountant"], disbursement=wrong)
            action = request_action(
                actor=users["accountant2"],
                loan=wrong.loan,
                kind=ActionKind.TRANCHE_REVERSAL,
                payload={"tranche": wrong.pk, "returned_into": wrong.account.code},
                reason="Giải ngân trước khi có biên bản nghiệm thu; ngân hàng đã hoàn tiền (demo).",
            )
            approve_action(actor=users["approver"], action=action, note="Đồng ý hủy đợt giải ngân.")
            record_disbursement(
                actor=users["officer"],
                loan=wrong.loan,
                value_date=business_date(),
                amount=wrong.amount.amount,
                account=wrong.account,
                memo="Giải ngân lại sau khi có biên bản nghiệm thu (demo).",
            )
            done.append(f"{wrong.loan.reference} tranche reversed and entered again")
    if done:
        stdout.write(f"Demo risk: {'; '.join(done)}.")
