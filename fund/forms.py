"""Forms of the fund's pages. They parse what was typed; the services validate and save."""

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import DATE, PercentField, ServiceModelForm, VNDField
from common.text import LONG_TEXT_MAX
from common.xlsx import validate_import_size, validate_xlsx
from fund.models import (
    AuthorityLevel,
    Borrower,
    CapitalSource,
    DocumentType,
    Fund,
    HouseholdMember,
    LoanProduct,
    User,
)
from fund.models.fund import DEFAULT_FUND_ACCOUNTS, WEEKDAYS
from fund.models.products import POSTING_ACCOUNTS, PROVISION_RATE_FIELDS, Portion
from fund.services.borrowers import BORROWER_FIELDS, MEMBER_FIELDS
from fund.services.fund import FUND_FIELDS
from fund.services.products import PRODUCT_FIELDS
from ledger.models import Account

# --- borrowers -----------------------------------------------------------------------------


class BorrowerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, provinces: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["type"].choices = everything + Borrower.Type.choices
        self.fields["province"].choices = everything + [(p, p) for p in provinces]
        self.fields["status"].choices = everything + Borrower.Status.choices
        self.fields["q"].widget.attrs["placeholder"] = _("Name, number, representative, phone...")


class BorrowerForm(ServiceModelForm):
    class Meta:
        model = Borrower
        fields = BORROWER_FIELDS
        widgets = {"founded_on": DATE, "notes": forms.Textarea(attrs={"rows": 3})}


class HouseholdMemberForm(ServiceModelForm):
    class Meta:
        model = HouseholdMember
        fields = MEMBER_FIELDS
        widgets = {"joined_on": DATE, "left_on": DATE}


class DocumentForm(forms.Form):
    """A document to file: a borrower's records and a loan's dossier ask the same."""

    document_type = forms.ModelChoiceField(
        label=_("Document type"), queryset=DocumentType.objects.filter(active=True)
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=255)
    issued_on = forms.DateField(label=_("Document date"), widget=DATE)
    file = forms.FileField(label=_("File"))


class BorrowerStatusForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("suspend", _("Suspend")), ("reactivate", _("Reactivate")), ("dissolve", _("Dissolve"))]
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("The file holds"),
        choices=[("borrowers", _("Borrowers")), ("households", _("Households of borrowing groups"))],
    )
    file = forms.FileField(label=_(".xlsx file"), validators=[validate_import_size, validate_xlsx])


# --- loan products -------------------------------------------------------------------------

_PERCENT_FIELDS = (
    "annual_rate",
    "overdue_multiplier",
    "unpaid_interest_rate",
    *PROVISION_RATE_FIELDS,
)
# Left empty, the product keeps what it has (a new one: the model's default).
_EXTENSION_FIELDS = ("extension_short_months", "extension_term_share")
_ORDINALS = (_("1st"), _("2nd"), _("3rd"), _("4th"), _("5th"))


