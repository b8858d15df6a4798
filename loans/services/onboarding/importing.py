"""Bringing a portfolio in: the dry run one user makes, the commit another makes (four eyes).

`check_portfolio` reads the workbook and plans it (`planning.plan`), keeping the file, the
cut-over report and the rows refused on a `PortfolioImport`; nothing else is written. A clean
check is committed by a second user (`commit_portfolio`): a Celery task (eager without a
broker) plans the same file again, telling its progress on the import's row as it goes, then
writes everything in one transaction — borrowers and households, loans in the active state with
their contract, households' shares, openings, a migration schedule version and stored balances,
loans written off and still pursued (their contract and write-off, nothing on the balance sheet),
one opening entry through the posting service and each loan's sub-ledger row beside it — or,
on any refusal, nothing. The same file is brought in once (its hash); a contract number in the
books already is refused (when merging, prefixed with the source fund's tag).
"""

import hashlib
import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import format_date
from common.jobs import send
from common.money import ZERO
from common.text import LONG_TEXT_MAX
from fund import accounting
from fund.models import Borrower, Fund, HouseholdMember, LoanProduct
from fund.selectors import current_fund
from fund.services.borrowers import bring_in_borrowers
from fund.services.common import require_permission
from ledger.drafts import EntryDraft
from ledger.models import Account, JournalEntry
from ledger.services import post_entries
from loans import queries
from loans.models import (
    Collateral,
    Loan,
    LoanBalance,
    LoanContract,
    LoanEvent,
    LoanMemberShare,
    LoanOpening,
    LoanStatus,
    LoanTransaction,
    PortfolioImport,
    ScheduleRow,
    ScheduleVersion,
    WriteOff,
)
from loans.models.money import control_values
from loans.services.closing.summaries import stale_from
from loans.services.onboarding.planning import Plan, PlannedLoan, plan
from loans.services.onboarding.workbook import Limits, SheetError, read_portfolio
from loans.services.origination.collateral import bring_in_collateral

PERMISSION, COMMIT_PERMISSION = "loans.add_portfolioimport", "loans.commit_portfolioimport"
PROGRESS_EVERY = 1000
WRITE_BATCH = 2000  # sub-loans whose schedules and balances are unpacked and written at a time
MAX_ERRORS = 1000  # kept on the import: a file that bad is wrong as a whole
SOURCE_KIND = "portfolio_import"

logger = logging.getLogger(__name__)


def check_portfolio(
    *,
    actor,
    file,
    file_name: str,
    source_fund: str = "",
    capital_account: str = "",
    limits: Limits | None = None,
    keep_plan: bool = False,
) -> PortfolioImport:
    """The dry run of a workbook: its cut-over report and the rows refused, kept with the file
    for a second user to commit. `source_fund`: merging that fund's portfolio (its tag) into
    this one, against `capital_account`; empty: bringing this fund's own books in. `limits`:
    how large a file is read (the command's by default; the page's are smaller). `keep_plan`:
    keep the plan in this process for its commit, when run here (the command's), to write
    without planning the file again while the books have not changed."""
    require_permission(actor, PERMISSION)
    source_fund, capital_account = source_fund.strip()[:100], capital_account.strip()[:20]
    file.seek(0)
    content = file.read()
    sha256 = hashlib.sha256(content).hexdigest()
    fund = current_fund()
    books = _books(fund) if keep_plan else ()  # before planning: what the plan was made on
    done = PortfolioImport.objects.filter(sha256=sha256, state=PortfolioImport.State.COMMITTED).first()
    planned = None
    if done is not None:
        message = _("This file was brought in already, on %(date)s by %(user)s: nothing more to bring in.")
        when = {"date": format_date(timezone.localtime(done.committed_at)), "user": done.committed_by}
        errors = [SheetError.of_file(message % when)]
    else:
        file.seek(0)
        planned = plan(
            read_portfolio(file, limits), fund=fund, merger_from=source_fund, capital_account=capital_account
        )
        errors = planned.errors
    batch = PortfolioImport(
        mode=PortfolioImport.Mode.MERGER if source_fund else PortfolioImport.Mode.OPENING,
        file_name=file_name[:255],
        sha256=sha256,
        source_fund=source_fund,
        capital_account=capital_account,
        cut_over=planned.cut_over if planned else fund.business_date,
        state=PortfolioImport.State.REFUSED if errors else PortfolioImport.State.CHECKED,
        report=planned.report.as_data() if planned else {},
        errors=[error.as_data() for error in errors[:MAX_ERRORS]],
        rows_total=planned.report.loans if planned else 0,
        checked_by=actor,
    )
    batch.file.save(file_name[-100:] or "portfolio.xlsx", ContentFile(content), save=False)
    batch.save()
    _kept.clear()  # one plan at a time: a province's takes a few hundred MB
    if keep_plan and planned is not None and planned.ok:
        _kept[batch.pk] = (sha256, books, planned)
    return batch


