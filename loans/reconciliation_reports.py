"""The reconciliation of the loans' sub-ledger with the GL as .xlsx: the control accounts, then a
sheet per account that differs with the entries and the loans that carry the difference."""

from datetime import date

from django.utils.translation import gettext as _

from common.dates import format_date
from common.documents import heading, signatures
from common.xlsx import Column, Sheet
from loans.selectors.reconciliation import AccountDrillDown, ControlAccount

LOANS_NAMED = 10  # an entry of more loans (a close of day's) gives their count: a cell is bounded


def _loans(loans: tuple[int, ...], contracts: dict[int, str]) -> str:
    if not loans:
        return _("no loan")
    if len(loans) > LOANS_NAMED:
        return _("%(count)d loans") % {"count": len(loans)}
    return ", ".join(contracts[pk] for pk in loans)


def reconciliation_sheets(
    rows: list[ControlAccount], found: list[AccountDrillDown], *, as_of: date
) -> list[Sheet]:
    title = _("Loans' sub-ledger against the GL as of %(date)s") % {"date": format_date(as_of)}
    money = [
        Column(_("Sub-ledger"), "money", total=True),
        Column(_("GL"), "money", total=True),
        Column(_("Difference"), "money", total=True),
    ]
    sheets = [
        Sheet(
            title=_("Reconciliation"),
            columns=[Column(_("Account"), width=12), Column(_("Name"), width=40), *money],
            rows=[(row.code, row.name, row.loans, row.gl, row.difference) for row in rows],
            heading=heading(title),
            totals_label=_("Total"),
            signatures=signatures("report"),
        )
    ]
    for account in found:
        contracts = {loan.loan_id: loan.contract for loan in account.loans}
        sheets.append(
            Sheet(
                title=account.code,
                columns=[
                    Column(_("Entry"), width=14),
                    Column(_("Value date"), "date"),
                    Column(_("Memo"), width=40),
                    Column(_("Reference"), width=20),
                    Column(_("Loans"), width=30),
                    *money,
                ],
                rows=[
                    (
                        entry.number,
                        entry.value_date,
                        entry.memo,
                        entry.reference,
                        _loans(entry.loans, contracts),
                        entry.sub_ledger,
                        entry.gl,
                        entry.difference,
                    )
                    for entry in account.entries
                ],
                heading=heading(f"{account.code} {account.name}", notes=[title]),
                totals_label=_("Total"),
            )
        )
    return sheets
