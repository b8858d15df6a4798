"""The ledger's forms: they parse what was typed; the services decide and say what is wrong."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import DATE, DateRangeForm, VNDField
from common.xlsx import validate_import_size, validate_xlsx
from ledger.models import Account, AccountType, source_label
from ledger.selectors import chart, reporting_date


def _account_choices(*, postable_only: bool) -> list[tuple[str, str]]:
    rows = [row for row in chart() if row.active or not postable_only]
    if postable_only:
        rows = [row for row in rows if row.postable]
    return [("", "—")] + [(row.code, f"{row.code} — {row.name}") for row in rows]


# --- the journal ---------------------------------------------------------------------


class JournalFilterForm(DateRangeForm):
    account = forms.ChoiceField(label=_("Account"), required=False)
    source_kind = forms.ChoiceField(label=_("Source"), required=False)
    text = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, sources: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = _account_choices(postable_only=False)
        self.fields["source_kind"].choices = [("", "—")] + [(kind, source_label(kind)) for kind in sources]


class EntryForm(forms.Form):
    value_date = forms.DateField(label=_("Value date"), widget=DATE)
    memo = forms.CharField(label=_("Memo"), max_length=500)
    # Made when the page is shown: posting the same page twice posts one entry.
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"value_date": timezone.localdate(), "key": uuid.uuid4().hex})
        super().__init__(*args, **kwargs)


class LineForm(forms.Form):
    account = forms.ChoiceField(label=_("Account"), required=False)
    debit = VNDField(label=_("Debit"), required=False)
    credit = VNDField(label=_("Credit"), required=False)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)

    def __init__(self, *args, account_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = account_choices

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("account", "debit", "credit", "reference"))


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        choices = _account_choices(postable_only=True)
        kwargs["form_kwargs"] = {"account_choices": choices}
        super().__init__(*args, **kwargs)


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=6, max_num=100, absolute_max=100)


class ReversalForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)
    value_date = forms.DateField(
        label=_("Value date"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty to date the reversal like the entry."),
    )


# --- the chart -----------------------------------------------------------------------


class AccountCreateForm(forms.Form):
    code = forms.CharField(label=_("Account code"), max_length=16)
    name_vi = forms.CharField(label=_("Name in Vietnamese"), max_length=200)
    name_en = forms.CharField(label=_("Name in English"), max_length=200)
    type = forms.ChoiceField(label=_("Type"), choices=AccountType.choices)
    parent = forms.ChoiceField(label=_("Parent account"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = _account_choices(postable_only=False)


class AccountEditForm(forms.Form):
    name_vi = forms.CharField(label=_("Name in Vietnamese"), max_length=200)
    name_en = forms.CharField(label=_("Name in English"), max_length=200)
    active = forms.BooleanField(label=_("Active"), required=False)

    @classmethod
    def for_account(cls, account: Account, data=None):
        initial = {"name_vi": account.name_vi, "name_en": account.name_en, "active": account.active}
        return cls(data, initial=initial)


class ChartImportForm(forms.Form):
    file = forms.FileField(
        label=_("Chart of accounts (.xlsx)"), validators=[validate_import_size, validate_xlsx]
    )


# --- reports and periods -----------------------------------------------------------------


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DATE)
    include_zero = forms.BooleanField(label=_("Show accounts without postings"), required=False)


class PeriodForm(DateRangeForm):
    """From and to (empty: the reporting date, and the first of its month)."""

    def clean(self):
        data = self.cleaned_data
        data["date_to"] = data.get("date_to") or reporting_date()
        data["date_from"] = data.get("date_from") or data["date_to"].replace(day=1)
        return super().clean()


class LedgerDetailForm(PeriodForm):
    account = forms.ChoiceField(label=_("Account"))
    field_order = ["account", "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = _account_choices(postable_only=False)


class PeriodTrialBalanceForm(PeriodForm):
    include_zero = forms.BooleanField(label=_("Show accounts without postings"), required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Reason for reopening"), max_length=500)