# The plan of the last dry run this process made with `keep_plan`, by import: (the file's hash,
# the books it was planned on, the plan).
_kept: dict[int, tuple[str, tuple, Plan]] = {}


def _books(fund: Fund) -> tuple:
    """What a plan depends on in the books, as far as a change to it shows: the fund's dates
    and rules, the last journal entry, borrower, household, contract, product and account
    (none is ever renumbered), and how many accounts are active."""
    fund = Fund.objects.get(pk=fund.pk)
    last = [
        model.objects.aggregate(last=Max("pk"))["last"]
        for model in (JournalEntry, Borrower, HouseholdMember, LoanContract, LoanProduct, Account)
    ]
    rules = (fund.business_date, fund.opened_on, fund.worst_group_per_borrower, fund.non_accrual_from_group)
    limits = (fund.max_annual_rate, fund.off_balance_years)
    return (*rules, *limits, *last, Account.objects.filter(active=True).count())


def _kept_plan(batch: PortfolioImport) -> Plan | None:
    """The dry run's plan of this import, when this process made it, of the same file, and
    nothing it depends on has changed since (then it is what planning again would give)."""
    sha256, books, planned = _kept.pop(batch.pk, ("", (), None))
    if planned is None or sha256 != batch.sha256 or books != _books(current_fund()):
        return None
    return planned


def commit_portfolio(*, actor, batch: PortfolioImport) -> PortfolioImport:
    """Commit a checked import: by another user than the one who checked it, once; the task
    that writes it is sent when this commits."""
    require_permission(actor, COMMIT_PERMISSION)
    try:
        with transaction.atomic():
            batch = PortfolioImport.objects.select_for_update().get(pk=batch.pk)
            if batch.checked_by_id == actor.pk:
                raise PermissionDenied(_("Another user commits the import: not the one who checked it."))
            if batch.state != PortfolioImport.State.CHECKED:
                raise ValidationError(
                    _("This import is %(state)s: only a checked one is committed.")
                    % {"state": batch.get_state_display().lower()}
                )
            batch.start()
            batch.committed_by, batch.rows_done = actor, 0
            batch.save()
            send("loans.commit_portfolio", batch.pk)
    except IntegrityError:  # the same file being committed, or committed, by another import
        raise ValidationError(_("This file is brought in by another import already.")) from None
    return batch


def run_commit(batch_id: int) -> None:
    """The task: plan the file again (progress on the row) unless the dry run's plan is kept
    and still holds, then write it all or nothing. A refusal (the books changed since the check)
    or a failure leaves the import failed, saying why."""
    batch = PortfolioImport.objects.select_related("committed_by").get(pk=batch_id)
    if batch.state != PortfolioImport.State.RUNNING:
        return
    progress = PortfolioImport.objects.filter(pk=batch_id)
    try:
        planned = _kept_plan(batch)
        if planned is None:
            with batch.file.open("rb") as file:
                planned = plan(
                    read_portfolio(file),
                    fund=current_fund(),
                    merger_from=batch.source_fund,
                    capital_account=batch.capital_account,
                    progress=lambda done: progress.update(rows_done=done),
                )
        if not planned.ok:
            _end(batch_id, errors=planned.errors)
            return
        with transaction.atomic():
            # Held first: the command and a worker may both run it; the second finds it done.
            batch = (
                PortfolioImport.objects.select_for_update(of=("self",))
                .select_related("committed_by")
                .get(pk=batch_id)
            )
            if batch.state != PortfolioImport.State.RUNNING:
                return
            entry = write(planned, batch=batch, actor=batch.committed_by)
            batch.journal_entry, batch.committed_at = entry, timezone.now()
            batch.rows_done = batch.rows_total = planned.report.loans
            batch.report = planned.report.as_data()
            batch.finish()
            batch.save()
    except (ValidationError, PermissionDenied) as error:
        messages = getattr(error, "messages", [str(error)])
        _end(batch_id, errors=[SheetError.of_file(message) for message in messages])
    except Exception:
        logger.exception("portfolio import %s failed", batch_id)
        message = _("The import could not be written. Tell the administrator.")
        _end(batch_id, errors=[SheetError.of_file(message)])


