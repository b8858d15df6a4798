"""Forms of the loan pages: they parse; the services decide."""

import uuid
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from common.dates import format_date
from common.forms import DATE, PercentField, ServiceModelForm, VNDField, cleaned_input
from common.money import format_percent, format_vnd
from common.text import LONG_TEXT_MAX
from common.xlsx import validate_import_size, validate_xlsx
from fund.forms import DocumentForm as DocumentForm  # a dossier's document is filed like a borrower's
from fund.models import Borrower, User
from fund.selectors import current_fund, offered_products, visible_borrowers
from ledger.models import Account
from loans.dashboard import THIS_WEEK, TODAY, due_rows, dues_until
from loans.models import Loan, LoanContract, LoanStatus, Repayment, StatementLine, StatementMapping
from loans.selectors.servicing import contracted_shares
from loans.services.bank.mapping import FIELDS as MAPPING_FIELDS
from loans.services.origination.applications import ApplicationTerms
from loans.services.origination.contracts import ContractTerms
from loans.services.servicing.repayments import RepaymentInput


class BorrowerChoiceForm(forms.Form):
    borrower = forms.ModelChoiceField(label=_("Borrower"), queryset=Borrower.objects.none())

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["borrower"].queryset = visible_borrowers(actor).filter(status=Borrower.Status.ACTIVE)


SEARCH_MAX = 100


class LoanListFilter(forms.Form):
    """The loan list's filters, read from its address (the home page's counts link there): a
    value that cannot be read is left out and said why."""

    status = forms.ChoiceField(label=_("Status"), choices=[("", ""), *LoanStatus.choices], required=False)
    q = forms.CharField(label=_("Borrower or purpose"), max_length=SEARCH_MAX, required=False)
    officer = forms.ModelChoiceField(
        label=_("Officer"), queryset=User.objects.filter(borrower__isnull=True), required=False
    )
    due = forms.ChoiceField(
        label=_("Due"),
        choices=[("", ""), (TODAY, _("today")), (THIS_WEEK, _("this week"))],
        required=False,
    )

    def filtered(self, loans, *, business_date: date | None):
        """`loans` of the officer who took them and falling due, as asked (the status and the
        search apart: the list counts each status)."""
        self.is_valid()
        data = self.cleaned_data
        if data.get("officer"):
            loans = loans.filter(created_by=data["officer"])
        if data.get("due") and business_date is not None:
            self.due_until = dues_until(business_date, data["due"])
            loans = loans.filter(pk__in=due_rows(business_date, self.due_until).values("loan_id"))
        return loans

    def kept(self) -> str:
        """The filters read, but the status, for the list's tabs to keep."""
        kept = ("q", "officer", "due")
        return urlencode({name: self.data[name] for name in kept if self.cleaned_data.get(name)})


