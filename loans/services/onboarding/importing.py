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

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import format_date
from common.jobs import send
from common.money import ZERO
from fund import accounting
from fund.selectors import current_fund
from fund.services.borrowers import bring_in_borrowers
from fund.services.common import require_permission
from ledger.drafts import EntryDraft
from ledger.services import post_entries
from loans import queries
from loans.models import (
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
from loans.services.onboarding.planning import Plan, PlannedLoan, plan
from loans.services.onboarding.workbook import Limits, SheetError, read_portfolio
from loans.services.servicing.balances import Rewrite, store_many
from loans.services.servicing.settling import schedule_fingerprint, schedule_row_values

PERMISSION, COMMIT_PERMISSION = "loans.add_portfolioimport", "loans.commit_portfolioimport"
PROGRESS_EVERY = 1000
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
) -> PortfolioImport:
    """The dry run of a workbook: its cut-over report and the rows refused, kept with the file
    for a second user to commit. `source_fund`: merging that fund's portfolio (its tag) into
    this one, against `capital_account`; empty: bringing this fund's own books in. `limits`:
    how large a file is read (the command's by default; the page's are smaller)."""
    require_permission(actor, PERMISSION)
    source_fund, capital_account = source_fund.strip()[:100], capital_account.strip()[:20]
    file.seek(0)
    content = file.read()
    sha256 = hashlib.sha256(content).hexdigest()
    fund = current_fund()
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
    return batch


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
    """The task: plan the file again (progress on the row), then write it all or nothing. A
    refusal (the books changed since the check) or a failure leaves the import failed, saying why."""
    batch = PortfolioImport.objects.select_related("committed_by").get(pk=batch_id)
    if batch.state != PortfolioImport.State.RUNNING:
        return
    progress = PortfolioImport.objects.filter(pk=batch_id)
    try:
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
    """Write a clean plan; call inside the commit's transaction. Returns the opening entry."""
    require_permission(actor, COMMIT_PERMISSION)
    bring_in_borrowers(
        actor=actor, borrowers=planned.borrowers, members=planned.members, source_fund=batch.source_fund
    )
    purpose = _("Brought in from %(file)s") % {"file": batch.file_name}
    loans = Loan.objects.bulk_create(
        [
            _loan(
                loan,
                loan.first,
                sum((part.row.lent for part in loan.parts), ZERO),
                purpose,
                actor,
                status=LoanStatus.ACTIVE,
                debt_group=loan.group,
                accrual_suspended=loan.accrual_suspended,
            )
            for loan in planned.loans
        ]
        + [
            _loan(loan, loan.row, loan.row.lent, purpose, actor, status=LoanStatus.WRITTEN_OFF, debt_group=5)
            for loan in planned.written_off
        ],
        batch_size=2000,
    )
    pairs = list(zip(loans, [*planned.loans, *planned.written_off], strict=True))
    loans = loans[: len(planned.loans)]  # the active ones, which have a schedule and balances
    note = _("Brought in at the cut-over date %(date)s (%(file)s).") % {
        "date": format_date(planned.cut_over),
        "file": batch.file_name,
    }
    queries.insert_many(
        LoanEvent,
        [
            {
                "loan_id": row.pk,
                "transition": "bring_in",
                "source": LoanStatus.DRAFT,
                "target": row.status,
                "actor_id": actor.pk,
                "note": note,
            }
            for row, _loan_ in pairs
        ],
    )
    contracts = []
    for row, loan in pairs:
        terms = LoanContract.product_terms(loan.product)
        first = loan.first if isinstance(loan, PlannedLoan) else loan.row
        if isinstance(loan, PlannedLoan):
            terms |= {"amortization": first.method}
        contracts.append(
            LoanContract(
                loan=row,
                number=loan.contract,
                signed_on=first.signed_on,
                amount=row.amount.amount,
                term_months=first.term_months,
                annual_rate=first.rate,
                signed_by=actor,
                **terms,
            )
        )
    LoanContract.objects.bulk_create(contracts, batch_size=2000)
    shares = _shares(planned, loans)
    openings, versions, subs = [], [], []
    for row, loan in zip(loans, planned.loans, strict=True):
        for part in loan.parts:
            share = shares.get(id(part.member))
            openings.append(
                {
                    "loan_id": row.pk,
                    "share_id": share.pk if share else None,
                    "batch_id": batch.pk,
                    "value_date": planned.cut_over,
                    "amount": part.row.outstanding,
                    "position": part.opening.encode(),
                    "old_group": part.row.old_group,
                    "old_contract": loan.old_contract,
                }
            )
            versions.append(
                ScheduleVersion(
                    loan=row,
                    share=share,
                    number=1,
                    effective_date=planned.cut_over,
                    reason=ScheduleVersion.Reason.MIGRATION,
                    fingerprint=schedule_fingerprint(part.result.rows),
                )
            )
            subs.append((row, share, part))
    queries.insert_many(LoanOpening, openings)
    ScheduleVersion.objects.bulk_create(versions, batch_size=2000)
    queries.insert_many(
        ScheduleRow,
        [
            {"version_id": version.pk, "position": position, **schedule_row_values(r)}
            for version, (_row, _share, part) in zip(versions, subs, strict=True)
            for position, r in enumerate(part.result.rows)
        ],
    )
    store_many(
        [
            (Rewrite(row.pk, share.pk if share else None, planned.cut_over, None, drop=False), part.result)
            for row, share, part in subs
        ]
    )
    _restructured(planned, loans)
    entry = _post(planned, batch, pairs, actor)
    WriteOff.objects.bulk_create(
        [
            WriteOff(
                loan=row,
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
            for row, loan in pairs[len(planned.loans) :]
        ],
        batch_size=2000,
    )
    return entry


def _loan(planned, first, lent, purpose: str, actor, **state) -> Loan:
    """A loan brought in (active or written off) with its old contract's terms."""
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
        **state,
    )


def _shares(planned: Plan, loans: list[Loan]) -> dict[int, LoanMemberShare]:
    """The households' shares of group loans, by the id of their household object."""
    made = []
    for row, loan in zip(loans, planned.loans, strict=True):
        for part in loan.parts:
            if part.member is not None:
                made.append(
                    LoanMemberShare(
                        loan=row,
                        member_id=part.member.pk,
                        amount=part.row.lent,
                        approved_amount=part.row.lent,
                        contract_amount=part.row.lent,
                        purpose=row.purpose[:255],
                    )
                )
    LoanMemberShare.objects.bulk_create(made, batch_size=2000)
    members = [part.member for loan in planned.loans for part in loan.parts if part.member is not None]
    return {id(member): share for member, share in zip(members, made, strict=True)}


def _restructured(planned: Plan, loans: list[Loan]) -> None:
    """The old books' restructuring on the loans' balances rows (close of day keeps it)."""
    counts: dict[int, list[int]] = {}
    for row, loan in zip(loans, planned.loans, strict=True):
        first = loan.first
        if first.restructured or first.restructure_count:
            counts.setdefault(max(first.restructure_count, 1), []).append(row.pk)
    for count, ids in counts.items():
        LoanBalance.objects.filter(loan_id__in=ids).update(restructured=True, restructure_count=count)


def _post(planned: Plan, batch: PortfolioImport, pairs: list[tuple[Loan, object]], actor):
    """The opening entry, through the posting service, and each loan's sub-ledger row beside it
    (`pairs`: each loan written and its plan)."""
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
    rows = []
    for row, loan in pairs:
        controls = accounting.controls(None, planned.maps[loan.product.pk], moved=loan.legs)
        rows.append(
            {
                "loan_id": row.pk,
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
    return entry