def refusals(batch: PortfolioImport) -> list[SheetError]:
    """Why the import was refused or failed: each problem with its sheet, row and column."""
    return [SheetError.from_data(data) for data in batch.errors]


def _end(batch_id: int, *, errors: list[SheetError]) -> None:
    with transaction.atomic():
        batch = PortfolioImport.objects.select_for_update().get(pk=batch_id)
        if batch.state == PortfolioImport.State.RUNNING:
            batch.errors = [error.as_data() for error in errors[:MAX_ERRORS]]
            batch.fail()
            batch.save()


def write(planned: Plan, *, batch: PortfolioImport, actor):
    """Write a clean plan; call inside the commit's transaction. Returns the opening entry.
    The loans are held by their ids once written: a province's instances (loans, contracts)
    took a few hundred MB beside its plan."""
    require_permission(actor, COMMIT_PERMISSION)
    queries.hold_the_day_shared()  # loans' balances written: not while close of day sums a day
    bring_in_borrowers(
        actor=actor, borrowers=planned.borrowers, members=planned.members, source_fund=batch.source_fund
    )
    purpose = _("Brought in from %(file)s") % {"file": batch.file_name}
    pairs = list(
        zip(_insert_loans(planned, purpose, actor), [*planned.loans, *planned.written_off], strict=True)
    )
    loans = [loan_id for loan_id, _loan_ in pairs[: len(planned.loans)]]  # active: a schedule, balances
    note = _("Brought in at the cut-over date %(date)s (%(file)s).") % {
        "date": format_date(planned.cut_over),
        "file": batch.file_name,
    }
    queries.insert_many(
        LoanEvent,
        [
            {
                "loan_id": loan_id,
                "transition": "bring_in",
                "source": LoanStatus.DRAFT,
                "target": _status(loan),
                "actor_id": actor.pk,
                "note": note,
            }
            for loan_id, loan in pairs
        ],
    )
    _insert_contracts(pairs, actor)
    shares = _shares(planned, loans, purpose)
    subs = [
        (loan_id, shares.get(id(part.member)), loan, part)
        for loan_id, loan in zip(loans, planned.loans, strict=True)
        for part in loan.parts
    ]
    for start in range(0, len(subs), WRITE_BATCH):
        _write_sub_loans(planned, batch, subs[start : start + WRITE_BATCH])
    _restructured(planned, loans)
    _collateral(planned, loans, actor)
    entry = _post(planned, batch, pairs, actor)
    WriteOff.objects.bulk_create(
        [
            WriteOff(
                loan_id=loan_id,
                written_off_on=loan.row.written_off_on,
                principal=loan.row.principal,
                interest=loan.row.interest,
                from_specific=ZERO,  # the old books' write-off: how it was covered stays there
                from_general=ZERO,
                to_expense=ZERO,
                tracked_until=loan.tracked_until,
                journal_entry=entry,
                applied_by=actor,
            )
            for loan_id, loan in pairs[len(planned.loans) :]
        ],
        batch_size=2000,
    )
    return entry