class LoanProductForm(ServiceModelForm):
    """All of a product's rules. Posting accounts left empty take the chart's default."""

    borrower_types = forms.MultipleChoiceField(
        label=_("Borrower types allowed"), choices=Borrower.Type.choices, widget=forms.CheckboxSelectMultiple
    )
    required_documents = forms.ModelMultipleChoiceField(
        label=_("Documents the dossier requires"),
        queryset=DocumentType.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = LoanProduct
        fields = [name for name in PRODUCT_FIELDS if name != "allocation_order"]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("amount_min", "amount_max", "collateral_waiver_threshold"):
            field = self.fields[name]
            self.fields[name] = VNDField(
                label=field.label, help_text=field.help_text, required=field.required
            )
        self.fields["collateral_waiver_threshold"].required = False
        self.fields["overdue_grace_days"].required = False  # empty: 0, overdue the day after its due date
        for name in _PERCENT_FIELDS:
            field = self.fields[name]
            self.fields[name] = PercentField(label=f"{field.label} (%)", required=True, places=6)
        share = self.fields["extension_term_share"]
        self.fields["extension_term_share"] = PercentField(label=f"{share.label} (%)", places=4)
        for name in _EXTENSION_FIELDS:
            self.fields[name].required = False
        postable = Account.objects.filter(active=True, children__isnull=True)
        for name in POSTING_ACCOUNTS:
            self.fields[name].queryset = postable
            self.fields[name].required = False
            self.fields[name].help_text = _("Empty: the chart's account for the product's term.")
        order = self.instance.allocation_order if self.instance.pk else Portion.values
        for position, label in enumerate(_ORDINALS):
            self.fields[f"allocation_{position}"] = forms.ChoiceField(
                label=_("Repayment pays, %(ordinal)s") % {"ordinal": label},
                choices=Portion.choices,
                initial=order[position] if position < len(order) else None,
            )
        if self.instance.pk:
            self.initial["required_documents"] = list(self.instance.required_documents.all())
        if self.instance.is_frozen:
            self.fields["code"].disabled = True

    def service_fields(self) -> dict:
        fields = super().service_fields()
        fields["allocation_order"] = [self.cleaned_data.get(f"allocation_{i}") for i in range(len(_ORDINALS))]
        if fields.get("collateral_waiver_threshold") is None:
            fields["collateral_waiver_threshold"] = Decimal(0)
        for name in _EXTENSION_FIELDS:
            if fields.get(name) is None:
                fields[name] = getattr(self.instance, name)
        if fields.get("overdue_grace_days") is None:
            fields["overdue_grace_days"] = 0
        for name in POSTING_ACCOUNTS:
            if fields.get(name) is None:
                fields.pop(name, None)
        return fields

    def account_fields(self):
        return [self[name] for name in POSTING_ACCOUNTS]

    def allocation_fields(self):
        return [self[f"allocation_{i}"] for i in range(len(_ORDINALS))]


# --- the fund ------------------------------------------------------------------------------


class DaysListField(forms.CharField):
    """Whole days typed as a list, `1, 10, 31`; the model says whether they make sense."""

    default_error_messages = {"invalid": _("Type whole numbers of days separated by commas, e.g. 1, 10, 31.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(str(day) for day in value) if isinstance(value, list) else value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class FundForm(ServiceModelForm):
    lending_accounts = forms.ModelMultipleChoiceField(
        label=_("Cash and bank accounts lent from"),
        queryset=Account.objects.filter(active=True, children__isnull=True, type="asset"),
        widget=forms.CheckboxSelectMultiple,
    )
    rest_weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekly rest days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A due date on a rest day or a non-working day moves to the next working day."),
    )

    class Meta:
        model = Fund
        fields = FUND_FIELDS

    def __init__(self, *args, setting_up: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("charter_capital", "exposure_cap"):
            field = self.fields[name]
            self.fields[name] = VNDField(
                label=field.label, help_text=field.help_text, required=field.required
            )
        field = self.fields["exposure_charter_share"]
        self.fields["exposure_charter_share"] = PercentField(label=f"{field.label} (%)")
        for name in ("aging_buckets", "par_days", "overdue_notice_days"):
            field = self.fields[name]
            self.fields[name] = DaysListField(label=field.label, help_text=field.help_text, required=False)
        field = self.fields["max_annual_rate"]
        self.fields["max_annual_rate"] = PercentField(
            label=f"{field.label} (%)", help_text=field.help_text, required=False
        )
        for name in _KEPT_WHEN_EMPTY:
            self.fields[name].required = False
        # Only lending accounts that are cash or bank: 111 and 112 in the chart.
        self.fields["lending_accounts"].queryset = self.fields["lending_accounts"].queryset.filter(
            code__regex=r"^11[12]"
        )
        for name in DEFAULT_FUND_ACCOUNTS:  # postable accounts of the balance sheet
            self.fields[name].queryset = Account.objects.filter(
                active=True, children__isnull=True, type__in=("asset", "liability")
            )
        if self.instance.pk:
            self.initial["lending_accounts"] = list(self.instance.lending_accounts.all())
        if setting_up:
            self.fields["business_date"] = forms.DateField(
                label=_("First business date"), widget=DATE, help_text=_("Usually today.")
            )

    def clean(self):
        """A setting left empty keeps what it was (its default for a new fund: the Civil Code's
        20 % as the highest rate, non-accrual from group 2, accrual posted at month end)."""
        cleaned = super().clean()
        for name in _KEPT_WHEN_EMPTY:
            if cleaned.get(name) in (None, ""):
                cleaned[name] = getattr(self.instance, name)
        return cleaned


_KEPT_WHEN_EMPTY = (
    "max_annual_rate",
    "non_accrual_from_group",
    "accrual_posting",
    "aging_buckets",
    "par_days",
    "off_balance_years",
    "cure_installments",
    "reminder_days_before",
    "overdue_notice_days",
)


class AuthorityLevelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    max_amount = VNDField(label=_("Up to"), required=False, help_text=_("Empty: no upper limit."))
    holders = forms.ModelMultipleChoiceField(
        label=_("Held by"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holders"].queryset = User.objects.filter(is_active=True, borrower__isnull=True)

    @classmethod
    def initial_for(cls, level: AuthorityLevel) -> dict:
        return {"name": level.name, "max_amount": level.max_amount, "holders": list(level.holders.all())}


class CapitalSourceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CapitalSource.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=255)
    account = forms.ModelChoiceField(
        label=_("Capital account"),
        queryset=Account.objects.filter(active=True, children__isnull=True, type__in=["equity", "liability"]),
        required=False,
        help_text=_("Empty: the chart's account for the kind."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=LONG_TEXT_MAX
    )


class CapitalReceiptForm(forms.Form):
    source = forms.ModelChoiceField(label=_("Capital source"), queryset=CapitalSource.objects.all())
    amount = VNDField(label=_("Amount"))
    account = forms.ModelChoiceField(label=_("Received into"), queryset=Account.objects.none())
    value_date = forms.DateField(label=_("Value date"), widget=DATE)
    memo = forms.CharField(label=_("Memo"), required=False, max_length=500)
    # A resubmitted form carries the same key, and the service returns the receipt it made.
    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, fund: Fund, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = fund.lending_accounts.all()
        self.fields["value_date"].initial = fund.business_date


class NonWorkingDaysForm(forms.Form):
    first = forms.DateField(label=_("Day off"), widget=DATE)
    last = forms.DateField(
        label=_("Last day off"), widget=DATE, required=False, help_text=_("For a range, such as Tết.")
    )
    name = forms.CharField(label=_("Name"), max_length=100)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("What will use it"), max_length=100, help_text=_("For example: the bank's system.")
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366, initial=90)
