"""The home page's sections: each role the user holds (the superuser: every role of the fund's
staff) gets its work counted, on the business date, by the app that owns it. Each count is a
small query, the same however many loans the fund has; the templates link each to its list."""

from dataclasses import dataclass

from appraisal.selectors import decision_counts, queue_counts
from fund import roles
from fund.models import Fund
from loans.dashboard import accountant_work, coop_work, officer_work, requests_waiting

STAFF = (roles.FUND_OFFICER, roles.APPRAISER, roles.APPROVER, roles.ACCOUNTANT)


def _officer(user, fund: Fund):
    # An officer follows the loans it took; the superuser, every loan.
    mine = None if user.is_superuser else user
    return officer_work(fund.business_date, fund.aging_buckets, officer=mine)


WORK = {
    roles.FUND_OFFICER: _officer,
    roles.APPRAISER: lambda user, fund: queue_counts(user),
    roles.APPROVER: lambda user, fund: {**decision_counts(user), "requests": requests_waiting(user)},
    roles.ACCOUNTANT: lambda user, fund: accountant_work(fund.business_date),
    roles.COOP_USER: lambda user, fund: coop_work(user, fund.business_date),
}


@dataclass(frozen=True)
class Section:
    role: str
    label: str
    work: object

    @property
    def template(self) -> str:
        return f"dashboard/{self.role}.html"


def sections(user, fund: Fund | None) -> list[Section]:
    """A section per role of the user, in the roles' order (none before the fund is set up)."""
    if fund is None:
        return []
    held = STAFF if user.is_superuser else roles.roles_of(user)
    return [Section(role, roles.ROLE_LABELS[role], WORK[role](user, fund)) for role in held]