def _write_sub_loans(planned: Plan, batch: PortfolioImport, subs: list[tuple]) -> None:
    """A batch of sub-loans' openings, migration schedule versions with their rows, and stored
    balances rows, unpacked from their replays only for the batch."""
    queries.insert_many(
        LoanOpening,
        [
            {
                "loan_id": loan_id,
                "share_id": share.pk if share else None,
                "batch_id": batch.pk,
                "value_date": planned.cut_over,
                "amount": part.row.outstanding,
                "position": part.opening.encode(),
                "old_group": part.row.old_group,
                "old_contract": loan.old_contract,
            }
            for loan_id, share, loan, part in subs
        ],
    )
    versions = queries.insert_all(
        [
            ScheduleVersion(
                loan_id=loan_id,
                share=share,
                number=1,
                effective_date=planned.cut_over,
                reason=ScheduleVersion.Reason.MIGRATION,
                fingerprint=part.replayed.fingerprint,
            )
            for loan_id, share, _loan, part in subs
        ]
    )
    schedule, balances = [], []
    for version, (loan_id, share, _loan, part) in zip(versions, subs, strict=True):
        rows, stored = part.replayed.unpack()
        part.replayed = None  # written: a third of a province's plan, let go as the commit goes on
        schedule += [{"version_id": version.pk, "position": n, **values} for n, values in enumerate(rows)]
        ids = {"loan_id": loan_id, "share_id": share.pk if share else None}
        balances += [values | ids for values in stored]
    queries.insert_many(ScheduleRow, schedule)
    if balances:  # rows from the cut-over on: the summaries of days closed since it go
        stale_from(min(values["valid_from"] for values in balances))
    queries.insert_many(LoanBalance, balances)


def _insert_loans(planned: Plan, purpose: str, actor) -> list[int]:
    """Write the loans, active then written off; their ids."""
    loans = [
        _loan(
            loan, loan.first, purpose, actor, debt_group=loan.group, accrual_suspended=loan.accrual_suspended
        )
        for loan in planned.loans
    ] + [_loan(loan, loan.row, purpose, actor, debt_group=5) for loan in planned.written_off]
    return [loan.pk for loan in queries.insert_all(loans)]


def _insert_contracts(pairs: list[tuple[int, object]], actor) -> None:
    """Each loan's contract, with its old contract's terms (`pairs`: each loan's id and plan)."""
    contracts = []
    for loan_id, loan in pairs:
        terms = LoanContract.product_terms(loan.product)
        first = loan.first if isinstance(loan, PlannedLoan) else loan.row
        if isinstance(loan, PlannedLoan):
            terms |= {"amortization": first.method}
        contracts.append(
            LoanContract(
                loan_id=loan_id,
                number=loan.contract,
                signed_on=first.signed_on,
                amount=_lent(loan),
                term_months=first.term_months,
                annual_rate=first.rate,
                signed_by=actor,
                **terms,
            )
        )
    queries.insert_all(contracts)


def _status(loan) -> str:
    return LoanStatus.ACTIVE if isinstance(loan, PlannedLoan) else LoanStatus.WRITTEN_OFF


def _lent(loan) -> Decimal:
    """What a loan brought in lent: its sub-loans' (active) or its row's (written off)."""
    if isinstance(loan, PlannedLoan):
        return sum((part.row.lent for part in loan.parts), ZERO)
    return loan.row.lent


def _loan(planned, first, purpose: str, actor, **state) -> Loan:
    """A loan brought in (active or written off) with its old contract's terms."""
    lent = _lent(planned)
    return Loan(
        borrower_id=planned.borrower.pk,
        product=planned.product,
        amount=lent,
        term_months=first.term_months,
        purpose=purpose,
        approved_amount=lent,
        approved_term_months=first.term_months,
        approved_rate=first.rate,
        created_by=actor,
        submitted_on=first.signed_on,
        decided_on=first.signed_on,
        status=_status(planned),
        **state,
    )


