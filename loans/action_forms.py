"""The forms of loan actions: what every request asks (a reason, a document) and, per kind, what
it asks for (named by the kind's `form`, its cleaned data the kind's payload fields)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import DATE, PercentField, VNDField
from common.text import LONG_TEXT_MAX
from fund.forms import DocumentForm
from fund.models.products import Amortization, Frequency
from loans.services.actions.choices import CARRY, OVERDUE_CHOICES, WAIVER_PARTS


class KindForm(forms.Form):
    """A kind's request form: built for the loan it is asked on."""

    def __init__(self, *args, loan, **kwargs):
        self.loan = loan
        super().__init__(*args, **kwargs)

    def only(self, names) -> "KindForm":
        """The same form with only `names` (the fields an approver may choose)."""
        self.fields = {name: field for name, field in self.fields.items() if name in names}
        return self


class RequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=LONG_TEXT_MAX
    )


class OptionalDocumentForm(DocumentForm):
    """A document filed with the request, if one is chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def clean(self):
        data = super().clean()
        if data.get("file") and not (data.get("document_type") and data.get("issued_on")):
            raise forms.ValidationError(_("Give the document's type and date with its file."))
        return data

    def upload(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("file"):
            return None
        return {key: data[key] for key in ("document_type", "file", "issued_on", "title")}


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=LONG_TEXT_MAX
    )


# --- restructuring (loans/services/actions/kinds/) -----------------------------------------


class ExtensionForm(KindForm):
    months = forms.IntegerField(label=_("Months beyond the maturity"), min_value=1, max_value=120)
    include_overdue = forms.BooleanField(
        label=_("Overdue principal falls due on the new dates too"), required=False, initial=True
    )


class ReschedulingForm(KindForm):
    term_months = forms.IntegerField(
        label=_("New term from the business date (months)"), min_value=1, max_value=360
    )
    amortization = forms.ChoiceField(label=_("Amortization"), choices=Amortization.choices)
    principal_frequency = forms.TypedChoiceField(
        label=_("Principal repaid"), choices=Frequency.choices, coerce=int
    )
    interest_frequency = forms.TypedChoiceField(
        label=_("Interest paid"), choices=Frequency.choices, coerce=int
    )
    grace_months = forms.IntegerField(
        label=_("Principal grace (months)"), min_value=0, max_value=120, initial=0
    )
    annual_rate = PercentField(label=_("Interest rate per year (%)"), places=6)
    first_due_date = forms.DateField(label=_("First due date"), required=False, widget=DATE)
    overdue = forms.ChoiceField(label=_("What is overdue"), choices=OVERDUE_CHOICES, initial=CARRY)

    def __init__(self, *args, loan, **kwargs):
        super().__init__(*args, loan=loan, **kwargs)
        contract = getattr(loan, "contract", None)
        if contract is not None and not self.is_bound:
            for name in ("amortization", "principal_frequency", "interest_frequency", "annual_rate"):
                self.initial.setdefault(name, getattr(contract, name))


class WaiverForm(KindForm):
    part = forms.ChoiceField(label=_("Interest waived"), choices=WAIVER_PARTS)
    amount = VNDField(label=_("Amount"), required=False, help_text=_("Empty: all of it."))