class ApplicationForm(forms.Form):
    """The requested terms; a household group also gets one amount field per current household."""

    product = forms.ModelChoiceField(label=_("Loan product"), queryset=None)
    amount = VNDField(label=_("Amount requested (đồng)"))
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    purpose = forms.CharField(
        label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}), max_length=LONG_TEXT_MAX
    )
    proposed_collateral = forms.CharField(
        label=_("Collateral proposed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=LONG_TEXT_MAX,
    )

    service_error_labels = {"borrower": _("Borrower"), "shares": _("Households' shares")}

    def __init__(self, *args, borrower: Borrower, loan: Loan | None = None, **kwargs):
        if loan is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "product": loan.product_id,
                "amount": loan.amount.amount,
                "term_months": loan.term_months,
                "purpose": loan.purpose,
                "proposed_collateral": loan.proposed_collateral,
                **{f"share_{s.member_id}": s.amount.amount for s in loan.member_shares.all()},
            }
        super().__init__(*args, **kwargs)
        self.borrower = borrower
        self.fields["product"].queryset = offered_products(borrower_type=borrower.type)
        # Each product's limits beside the fields, and the chosen one's under them.
        self.products = list(self.fields["product"].queryset)
        chosen = next((p for p in self.products if str(p.pk) == str(self["product"].value())), None)
        if chosen is not None:
            self.fields["amount"].help_text = _("%(product)s lends from %(low)s to %(high)s.") % {
                "product": chosen.name,
                "low": format_vnd(chosen.amount_min.amount),
                "high": format_vnd(chosen.amount_max.amount),
            }
            self.fields["term_months"].help_text = _("%(low)s to %(high)s months, at %(rate)s a year.") % {
                "low": chosen.term_min_months,
                "high": chosen.term_max_months,
                "rate": format_percent(chosen.annual_rate),
            }
        self.members = (
            list(borrower.members.filter(left_on__isnull=True)) if borrower.is_household_group else []
        )
        for member in self.members:
            self.fields[f"share_{member.pk}"] = VNDField(label=str(member), required=False)

    def share_fields(self):
        return [self[f"share_{member.pk}"] for member in self.members]

    def terms(self) -> ApplicationTerms:
        data = self.cleaned_data
        shares = [
            (member, data[f"share_{member.pk}"])
            for member in self.members
            if data.get(f"share_{member.pk}") not in (None, Decimal(0))
        ]
        return cleaned_input(ApplicationTerms, self, borrower=self.borrower, shares=shares)


class ActionForm(forms.Form):
    """A transition button: the status the user saw, and a note (required where the action says so)."""

    expected_status = forms.ChoiceField(choices=LoanStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=LONG_TEXT_MAX
    )


# --- servicing: contract, tranches, repayments -------------------------------------------


def _share_fields(form: forms.Form, shares, *, initial=None, help_text="") -> list:
    """One optional amount field per household share (`share_<pk>`); the shares in form order."""
    shares = list(shares)
    for share in shares:
        form.fields[f"share_{share.pk}"] = VNDField(
            label=str(share.member),
            required=False,
            initial=initial(share) if initial else None,
            help_text=help_text,
        )
    return shares


class ContractForm(forms.Form):
    """The signed contract's terms; a household group's also gets each household's amount."""

    number = forms.CharField(label=_("Contract number"), max_length=64)
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    amount = VNDField(label=_("Amount (đồng)"))
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    annual_rate = PercentField(
        label=_("Interest rate per year (%)"), required=False, help_text=_("Empty: the rate approved.")
    )
    grace_months = forms.IntegerField(label=_("Principal grace (months)"), min_value=0, max_value=600)
    first_due_date = forms.DateField(
        label=_("First due date"),
        required=False,
        widget=DATE,
        help_text=_("Empty: one interest period after the first tranche."),
    )

    service_error_labels = {"share_amounts": _("Households' amounts")}

    def __init__(self, *args, loan: Loan, **kwargs):
        contract = getattr(loan, "contract", None)
        if contract is not None:
            initial = {
                "number": contract.number,
                "signed_on": contract.signed_on,
                "amount": contract.amount.amount,
                "term_months": contract.term_months,
                "annual_rate": contract.annual_rate,
                "grace_months": contract.grace_months,
                "first_due_date": contract.first_due_date,
            }
        else:
            initial = {
                "signed_on": current_fund().business_date,
                "amount": loan.approved_amount.amount if loan.approved_amount else None,
                "term_months": loan.approved_term_months,
                "annual_rate": loan.approved_rate,
                "grace_months": 0,
            }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.shares = []
        if loan.is_group_loan:
            self.shares = _share_fields(
                self,
                loan.member_shares.select_related("member"),
                initial=lambda share: (share.contract_amount or share.approved_amount or share.amount).amount,
            )

    def share_fields(self):
        return [self[f"share_{share.pk}"] for share in self.shares]

    def terms(self) -> ContractTerms:
        data = self.cleaned_data
        return cleaned_input(
            ContractTerms,
            self,
            share_amounts={share.pk: data[f"share_{share.pk}"] or Decimal(0) for share in self.shares}
            if self.shares
            else None,
        )