def _shares(planned: Plan, loans: list[int], purpose: str) -> dict[int, LoanMemberShare]:
    """The households' shares of group loans, by the id of their household object."""
    made = []
    for loan_id, loan in zip(loans, planned.loans, strict=True):
        for part in loan.parts:
            if part.member is not None:
                made.append(
                    LoanMemberShare(
                        loan_id=loan_id,
                        member_id=part.member.pk,
                        amount=part.row.lent,
                        approved_amount=part.row.lent,
                        contract_amount=part.row.lent,
                        purpose=purpose[:255],
                    )
                )
    LoanMemberShare.objects.bulk_create(made, batch_size=2000)
    members = [part.member for loan in planned.loans for part in loan.parts if part.member is not None]
    return {id(member): share for member, share in zip(members, made, strict=True)}


def _collateral(planned: Plan, loans: list[int], actor) -> None:
    """The collateral value of each row (a household's own, in a group's loan) as the loan's
    collateral, valued at the cut-over and allowed in full against the specific provision: what
    close of day, provisions and the classification deduct from then on."""
    items = []
    for loan_id, loan in zip(loans, planned.loans, strict=True):
        for part in loan.parts:
            if part.row.collateral_value > 0:
                owner = part.member.head_of_household if part.member else loan.borrower.name
                description = _("Collateral of contract %(contract)s, as valued in the old books") % {
                    "contract": loan.old_contract
                }
                items.append(
                    Collateral(
                        loan_id=loan_id,
                        type=Collateral.Type.OTHER,
                        description=description[:LONG_TEXT_MAX],
                        owner=owner[:255],
                        valuation=part.row.collateral_value,
                        valued_on=planned.cut_over,
                        loan_to_value=Decimal(1),
                        provisioning_value=part.row.collateral_value,
                        recorded_by=actor,
                    )
                )
    bring_in_collateral(actor=actor, items=items)


def _restructured(planned: Plan, loans: list[int]) -> None:
    """The old books' restructuring on the loans' balances rows (close of day keeps it)."""
    counts: dict[int, list[int]] = {}
    for loan_id, loan in zip(loans, planned.loans, strict=True):
        first = loan.first
        if first.restructured or first.restructure_count:
            counts.setdefault(max(first.restructure_count, 1), []).append(loan_id)
    for count, ids in counts.items():
        LoanBalance.objects.filter(loan_id__in=ids).update(restructured=True, restructure_count=count)


def _post(planned: Plan, batch: PortfolioImport, pairs: list[tuple[int, object]], actor):
    """The opening entry, through the posting service, and each loan's sub-ledger row beside it
    (`pairs`: each loan's id and plan)."""
    memo = (
        _("Portfolio of %(fund)s merged in (%(file)s)") % {"fund": batch.source_fund, "file": batch.file_name}
        if batch.source_fund
        else _("Opening balances at %(date)s (%(file)s)")
        % {"date": format_date(planned.cut_over), "file": batch.file_name}
    )
    [entry] = post_entries(
        [
            EntryDraft(
                value_date=planned.cut_over,
                memo=memo[:255],
                lines=planned.lines,
                idempotency_key=f"loans:portfolio:{batch.pk}",  # a file undone comes in again
                source_kind=SOURCE_KIND,
                source_ref=str(batch.pk),
            )
        ],
        created_by=actor,
    )
    for start in range(0, len(pairs), WRITE_BATCH):
        _write_sub_ledger(planned, pairs[start : start + WRITE_BATCH], entry)
    return entry


def _write_sub_ledger(planned: Plan, pairs: list[tuple[int, object]], entry) -> None:
    """A batch of loans' opening rows in the sub-ledger."""
    rows = []
    for loan_id, loan in pairs:
        controls = accounting.controls(None, planned.maps[loan.product.pk], moved=loan.legs)
        rows.append(
            {
                "loan_id": loan_id,
                "kind": LoanTransaction.Kind.OPENING,
                "value_date": planned.cut_over,
                "booking_date": planned.cut_over,
                "amount": controls["principal"] + controls["overdue_principal"] + loan.booked.off_balance,
                "principal": controls["principal"] + controls["overdue_principal"],
                "interest": ZERO,
                "late_interest": ZERO,
                "penalty": ZERO,
                "journal_entry_id": entry.pk,
                **control_values(controls),
            }
        )
    queries.insert_many(LoanTransaction, rows)
