"""The forms of write-off, recovery and tranche reversal: what an officer, accountant or
approver enters (the requests' common fields are `loans.action_forms`')."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.dates import format_date
from common.forms import DATE, VNDField
from common.money import format_vnd
from fund.selectors import current_fund
from ledger.models import Account
from loans.action_forms import KindForm
from loans.models import Disbursement, Repayment


class WriteOffForm(KindForm):
    """Nothing to choose: the whole debt on the day it is approved (the reason says why)."""


class TrancheReversalForm(KindForm):
    tranche = forms.TypedChoiceField(label=_("Tranche"), coerce=int)
    returned_into = forms.ChoiceField(
        label=_("Money returned into"),
        required=False,
        help_text=_("Empty: the borrower owes it back (other receivables)."),
    )

    def __init__(self, *args, loan, **kwargs):
        super().__init__(*args, loan=loan, **kwargs)
        tranches = Disbursement.objects.filter(loan_id=loan.pk, status=Disbursement.Status.AUTHORIZED)
        self.fields["tranche"].choices = [
            (tranche.pk, f"{format_date(tranche.value_date)} · {format_vnd(tranche.amount.amount)}")
            for tranche in tranches
        ]
        self.fields["returned_into"].choices = [("", "—")] + [
            (account.code, str(account)) for account in current_fund().lending_accounts.order_by("code")
        ]


class RecoveryForm(forms.Form):
    value_date = forms.DateField(label=_("Value date"), widget=DATE)
    amount = VNDField(label=_("Amount"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Repayment.Channel.choices)
    account = forms.ModelChoiceField(
        label=_("Received into"), queryset=Account.objects.none(), required=False
    )
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = current_fund().lending_accounts.order_by("code")