class DisbursementForm(forms.Form):
    """A tranche; for a group loan, optionally each household's part of it. `key` is made when the
    form is first shown, so the same form sent twice enters one tranche."""

    value_date = forms.DateField(label=_("Value date"), widget=DATE)
    amount = VNDField(label=_("Amount (đồng)"))
    account = forms.ModelChoiceField(label=_("Paid from"), queryset=None)
    memo = forms.CharField(label=_("Memo"), required=False, max_length=255)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    service_error_labels = {"share_amounts": _("Households' parts")}

    def __init__(self, *args, loan: Loan, left: Decimal, **kwargs):
        fund = current_fund()
        kwargs.setdefault(
            "initial",
            {"value_date": fund.business_date, "amount": left if left > 0 else None, "key": uuid.uuid4().hex},
        )
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = fund.lending_accounts.order_by("code")
        self.shares = []
        if loan.is_group_loan:
            self.shares = _share_fields(self, contracted_shares(loan))

    def share_fields(self):
        return [self[f"share_{share.pk}"] for share in self.shares]

    def share_amounts(self) -> dict[int, Decimal] | None:
        """Each household's part as typed; None when all are empty (the service splits in proportion)."""
        typed = {share.pk: self.cleaned_data.get(f"share_{share.pk}") for share in self.shares}
        if all(amount is None for amount in typed.values()):
            return None
        return {pk: amount or Decimal(0) for pk, amount in typed.items()}


class RepaymentForm(forms.Form):
    """A repayment as the officer enters it. `key` is made when the form is first shown, so the
    same form sent twice posts once."""

    share = forms.ModelChoiceField(label=_("Household"), queryset=None, required=False)
    value_date = forms.DateField(label=_("Value date"), widget=DATE)
    amount = VNDField(label=_("Amount (đồng)"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Repayment.Channel.choices)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)
    account = forms.ModelChoiceField(
        label=_("Received into"), queryset=None, required=False, empty_label=_("The channel's usual account")
    )
    prepayment_mode = forms.ChoiceField(
        label=_("If part of it is a prepayment"),
        choices=Repayment.PrepaymentMode.choices,
        widget=forms.RadioSelect,
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, loan: Loan, on: date | None = None, **kwargs):
        fund = current_fund()
        kwargs.setdefault(
            "initial",
            {
                "value_date": on or fund.business_date,
                "channel": Repayment.Channel.BANK_TRANSFER,
                "prepayment_mode": Repayment.PrepaymentMode.LOWER_INSTALLMENTS,
                "key": uuid.uuid4().hex,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = fund.lending_accounts.order_by("code")
        if loan.is_group_loan:
            self.fields["share"].queryset = contracted_shares(loan)
            self.fields["share"].required = True
            self.fields["share"].label_from_instance = lambda share: str(share.member)
        else:
            del self.fields["share"]

    def entry(self) -> RepaymentInput:
        return cleaned_input(RepaymentInput, self, idempotency_key=f"form:{self.cleaned_data['key']}")


class ReasonForm(forms.Form):
    """Why a tranche is cancelled, a repayment reversed or a portfolio import undone: the service
    refuses it empty too."""

    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=LONG_TEXT_MAX
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Repayments file (.xlsx)"), validators=[validate_import_size, validate_xlsx]
    )


class CloseOfDayForm(forms.Form):
    until = forms.DateField(
        label=_("Run close of day until the business date is"),
        widget=DATE,
        help_text=_("Each day before it is closed in order. At most today."),
    )


class PayoffQuoteForm(forms.Form):
    """A payoff quote: what repays the whole loan on a date, with no more repayments before it."""

    on = forms.DateField(label=_("Payoff on"), widget=DATE)

    def __init__(self, *args, earliest: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.earliest = earliest

    def clean_on(self):
        day = self.cleaned_data["on"]
        if self.earliest is not None and day < self.earliest:
            raise forms.ValidationError(
                _("The loan was first disbursed on %(date)s: choose that day or later.")
                % {"date": format_date(self.earliest)}
            )
        return day


# --- bank statements -------------------------------------------------------------------


class StatementMappingForm(ServiceModelForm):
    """Where the account's bank puts each figure: the column headers as the file has them."""

    class Meta:
        model = StatementMapping
        fields = MAPPING_FIELDS


class StatementImportForm(forms.Form):
    file = forms.FileField(label=_("Statement file (.xlsx or .csv)"), validators=[validate_import_size])


class StatementLinesForm(forms.Form):
    """Which lines the page lists: by status and booking date."""

    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *StatementLine.Status.choices], required=False
    )
    first = forms.DateField(label=_("Booked from"), required=False, widget=DATE)
    last = forms.DateField(label=_("Booked up to"), required=False, widget=DATE)


