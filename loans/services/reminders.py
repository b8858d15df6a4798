"""Due-date reminders and overdue notices: the daily task's work (`loans.tasks.send_reminders`).

First each notice the day calls for is recorded (`loans.selectors.reminders` finds the
installments set-based; the notices' unique keys make a second run record nothing new), then
each notice still to send goes out by e-mail (Django's mail backend) to the co-op's users and by
SMS (`common.sms`) to its phone, in its own transaction, and what became of each is kept on it.
A rerun the same day, or after a crash, sends only what was not sent.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.dates import format_date
from common.money import format_vnd
from common.sms import SmsError, sms_sender
from fund.models import User
from fund.selectors import current_fund
from loans.models import Delivery, Notice, NoticeKind
from loans.selectors.reminders import due_soon, overdue

BATCH = 1000
PENDING = Q(email_status=Delivery.PENDING) | Q(sms_status=Delivery.PENDING)


@dataclass(frozen=True)
class ReminderRun:
    on: date
    recorded: int
    sent: Counter  # by channel and delivery


def record_notices(*, day: date) -> int:
    """Record the notices `day` calls for (the fund's reminder settings); return how many the day's
    notices grew by (with another run at the same moment, those it recorded too)."""
    fund = current_fund()
    notices = [
        Notice(loan_id=loan, share_id=share, kind=NoticeKind.DUE, due_date=due, amount=amount, on=day)
        for loan, share, due, amount in due_soon(day, fund.reminder_days_before).iterator()
    ]
    for step, rows in overdue(day, fund.overdue_notice_days):
        notices += [
            Notice(
                loan_id=loan,
                share_id=share,
                kind=NoticeKind.OVERDUE,
                step=step,
                due_date=due,
                amount=amount,
                on=day,
            )
            for loan, share, due, amount in rows.iterator()
        ]
    before = Notice.objects.filter(on=day).count()
    # A run at the same time records the same rows: the unique keys keep one of each.
    Notice.objects.bulk_create(notices, batch_size=BATCH, ignore_conflicts=True)
    return Notice.objects.filter(on=day).count() - before


def _emails(borrower_ids) -> dict[int, list[str]]:
    """The e-mail addresses of each borrower's active co-op users."""
    found = defaultdict(list)
    users = User.objects.filter(borrower_id__in=borrower_ids, is_active=True).exclude(email="")
    for borrower, email in users.values_list("borrower_id", "email").order_by("email"):
        found[borrower].append(email)
    return found


def _text(notice: Notice, fund_name: str) -> tuple[str, str]:
    """The subject and the message, in the fund's language."""
    facts = {
        "fund": fund_name,
        "loan": notice.loan.reference,
        "household": notice.share.member if notice.share_id else "",
        "amount": format_vnd(notice.amount.amount),
        "date": format_date(notice.due_date),
        "days": notice.step,
    }
    if notice.kind == NoticeKind.DUE:
        subject = _("Due-date reminder: loan %(loan)s") % facts
        text = _("%(fund)s: %(amount)s of loan %(loan)s falls due on %(date)s.") % facts
    else:
        subject = _("Overdue notice: loan %(loan)s") % facts
        text = (
            _(
                "%(fund)s: loan %(loan)s is %(days)s days past due; %(amount)s of principal and interest "
                "is overdue since %(date)s, and late interest accrues on it. Please repay."
            )
            % facts
        )
    if notice.share_id:
        text = _("%(household)s: %(text)s") % {"household": facts["household"], "text": text}
    return subject, text


def _deliver(notice: Notice, *, emails: list[str], fund_name: str, sender) -> None:
    """Send the notice's e-mail and SMS still to send; record the outcome of each on it."""
    subject, text = _text(notice, fund_name)
    errors = []
    if notice.email_status == Delivery.PENDING:
        notice.email_to = ", ".join(emails)[:500]
        if not emails:
            notice.email_status = Delivery.NO_ADDRESS
        else:
            try:
                send_mail(subject, text, None, emails)
                notice.email_status = Delivery.SENT
            except OSError as error:  # SMTP and socket failures (smtplib.SMTPException is one)
                notice.email_status = Delivery.FAILED
                errors.append(f"e-mail: {error}")
    if notice.sms_status == Delivery.PENDING:
        phone = (notice.share.member.phone if notice.share_id else "") or notice.loan.borrower.phone
        notice.sms_to = phone
        if not phone:
            notice.sms_status = Delivery.NO_ADDRESS
        else:
            try:
                sender.send(to=phone, text=text)
                notice.sms_status = Delivery.SENT
            except SmsError as error:
                notice.sms_status = Delivery.FAILED
                errors.append(f"SMS: {error}")
    notice.error = "\n".join(errors)[:2000]
    notice.sent_at = timezone.now()
    notice.save(update_fields=["email_to", "email_status", "sms_to", "sms_status", "error", "sent_at"])


def send_pending() -> Counter:
    """Send every notice still to send, each in its own transaction (another run's are skipped)."""
    fund_name, sender = current_fund().name, sms_sender()
    sent: Counter = Counter()
    pending = list(Notice.objects.filter(PENDING).order_by("pk").values_list("pk", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        for start in range(0, len(pending), BATCH):
            ids = pending[start : start + BATCH]
            borrowers = Notice.objects.filter(pk__in=ids).values_list("loan__borrower_id", flat=True)
            emails = _emails(set(borrowers))
            for pk in ids:
                with transaction.atomic():
                    notice = (
                        Notice.objects.select_for_update(skip_locked=True, of=("self",))
                        .select_related("loan__borrower", "share__member")
                        .filter(PENDING, pk=pk)
                        .first()
                    )
                    if notice is None:  # sent meanwhile by another run
                        continue
                    _deliver(
                        notice, emails=emails[notice.loan.borrower_id], fund_name=fund_name, sender=sender
                    )
                    sent[f"email_{notice.email_status}"] += 1
                    sent[f"sms_{notice.sms_status}"] += 1
    return sent


def send_reminders(*, day: date | None = None) -> ReminderRun:
    """The day's notices (the fund's business date: its stored balances are that day's), recorded
    then sent."""
    day = day or current_fund().business_date
    recorded = record_notices(day=day)
    return ReminderRun(day, recorded, send_pending())