class PeriodForm(forms.Form):
    first_date = forms.DateField(label=_("From"), widget=DATE)
    last_date = forms.DateField(label=_("To"), widget=DATE)


class LineRepaymentForm(forms.Form):
    """The loan an unmatched credit repays (its contract number), the rest from the line."""

    contract = forms.CharField(label=_("Contract number"), max_length=64)
    household = forms.CharField(
        label=_("Household ID number"),
        max_length=20,
        required=False,
        help_text=_("Only for a household group's loan: the household that repays."),
    )
    prepayment_mode = forms.ChoiceField(
        label=_("A prepayment"),
        choices=Repayment.PrepaymentMode.choices,
        initial=Repayment.PrepaymentMode.LOWER_INSTALLMENTS,
    )

    service_error_labels = {"share": _("Household ID number")}

    def clean(self):
        data = super().clean()
        number = (data.get("contract") or "").strip()
        contract = (
            LoanContract.objects.select_related("loan").filter(number=number).first() if number else None
        )
        if number and contract is None:
            self.add_error("contract", _("No loan has this contract number."))
            return data
        if contract is None:
            return data
        data["loan"], data["share"] = contract.loan, None
        household = (data.get("household") or "").strip()
        if household:
            data["share"] = contract.loan.member_shares.filter(member__id_number=household).first()
            if data["share"] is None:
                self.add_error("household", _("Give the ID number of a household of this group loan."))
        return data


class PortfolioImportForm(forms.Form):
    """A filled portfolio workbook; merging another fund's portfolio, its tag and the capital
    account (411…, a postable one) its net assets are taken to."""

    file = forms.FileField(label=_("Filled workbook (.xlsx)"))
    source_fund = forms.CharField(
        label=_("Merging another fund: its tag"),
        max_length=20,
        required=False,
        validators=[RegexValidator(r"^[\w-]+$", _("Letters, digits and dashes only."))],
        help_text=_(
            "Leave empty to bring this fund's own books in. The tag prefixes colliding contract numbers."
        ),
    )
    capital_account = forms.ChoiceField(
        label=_("Capital account the merged net assets go to"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = Account.objects.filter(code__startswith="411", active=True, children__isnull=True)
        self.fields["capital_account"].choices = [("", "—")] + [(a.code, f"{a.code} {a.name}") for a in codes]

    def clean_file(self):
        file = self.cleaned_data["file"]
        validate_import_size(file, settings.PORTFOLIO_PAGE_MAX_BYTES)
        return file

    def clean(self):
        data = super().clean()
        if data.get("source_fund") and not data.get("capital_account"):
            message = _("Merging a fund takes the capital account its net assets go to.")
            self.add_error("capital_account", message)
        if data.get("capital_account") and not data.get("source_fund"):
            message = _("A capital account is chosen only when merging a fund: give its tag.")
            self.add_error("source_fund", message)
        return data
